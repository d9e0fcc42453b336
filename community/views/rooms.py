"""A room's chat on its own page (`/rooms/<id>/`), for links, and posting without JavaScript.

Study groups and AMAs show their room on their own pages
(`{% include "community/_room_chat.html" with room=... %}`); this page shows it full-page
and, with `?before=<id>`, the older history for browsers without JavaScript. The chat's
form posts to `/rooms/<id>/post/` and comes back to the page it was on; with JavaScript
the widget sends over REST instead. A room the reader may not read is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from collaboration.api.rooms import RoomChatThrottle
from collaboration.models import Room
from collaboration.selectors.rooms import room_get_readable, room_messages_page
from collaboration.services.rooms import room_message_post

from ..selectors.rooms import room_home
from ..templatetags.room_chat import message_for_page

HISTORY_PAGE = 50


def _readable_room(request: HttpRequest, room_id: int):
    found = room_get_readable(user=request.user, room_id=room_id)
    if found is None:
        raise Http404("There is no such room.")
    return found


@require_safe
@login_required
def room_detail(request: HttpRequest, room_id: int) -> HttpResponse:
    room, _access = _readable_room(request, room_id)
    context = {"room": room, "home": room_home(room)}
    before = request.GET.get("before", "")
    if before:
        if not (before.isascii() and before.isdigit()) or len(before) > 18:
            raise Http404("There is no such page of messages.")
        page = room_messages_page(room_id=room.pk, before=int(before), limit=HISTORY_PAGE)
        context["history"] = [message_for_page(frame) for frame in page.results]
        context["history_has_more"] = page.has_more
    return render(request, "community/rooms/detail.html", context)


def _back(request: HttpRequest, room: Room) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("community:room-detail", args=[room.pk]) + "#chat"


@require_POST
@login_required
def room_post(request: HttpRequest, room_id: int) -> HttpResponse:
    """The chat form without JavaScript: post, then back to the page it was on."""
    room, _access = _readable_room(request, room_id)
    throttle = RoomChatThrottle()
    if not throttle.allow_request(request, None):
        messages.error(request, "You are sending messages too fast. Wait a moment, then send.")
        return redirect(_back(request, room))
    try:
        room_message_post(
            room_id=room.pk,
            user=request.user,
            message=request.POST.get("message", ""),
            message_type=request.POST.get("message_type", "text"),
        )
    except ValidationError as exc:
        messages.error(request, "Your message was not sent: " + " ".join(exc.messages))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or "You may not post in this room.")
    return redirect(_back(request, room))


PAGES = [
    path("rooms/<int:room_id>/", room_detail, name="room-detail"),
    path("rooms/<int:room_id>/post/", room_post, name="room-post"),
]
