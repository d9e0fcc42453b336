"""`{% room_chat room as chat %}`: what templates/community/_room_chat.html shows.

The partial is included by pages that only hold the room (`with room=group.room`), so
it reads the chat itself: the newest messages for the first paint (and for people
without JavaScript), the reader's rights and the data its script starts from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.safestring import mark_safe

from collaboration.models import Room
from collaboration.selectors.rooms import room_chat_state
from collaboration.services.chat import MAX_CHAT_CHARS

register = template.Library()
WS_PATH = "/ws/collab/"


@dataclass(frozen=True)
class ChatPanel:
    room: Room
    can_post: bool
    can_moderate: bool
    archived: bool
    has_more: bool
    messages: list[dict[str, Any]]
    config: dict[str, Any]  # for the script (json_script)


def message_for_page(frame: dict[str, Any]) -> dict[str, Any]:
    """A message frame with what a template needs: datetimes and the HTML marked safe
    (it was sanitised by nh3 when rendered)."""
    return {
        **frame,
        "created": parse_datetime(frame["created_at"]),
        "html_safe": mark_safe(frame["html"]),  # sanitised by room_message_html (nh3)
    }


def chat_panel(request, room: Room | None) -> ChatPanel | None:
    """None when there is no room or the user may not read it."""
    if room is None or request is None:
        return None
    chat = room_chat_state(user=request.user, room_id=room.pk)
    if chat is None:
        return None
    user = request.user
    return ChatPanel(
        room=chat.room,
        can_post=chat.access.can_post,
        can_moderate=chat.access.can_moderate,
        archived=chat.room.archived_at is not None,
        has_more=chat.has_more,
        messages=[message_for_page(frame) for frame in chat.messages],
        config={
            "room": chat.room.pk,
            "since": chat.last_entry_id,
            "me": {"id": user.pk, "username": user.username},
            "canPost": chat.access.can_post,
            "canModerate": chat.access.can_moderate,
            "hasMore": chat.has_more,
            "oldest": chat.messages[0]["id"] if chat.messages else None,
            "messages": chat.messages,
            "maxChars": MAX_CHAT_CHARS,
            "wsPath": WS_PATH,
            "messagesUrl": reverse("collaboration_api:room-messages", args=[chat.room.pk]),
            "ratePerSecond": settings.WS_CHAT_RATE_PER_SECOND,
        },
    )


@register.simple_tag(takes_context=True)
def room_chat(context, room: Room | None) -> ChatPanel | None:
    return chat_panel(context.get("request"), room)
