"""The header's unread count and the watch control (question and document pages).

`{% watch_control "question" question %}` shows the person's level with a form to change
it; showing it means they are looking at the target, so tracking's unread count for it
starts again from zero.
"""

from __future__ import annotations

from django import template

from collaboration.permissions import is_signed_in

from ..models import WatchLevel
from ..selectors import notifications as selectors
from ..services import watches

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    return selectors.unread_count(user) if user is not None and is_signed_in(user) else 0


@register.inclusion_tag("community/_watch_control.html", takes_context=True)
def watch_control(context, target_type: str, target) -> dict:
    request = context["request"]
    user = request.user
    if not is_signed_in(user):
        return {"hidden": True}
    watches.watch_seen(user=user, target=target)
    return {
        "target_type": target_type,
        "target_id": target.pk,
        "level": selectors.watch_level(user, **{target_type: target}),
        "levels": WatchLevel.choices,
        "next": request.get_full_path(),
        "what": target_type,
        "csrf_token": context.get("csrf_token"),
    }
