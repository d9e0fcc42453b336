"""What open sockets need to know: their rights now, the versions to poll, room backlogs.

`socket_verdicts` decides, for many sockets at once and in a handful of queries, whether
each one's sign-in still holds and what it may do with its document, the documents whose
topic it subscribed to (document pages) and its rooms. Sockets
call it when they join, when an access change is announced, when a poll finds a version
moved, and when a commit finds their stamp out of date. The rules themselves are those of
`collaboration.permissions` and `accounts.credentials`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.credentials import Credential, credential_holds
from accounts.models import ApiKey, credential_stamp

from ..markdown import render_markdown
from ..models import (
    ChatMessage,
    Document,
    DocumentMember,
    Room,
    RoomEntryKind,
    RoomMember,
    RoomMessage,
)
from ..permissions import can_post_in_room, can_read_room, document_access
from .operations import document_find

if TYPE_CHECKING:
    from accounts.models import User

ROOM_BACKLOG_LIMIT = 500


@dataclass(frozen=True)
class SocketReview:
    """One socket's question: does `credential` still hold, and what may it do?"""

    credential: Credential
    document_id: int | None = None
    room_ids: tuple[int, ...] = ()
    subscribed_document_ids: tuple[int, ...] = ()  # topics followed without joining


@dataclass
class SocketVerdict:
    signed_in: bool
    reason: str = ""  # why not signed in: signed_out, account_disabled, account_suspended
    username: str = ""
    user_version: int = 0
    document_exists: bool = False
    can_read: bool = False
    can_edit: bool = False
    document_version: int | None = None
    rooms: dict[int, RoomVerdict] = field(default_factory=dict)
    documents: dict[int, TopicVerdict] = field(default_factory=dict)  # subscribed ones


@dataclass(frozen=True)
class RoomVerdict:
    can_read: bool
    can_post: bool
    access_version: int


@dataclass(frozen=True)
class TopicVerdict:
    """May the user go on reading a document's topic (without having joined it)?"""

    exists: bool
    can_read: bool
    access_version: int


def _sign_in_reason(user: User | None, credential: Credential, api_key_active: bool) -> str:
    if credential_holds(credential, user, api_key_active=api_key_active):
        return ""
    if user is None or not user.is_active:
        return "account_disabled"
    if user.is_suspended:
        return "account_suspended"
    return "signed_out"


def socket_verdicts(reviews: list[SocketReview]) -> list[SocketVerdict]:
    """A verdict per review, in order (at most six queries whatever the number)."""
    user_ids = {r.credential.user_id for r in reviews}
    document_ids = {r.document_id for r in reviews if r.document_id is not None}
    document_ids.update(d for r in reviews for d in r.subscribed_document_ids)
    room_ids = {room for r in reviews for room in r.room_ids}
    key_ids = {r.credential.api_key_id for r in reviews if r.credential.api_key_id is not None}

    users = get_user_model().objects.in_bulk(user_ids)
    documents = Document.objects.only(
        "id", "owner_id", "visibility", "edit_policy", "access_version"
    ).in_bulk(document_ids)
    roles = {
        (d, u): role
        for d, u, role in DocumentMember.objects.filter(
            document_id__in=document_ids, user_id__in=user_ids
        ).values_list("document_id", "user_id", "role")
    }
    active_keys = set(
        ApiKey.objects.filter(pk__in=key_ids, revoked_at__isnull=True).values_list("pk", flat=True)
    )
    rooms = Room.objects.in_bulk(room_ids)
    room_members = set(
        RoomMember.objects.filter(room_id__in=room_ids, user_id__in=user_ids).values_list(
            "room_id", "user_id"
        )
    )

    verdicts = []
    for review in reviews:
        credential = review.credential
        user = users.get(credential.user_id)
        reason = _sign_in_reason(user, credential, credential.api_key_id in active_keys)
        if reason:
            verdicts.append(SocketVerdict(signed_in=False, reason=reason))
            continue
        verdict = SocketVerdict(
            signed_in=True, username=user.username, user_version=user.access_version
        )
        document = documents.get(review.document_id) if review.document_id else None
        if document is not None:
            access = document_access(user, document, member_role=roles.get((document.pk, user.pk)))
            verdict.document_exists = True
            verdict.can_read = access.can_read
            verdict.can_edit = access.can_edit
            verdict.document_version = document.access_version
        for document_id in review.subscribed_document_ids:
            followed = documents.get(document_id)
            if followed is None:
                verdict.documents[document_id] = TopicVerdict(False, False, 0)
                continue
            access = document_access(user, followed, member_role=roles.get((document_id, user.pk)))
            verdict.documents[document_id] = TopicVerdict(
                exists=True, can_read=access.can_read, access_version=followed.access_version
            )
        for room_id in review.room_ids:
            room = rooms.get(room_id)
            if room is None:
                verdict.rooms[room_id] = RoomVerdict(False, False, 0)
                continue
            member = (room_id, user.pk) in room_members
            verdict.rooms[room_id] = RoomVerdict(
                can_read=can_read_room(user, room, is_member=member),
                can_post=can_post_in_room(user, room, is_member=member),
                access_version=room.access_version,
            )
        verdicts.append(verdict)
    return verdicts


@dataclass
class AccessSnapshot:
    """What the watchdog compares with what its sockets were decided on."""

    documents: dict[int, tuple[int, int]]  # id -> (revision, access_version)
    users: dict[int, tuple[int, str, bool]]  # id -> (access_version, stamp, may sign in)
    rooms: dict[int, int]  # id -> access_version


def access_snapshot(
    *, document_ids: list[int], user_ids: list[int], room_ids: list[int]
) -> AccessSnapshot:
    """Current revisions and access versions, for one poll (three small queries)."""
    documents = {
        pk: (revision, version)
        for pk, revision, version in Document.objects.filter(pk__in=document_ids).values_list(
            "pk", "revision", "access_version"
        )
    }
    now = timezone.now()
    users = {
        pk: (
            version,
            credential_stamp(password, generation),
            active and not (until and until > now),
        )
        for pk, version, password, generation, active, until in get_user_model()
        .objects.filter(pk__in=user_ids)
        .values_list(
            "pk", "access_version", "password", "session_generation", "is_active", "suspended_until"
        )
    }
    rooms = dict(Room.objects.filter(pk__in=room_ids).values_list("pk", "access_version"))
    return AccessSnapshot(documents=documents, users=users, rooms=rooms)


# --- document topics -----------------------------------------------------------------------


@dataclass(frozen=True)
class FollowedDocument:
    """A document whose topic a socket may follow without joining it."""

    id: int
    slug: str
    title: str
    access_version: int


def document_find_readable(*, ref: str | int, credential: Credential) -> FollowedDocument | None:
    """The document `ref` (id or slug) names, if the user may read it; None otherwise (a
    document the user may not read does not exist for them). Decided as joining is."""
    document = document_find(ref=ref)
    if document is None:
        return None
    review = SocketReview(credential=credential, subscribed_document_ids=(document.pk,))
    (verdict,) = socket_verdicts([review])
    topic = verdict.documents.get(document.pk) if verdict.signed_in else None
    if topic is None or not topic.can_read:
        return None
    return FollowedDocument(
        id=document.pk,
        slug=document.slug,
        title=document.title,
        access_version=topic.access_version,
    )


# --- rooms ------------------------------------------------------------------------------


def room_find_readable(*, room_id: int, credential: Credential) -> tuple[Room, RoomVerdict] | None:
    """The room and the user's rights in it, or None if it does not exist for them."""
    (verdict,) = socket_verdicts([SocketReview(credential=credential, room_ids=(room_id,))])
    room_verdict = verdict.rooms.get(room_id) if verdict.signed_in else None
    if room_verdict is None or not room_verdict.can_read:
        return None
    return Room.objects.get(pk=room_id), room_verdict


def room_entry_frame(entry: RoomMessage) -> dict[str, Any]:
    """A row of a room's log as the frame its sockets get (without `topic`).

    Edit and delete rows carry their message's current state, read with the row
    (`room_backlog` selects `target`): a client replaying the log ends where the room is,
    and the text of a message deleted since is never sent again."""
    if entry.kind == RoomEntryKind.EVENT:
        # An app's event: its payload is the frame (`type` named by the app).
        return {**entry.payload, "id": entry.pk, "room": entry.room_id}
    if entry.kind == RoomEntryKind.EDIT:
        return room_edit_frame(entry)
    if entry.kind == RoomEntryKind.DELETE:
        return {
            "type": "room_message_deleted",
            "id": entry.pk,
            "room": entry.room_id,
            "message_id": entry.target_id,
        }
    return room_message_frame(entry)


def _timestamp(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def room_message_html(text: str, message_type: str) -> str:
    """A message as safe HTML: Markdown rendered as documents are (raw HTML off, nh3 after,
    links rel="noopener nofollow"); code messages shown as they were typed."""
    if message_type == ChatMessage.MessageType.CODE:
        return f'<pre class="room-code"><code>{html.escape(text)}</code></pre>'
    return render_markdown(text)


def room_message_frame(message: RoomMessage) -> dict[str, Any]:
    """A room message as the `room_message` frame on the room's topic (without `topic`), in
    its current state: edited text, or no text at all once deleted."""
    user = message.user
    deleted = message.deleted_at is not None
    text = "" if deleted else message.message
    return {
        "type": "room_message",
        "id": message.pk,
        "room": message.room_id,
        "user": {"id": user.pk, "username": user.username} if user else None,
        "message": text,
        "message_type": message.message_type,
        "html": "" if deleted else room_message_html(text, message.message_type),
        "created_at": _timestamp(message.created_at),
        "edited_at": _timestamp(message.edited_at),
        "deleted": deleted,
    }


def room_edit_frame(entry: RoomMessage) -> dict[str, Any]:
    """`room_message_edited` for an edit row: the message's text now (none if deleted)."""
    target = entry.target
    deleted = target.deleted_at is not None
    text = "" if deleted else target.message
    return {
        "type": "room_message_edited",
        "id": entry.pk,
        "room": entry.room_id,
        "message_id": target.pk,
        "message": text,
        "message_type": target.message_type,
        "html": "" if deleted else room_message_html(text, target.message_type),
        "edited_at": _timestamp(target.edited_at),
        "deleted": deleted,
    }


def room_backlog(*, room_id: int, after: int, limit: int = ROOM_BACKLOG_LIMIT) -> list[dict]:
    """The frames of a room's log with id > `after`, oldest first, at most `limit`."""
    entries = (
        RoomMessage.objects.filter(room_id=room_id, pk__gt=after)
        .select_related("user", "target")
        .order_by("pk")[:limit]
    )
    return [room_entry_frame(entry) for entry in entries]
