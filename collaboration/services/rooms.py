"""Live rooms (the chat of a study group or an AMA): members, messages, closing.

A room is a topic sockets subscribe to (`{"type": "subscribe", "room": id}`); the apps
that own study groups and AMAs create rooms and keep their members here. Every change to
who may read a room bumps its access version and is announced after commit, so a member
who leaves stops receiving the room's messages at once. Messages are stored under the
room's row lock, so their ids grow in commit order and a client that reconnects resumes
from the last id it saw without missing one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..locking import take_sqlite_write_lock
from ..models import ChatMessage, Room, RoomEntryKind, RoomMember, RoomMessage
from ..permissions import can_post_in_room
from ..realtime import publish
from ..selectors import room_entry_frame, room_message_frame
from .chat import chat_message_clean
from .errors import ActionForbidden
from .validation import clean_text

if TYPE_CHECKING:
    from collections.abc import Iterable

    from accounts.models import User

ROOM_TITLE_MAX_CHARS = 200


def room_access_changed(*, room_id: int) -> None:
    """Bumps the room's access version and announces it after commit (call inside the
    transaction that changed who may read it)."""
    Room.objects.filter(pk=room_id).update(access_version=F("access_version") + 1)
    publish.on_commit(publish.access_changed, room_id=room_id)


def room_create(
    *,
    kind: str,
    title: str,
    is_public: bool = False,
    created_by: User | None = None,
    members: Iterable[User] = (),
) -> Room:
    """A new room; `kind` names what it belongs to (study_group, ama, ...)."""
    title = clean_text(title, "title", max_chars=ROOM_TITLE_MAX_CHARS, name="title")
    with transaction.atomic():
        room = Room.objects.create(
            kind=kind, title=title, is_public=bool(is_public), created_by=created_by
        )
        RoomMember.objects.bulk_create(
            [RoomMember(room=room, user=user) for user in {u.pk: u for u in members}.values()]
        )
    return room


def room_member_add(*, room: Room, user: User) -> RoomMember:
    with transaction.atomic():
        member, _created = RoomMember.objects.get_or_create(room=room, user=user)
    return member


def room_member_remove(*, room: Room, user: User) -> bool:
    """Takes `user` out of the room; their open subscriptions end at once (private rooms)."""
    with transaction.atomic():
        deleted, _ = RoomMember.objects.filter(room=room, user=user).delete()
        if deleted:
            room_access_changed(room_id=room.pk)
    return deleted > 0


def room_set_public(*, room: Room, is_public: bool) -> Room:
    with transaction.atomic():
        Room.objects.filter(pk=room.pk).update(is_public=bool(is_public))
        room.is_public = bool(is_public)
        room_access_changed(room_id=room.pk)
    return room


def room_archive(*, room: Room) -> Room:
    """Closes the room for new messages; its history stays readable."""
    with transaction.atomic():
        Room.objects.filter(pk=room.pk, archived_at__isnull=True).update(archived_at=timezone.now())
        room.refresh_from_db(fields=["archived_at"])
        room_access_changed(room_id=room.pk)
    return room


def room_message_post(
    *,
    room_id: int,
    user: User,
    message: object,
    message_type: object = ChatMessage.MessageType.TEXT,
) -> RoomMessage:
    """Stores a message from someone who may post, and sends it to the room's sockets
    (every process) once it is committed."""
    text, message_type = chat_message_clean(message=message, message_type=message_type)
    with transaction.atomic():
        take_sqlite_write_lock(Room, room_id)
        # The room's row lock orders messages: ids grow in commit order (resume by id).
        room = Room.objects.select_for_update().get(pk=room_id)
        is_member = RoomMember.objects.filter(room=room, user=user).exists()
        if not can_post_in_room(user, room, is_member=is_member):
            raise ActionForbidden("You may not post in this room.")
        stored = RoomMessage.objects.create(
            room=room, user=user, message=text, message_type=message_type
        )
        stored.user = user
        publish.on_commit(publish.to_room, room.pk, room_message_frame(stored))
    return stored


def room_event_post(*, room_id: int, frame: dict) -> RoomMessage:
    """Appends an app's event to the room's log and sends it to the room's sockets once
    committed (call inside the transaction that made the change). `frame` is the frame
    they get: a `type` of the app's own ("ama_question", ...) and JSON fields; `id` and
    `room` are added. In the log, a client that reconnects replays it in order."""
    if not isinstance(frame.get("type"), str) or "id" in frame:
        raise ValueError("an event frame needs a string 'type' and no 'id'")
    with transaction.atomic():
        take_sqlite_write_lock(Room, room_id)
        Room.objects.select_for_update().filter(pk=room_id).values_list("pk", flat=True).get()
        entry = RoomMessage.objects.create(
            room_id=room_id, kind=RoomEntryKind.EVENT, payload=frame, message=""
        )
        publish.on_commit(publish.to_room, room_id, room_entry_frame(entry))
    return entry
