"""Notifications on the platform's seams: the user topic's backlog (a tab that reconnects
with `user_since` gets the notifications it missed, then live ones) and the watch control
on document pages."""

from __future__ import annotations

from django.http import HttpRequest

from collaboration.models import Document
from collaboration.permissions import is_signed_in
from collaboration.realtime import wire
from collaboration.realtime.topics import register_backlog
from config import panels

from ..selectors import notifications as selectors
from ..services import watches

WATCH_TEMPLATE = "community/notifications/_document_watch.html"


def document_watch_panel(request: HttpRequest, document: Document) -> panels.Panel | None:
    """ "Watch this document" for people signed in; seeing the page resets its unread count."""
    user = request.user
    if not is_signed_in(user):
        return None
    watches.watch_seen(user=user, target=document)
    return panels.Panel(
        WATCH_TEMPLATE,
        {
            "target_type": "document",
            "target_id": document.pk,
            "level": selectors.watch_level(user, document=document),
            "next": request.get_full_path(),
            "what": "document",
        },
    )


register_backlog(wire.USER, selectors.backlog)
panels.register("document", "community.watch", document_watch_panel)
