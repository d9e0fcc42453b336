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

from .. import signals
from ..locking import take_sqlite_write_lock
from ..models import ChatMessage, Room, RoomEntryKind, RoomMember, RoomMessage
from ..permissions import can_post_in_room, can_read_room, is_moderator, is_signed_in
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


def room_member_add(room: Room, user: User, *, is_moderator: bool = False) -> RoomMember:
    """Makes `user` a member of the room (idempotent) and sets whether they moderate it:
    the flag is upserted, so calling again with `is_moderator=False` takes it away (a
    group moderator demoted, an AMA's host changed)."""
    with transaction.atomic():
        member, created = RoomMember.objects.get_or_create(
            room=room, user=user, defaults={"is_moderator": bool(is_moderator)}
        )
        if not created and member.is_moderator != bool(is_moderator):
            member.is_moderator = bool(is_moderator)
            member.save(update_fields=["is_moderator"])
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


def _lock_room(room_id: int) -> Room:
    """The room, row-locked: the log's ids grow in commit order (resume by id)."""
    take_sqlite_write_lock(Room, room_id)
    return Room.objects.select_for_update().get(pk=room_id)


def _membership(room: Room, user: User) -> RoomMember | None:
    if not is_signed_in(user):
        return None
    return RoomMember.objects.filter(room=room, user=user).first()


def _message_in_room(room: Room, message_id: int, user: User) -> RoomMessage:
    """A message of the room that `user` may read and that is not deleted; otherwise
    RoomMessage.DoesNotExist (the caller answers "no such message", telling nothing)."""
    member = _membership(room, user)
    if not is_signed_in(user) or not can_read_room(user, room, is_member=member is not None):
        raise RoomMessage.DoesNotExist("There is no such message.")
    # The room's row lock (taken by the caller) orders every change to its messages.
    message = (
        RoomMessage.objects.filter(
            room=room, pk=message_id, kind=RoomEntryKind.MESSAGE, deleted_at__isnull=True
        )
        .select_related("user")
        .first()
    )
    if message is None:
        raise RoomMessage.DoesNotExist("There is no such message.")
    return message


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
        room = _lock_room(room_id)
        member = _membership(room, user)
        if not can_post_in_room(user, room, is_member=member is not None):
            raise ActionForbidden("You may not post in this room.")
        stored = RoomMessage.objects.create(
            room=room, user=user, message=text, message_type=message_type
        )
        stored.user = user
        publish.on_commit(publish.to_room, room.pk, room_message_frame(stored))
        _announce_text(stored, room=room, is_edit=False)
    return stored


def room_message_edit(
    *,
    room_id: int,
    message_id: int,
    user: User,
    message: object,
    message_type: object = None,
) -> RoomMessage:
    """The author changes their message's text (and type, if given): the message row
    holds the new text and an `edit` row is appended to the log, so sockets and clients
    that reconnect see the change in order. Not in an archived room. Answers the message.
    """
    with transaction.atomic():
        room = _lock_room(room_id)
        stored = _message_in_room(room, message_id, user)
        if message_type is None:
            message_type = stored.message_type
        text, message_type = chat_message_clean(message=message, message_type=message_type)
        if stored.user_id != user.pk:
            raise ActionForbidden("You can only edit your own messages.")
        if room.archived_at is not None:
            raise ActionForbidden("This chat is closed: its messages can no longer be edited.")
        if not can_post_in_room(user, room, is_member=_membership(room, user) is not None):
            raise ActionForbidden("You may no longer post in this room.")
        if text == stored.message and message_type == stored.message_type:
            return stored  # nothing changed: no log row, no frame
        stored.message = text
        stored.message_type = message_type
        stored.edited_at = timezone.now()
        stored.save(update_fields=["message", "message_type", "edited_at"])
        entry = RoomMessage.objects.create(
            room=room,
            user=user,
            kind=RoomEntryKind.EDIT,
            target=stored,
            message=text,
            message_type=message_type,
        )
        entry.target = stored
        publish.on_commit(publish.to_room, room.pk, room_entry_frame(entry))
        _announce_text(stored, room=room, is_edit=True)
    return stored


def room_message_delete(*, room_id: int, message_id: int, user: User) -> RoomMessage:
    """Deletes a message: its author, the room's moderators and site moderators may.
    Everyone sees a placeholder from then on; the text stays in the row for moderators
    (the admin), never in an answer or a frame. Deleting a deleted message changes
    nothing. Answers the message."""
    with transaction.atomic():
        room = _lock_room(room_id)
        already = RoomMessage.objects.filter(
            room=room, pk=message_id, kind=RoomEntryKind.MESSAGE, deleted_at__isnull=False
        ).first()
        if already is not None and room_message_can_delete(room=room, message=already, user=user):
            return already  # DELETE is idempotent
        stored = _message_in_room(room, message_id, user)
        if not room_message_can_delete(room=room, message=stored, user=user):
            raise ActionForbidden(
                "You can delete your own messages; only moderators delete other people's."
            )
        stored.deleted_at = timezone.now()
        stored.deleted_by = user
        stored.save(update_fields=["deleted_at", "deleted_by"])
        entry = RoomMessage.objects.create(
            room=room, user=user, kind=RoomEntryKind.DELETE, target=stored, message=""
        )
        publish.on_commit(publish.to_room, room.pk, room_entry_frame(entry))
    return stored


def room_message_can_delete(*, room: Room, message: RoomMessage, user: User) -> bool:
    """The author (while they may read the room), its moderators, site moderators."""
    if not is_signed_in(user):
        return False
    if is_moderator(user):
        return True
    member = _membership(room, user)
    if member is None and not can_read_room(user, room, is_member=False):
        return False
    return message.user_id == user.pk or (member is not None and member.is_moderator)


def _announce_text(message: RoomMessage, *, room: Room, is_edit: bool) -> None:
    """Tells other apps (mentions) about text people can read now, inside the transaction
    that stored it: their notifications are queued for after the commit."""
    signals.room_message_posted.send(
        sender=RoomMessage,
        message_id=message.pk,
        room_id=room.pk,
        author_id=message.user_id,
        text=message.message if message.message_type == ChatMessage.MessageType.TEXT else "",
        is_edit=is_edit,
    )


def room_event_post(*, room_id: int, frame: dict) -> RoomMessage:
    """Appends an app's event to the room's log and sends it to the room's sockets once
    committed (call inside the transaction that made the change). `frame` is the frame
    they get: a `type` of the app's own ("ama_question", ...) and JSON fields; `id` and
    `room` are added. In the log, a client that reconnects replays it in order."""
    if not isinstance(frame.get("type"), str) or "id" in frame:
        raise ValueError("an event frame needs a string 'type' and no 'id'")
    with transaction.atomic():
        _lock_room(room_id)
        entry = RoomMessage.objects.create(
            room_id=room_id, kind=RoomEntryKind.EVENT, payload=frame, message=""
        )
        publish.on_commit(publish.to_room, room_id, room_entry_frame(entry))
    return entry
