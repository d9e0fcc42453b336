"""Reading a room's chat for people (REST and pages): who may do what, and its history.

The socket side (`live`) decides rights from a socket's credential; these take the user
of a request. The rules are the same (`collaboration.permissions`): a public room is read
by everyone signed in, a private one by its members and site moderators; nobody posts in
an archived room. A room's own moderators (RoomMember.is_moderator) and site moderators
delete anyone's messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Max

from ..models import Room, RoomEntryKind, RoomMember, RoomMessage
from ..permissions import can_post_in_room, can_read_room, is_moderator, is_signed_in
from .live import room_message_frame

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

ROOM_PAGE_SIZE = 50
ROOM_MAX_PAGE_SIZE = 100
ROOM_CHAT_FIRST_PAINT = 30  # messages a page shows before its script loads older ones


@dataclass(frozen=True)
class RoomAccess:
    can_read: bool
    can_post: bool
    can_moderate: bool  # delete anyone's message
    is_member: bool


NO_ACCESS = RoomAccess(can_read=False, can_post=False, can_moderate=False, is_member=False)


def room_access(*, user: User | AnonymousUser | None, room: Room) -> RoomAccess:
    """What `user` may do in `room` (one query: their membership)."""
    if not is_signed_in(user):
        return NO_ACCESS
    member = RoomMember.objects.filter(room=room, user=user).only("is_moderator").first()
    is_member = member is not None
    can_read = can_read_room(user, room, is_member=is_member)
    if not can_read:
        return NO_ACCESS
    return RoomAccess(
        can_read=True,
        can_post=can_post_in_room(user, room, is_member=is_member),
        can_moderate=is_moderator(user) or (is_member and member.is_moderator),
        is_member=is_member,
    )


def room_get_readable(
    *, user: User | AnonymousUser | None, room_id: int
) -> tuple[Room, RoomAccess] | None:
    """The room and the user's rights in it; None when it does not exist for them (not
    there, or not theirs to read: callers answer both the same way)."""
    room = Room.objects.filter(pk=room_id).first()
    if room is None:
        return None
    access = room_access(user=user, room=room)
    return (room, access) if access.can_read else None


def room_last_entry_id(*, room_id: int) -> int:
    """The id of the newest row of the room's log (0 when empty): a socket subscribing
    with it as `since` gets everything that happens after this read."""
    return RoomMessage.objects.filter(room_id=room_id).aggregate(last=Max("pk"))["last"] or 0


@dataclass(frozen=True)
class MessagePage:
    results: list[dict[str, Any]]  # message frames, oldest first
    has_more: bool  # more messages on the side the page was read from


def room_messages_page(
    *,
    room_id: int,
    before: int | None = None,
    after: int | None = None,
    limit: int = ROOM_PAGE_SIZE,
) -> MessagePage:
    """A page of the room's messages (not edits, deletions or events: messages as they are
    now), oldest first within the page.

    Without `after`, the newest `limit` messages older than `before` (if given), and
    `has_more` when older ones remain. With `after`, the oldest `limit` messages newer
    than it, and `has_more` when newer ones remain (a client catching up reads on).
    """
    messages = RoomMessage.objects.filter(room_id=room_id, kind=RoomEntryKind.MESSAGE)
    if before is not None:
        messages = messages.filter(pk__lt=before)
    messages = messages.select_related("user")
    if after is not None:
        rows = list(messages.filter(pk__gt=after).order_by("pk")[: limit + 1])
        has_more = len(rows) > limit
        rows = rows[:limit]
    else:
        rows = list(messages.order_by("-pk")[: limit + 1])
        has_more = len(rows) > limit
        rows = rows[:limit]
        rows.reverse()
    return MessagePage(results=[room_message_frame(row) for row in rows], has_more=has_more)


@dataclass(frozen=True)
class RoomChat:
    """What a page needs to show a room's chat before (and without) its script."""

    room: Room
    access: RoomAccess
    messages: list[dict[str, Any]]
    has_more: bool
    last_entry_id: int


def room_chat_state(
    *, user: User | AnonymousUser | None, room_id: int, limit: int = ROOM_CHAT_FIRST_PAINT
) -> RoomChat | None:
    """The newest messages and the user's rights, or None if they may not read the room.

    The log's last id is read first, and the messages up to it only, so a script that
    subscribes from that id misses nothing posted while the page was being rendered and
    shows nothing twice."""
    found = room_get_readable(user=user, room_id=room_id)
    if found is None:
        return None
    room, access = found
    last = room_last_entry_id(room_id=room.pk)
    page = room_messages_page(room_id=room.pk, before=last + 1, limit=limit)
    return RoomChat(
        room=room,
        access=access,
        messages=page.results,
        has_more=page.has_more,
        last_entry_id=last,
    )
