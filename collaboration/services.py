"""Every write to documents, members, sessions and chat, with its rules and side effects.

Each service owns its transaction; broadcasts run in `transaction.on_commit`, so nobody
hears of a change that was rolled back. Changes to a document's text go through
`commit.commit_operations` and nowhere else. Who may do what is decided in
`permissions`; services refuse with `ActionForbidden` (a Django PermissionDenied) and
bad input with Django's `ValidationError` (a message per field), which the API turns
into 403 and 400 responses.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from . import commit, history, ot
from .models import (
    ChatMessage,
    CollaborationSession,
    Document,
    DocumentMember,
    EditPolicy,
    MemberRole,
    Operation,
    SessionParticipant,
    Snapshot,
    Tag,
    Visibility,
)
from .permissions import (
    can_edit_document,
    can_manage_document,
    can_read_document,
    is_moderator,
    is_signed_in,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from accounts.models import User

logger = logging.getLogger(__name__)

TAG_SLUG_RE = re.compile(r"^[a-z0-9-]{1,50}$")
MAX_TAGS = 20
MAX_CHAT_CHARS = 4000
MAX_CLIENT_OP_ID_CHARS = 100  # Operation.client_op_id's max_length
MAX_PARTICIPANTS_LIMIT = 100
TITLE_MAX_CHARS = 200
SLUG_MAX_CHARS = 220


class ActionForbidden(PermissionDenied):
    """The user may see the object but not do this to it; the message says why."""


class SessionError(Exception):
    """A collaboration session refused a join; `code` names the reason for clients."""

    code = "session_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class SessionFull(SessionError):
    code = "session_full"


class SessionForbidden(SessionError):
    code = "forbidden"


class SessionClosed(SessionError):
    code = "session_closed"


# --- small helpers ---------------------------------------------------------------------------


def _broadcast_committed(document_id: int, frames: list[dict[str, Any]]) -> None:
    # Imported here: realtime imports the channel layer, and it may not exist yet.
    from . import realtime

    broadcast = getattr(realtime, "broadcast_committed", None)
    if broadcast is None:
        return
    try:
        broadcast(document_id, frames)
    except Exception:
        # The commit stands; clients that miss a frame catch up with ops_since.
        logger.exception("broadcast of document %s revisions failed", document_id)


def _contains_nul(value: object, depth: int = 0) -> bool:
    """PostgreSQL stores no NUL character in text or JSON: refuse it before the database."""
    if isinstance(value, str):
        return "\x00" in value
    if depth < 3 and isinstance(value, list | tuple):
        return any(_contains_nul(item, depth + 1) for item in value)
    if depth < 3 and isinstance(value, dict):
        return any(_contains_nul(item, depth + 1) for item in value.values())
    return False


def _clean_title(title: object) -> str:
    if not isinstance(title, str) or not title.strip():
        raise ValidationError({"title": ["A title is required."]})
    title = " ".join(title.split())
    if _contains_nul(title):
        raise ValidationError({"title": ["NUL characters are not allowed."]})
    if len(title) > TITLE_MAX_CHARS:
        raise ValidationError({"title": [f"At most {TITLE_MAX_CHARS} characters."]})
    return title


def _clean_choice(value: object, choices: type, field: str) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise ValidationError({field: [f"{value!r} is not one of: {allowed}."]})
    return str(value)


def _check_size(content: str, field: str = "content") -> None:
    limit = settings.MAX_DOCUMENT_CHARS
    if len(content) > limit:
        raise ValidationError(
            {field: [f"The document would have {len(content)} characters; the limit is {limit}."]}
        )


def _clean_tag_slugs(slugs: Iterable[str]) -> list[str]:
    """The slugs, deduplicated in order; ValidationError on a malformed one."""
    wanted: list[str] = []
    for slug in slugs:
        if not isinstance(slug, str) or not TAG_SLUG_RE.match(slug):
            raise ValidationError(
                {"tags": [f"{str(slug)[:60]!r} is not a tag slug (a-z, 0-9 and '-', 1-50)."]}
            )
        if slug not in wanted:
            wanted.append(slug)
    if len(wanted) > MAX_TAGS:
        raise ValidationError({"tags": [f"At most {MAX_TAGS} tags."]})
    return wanted


def _tags_from_slugs(slugs: list[str]) -> list[Tag]:
    """The tags named by these clean slugs, created when missing."""
    existing = {tag.slug: tag for tag in Tag.objects.filter(slug__in=slugs)}
    tags = []
    for slug in slugs:
        tag = existing.get(slug)
        if tag is None:
            # get_or_create: another request may create the same tag at the same time.
            tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": slug.replace("-", " ")})
        tags.append(tag)
    return tags


def _base_slug(title: str) -> str:
    # Room for "doc-", a random "-xxxxxx" and a "-NNNNNNN" counter within the column.
    base = slugify(title)[: SLUG_MAX_CHARS - 20].strip("-") or "document"
    # An all-digit slug would read as a document id in /api/documents/{id}/.
    return f"doc-{base}" if base.isdigit() else base


def _unique_slug(base: str) -> str:
    taken = set(
        Document.objects.filter(slug__regex=rf"^{re.escape(base)}(-[0-9]+)?$").values_list(
            "slug", flat=True
        )
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _user_by_username(username: object, field: str = "username") -> User:
    user_model = get_user_model()
    if not isinstance(username, str) or not username.strip():
        raise ValidationError({field: ["A username is required."]})
    user = user_model.objects.filter(username__iexact=username.strip(), is_active=True).first()
    if user is None:
        raise ValidationError({field: [f"There is no active user {username.strip()[:150]!r}."]})
    return user


# --- documents -------------------------------------------------------------------------------


def document_create(
    *,
    owner: User,
    title: str,
    content: str = "",
    tags: Iterable[str] = (),
    visibility: str = Visibility.PUBLIC,
    edit_policy: str = EditPolicy.OPEN,
) -> Document:
    """A new document at revision 0, with a snapshot of its initial text.

    The slug comes from the title, with "-2", "-3", ... added when it is taken.
    """
    if not is_signed_in(owner):
        raise ActionForbidden("Sign in to create documents.")
    title = _clean_title(title)
    if not isinstance(content, str):
        raise ValidationError({"content": ["Content must be text."]})
    try:
        ot.validate([content] if content else [])
    except ot.InvalidOperation as exc:
        raise ValidationError({"content": [str(exc).replace("component 0", "content")]}) from None
    if _contains_nul(content):
        raise ValidationError({"content": ["NUL characters are not allowed."]})
    _check_size(content)
    visibility = _clean_choice(visibility, Visibility, "visibility")
    edit_policy = _clean_choice(edit_policy, EditPolicy, "edit_policy")
    tag_slugs = _clean_tag_slugs(tags)
    base = _base_slug(title)
    for attempt in range(5):
        # After two lost races for the same slug, stop counting and add a random suffix.
        slug = _unique_slug(base if attempt < 2 else f"{base}-{uuid.uuid4().hex[:6]}")
        try:
            with transaction.atomic():
                # The insert comes first: on SQLite it takes the write lock before any read.
                document = Document.objects.create(
                    title=title,
                    slug=slug,
                    content=content,
                    revision=0,
                    owner=owner,
                    visibility=visibility,
                    edit_policy=edit_policy,
                )
                document.tags.set(_tags_from_slugs(tag_slugs))
                Snapshot.objects.create(document=document, revision=0, content=content)
            return document
        except IntegrityError:
            # Another document took the same slug between our check and our insert;
            # anything else is a real error.
            if not Document.objects.filter(slug=slug).exists():
                raise
    raise ValidationError({"title": ["Could not choose a unique slug; try another title."]})


def document_update_metadata(
    *,
    document: Document,
    user: User,
    title: str | None = None,
    tags: Iterable[str] | None = None,
    visibility: str | None = None,
    edit_policy: str | None = None,
) -> Document:
    """Changes title, tags, visibility or edit policy (owner or moderator).

    The slug stays as it is, so links keep working after a rename. The text never
    changes here: that goes through operations.
    """
    if not can_manage_document(user, document):
        raise ActionForbidden("Only the document's owner or a moderator may change it.")
    fields: list[str] = []
    tag_slugs = None if tags is None else _clean_tag_slugs(tags)
    if title is not None:
        document.title = _clean_title(title)
        fields.append("title")
    if visibility is not None:
        document.visibility = _clean_choice(visibility, Visibility, "visibility")
        fields.append("visibility")
    if edit_policy is not None:
        document.edit_policy = _clean_choice(edit_policy, EditPolicy, "edit_policy")
        fields.append("edit_policy")
    with transaction.atomic():
        if fields:
            document.save(update_fields=[*fields, "updated_at"])
        if tag_slugs is not None:
            document.tags.set(_tags_from_slugs(tag_slugs))
    return document


def document_delete(*, document: Document, user: User) -> None:
    """Deletes the document with its log, snapshots, sessions and chat (owner or moderator)."""
    if not can_manage_document(user, document):
        raise ActionForbidden("Only the document's owner or a moderator may delete it.")
    with transaction.atomic():
        document.delete()


def document_member_set(
    *, document: Document, username: str, role: str, by: User
) -> DocumentMember:
    """Adds `username` as editor or viewer, or changes their role (owner or moderator)."""
    if not can_manage_document(by, document):
        raise ActionForbidden("Only the document's owner or a moderator may change its members.")
    role = _clean_choice(role, MemberRole, "role")
    member_user = _user_by_username(username)
    if member_user.pk == document.owner_id:
        raise ValidationError({"username": ["The owner is not listed as a member."]})
    with transaction.atomic():
        member, _created = DocumentMember.objects.update_or_create(
            document=document, user=member_user, defaults={"role": role}
        )
    return member


def document_member_remove(*, document: Document, username: str, by: User) -> bool:
    """Removes a member; False when `username` was not one (owner or moderator)."""
    if not can_manage_document(by, document):
        raise ActionForbidden("Only the document's owner or a moderator may change its members.")
    deleted, _ = DocumentMember.objects.filter(
        document=document, user__username__iexact=str(username).strip()
    ).delete()
    return deleted > 0


# --- operations ------------------------------------------------------------------------------


def _check_client_op_id(client_op_id: object) -> str:
    if not isinstance(client_op_id, str) or not client_op_id.strip():
        raise ValidationError({"client_op_id": ["A non-empty client_op_id is required."]})
    if len(client_op_id) > MAX_CLIENT_OP_ID_CHARS:
        raise ValidationError({"client_op_id": [f"At most {MAX_CLIENT_OP_ID_CHARS} characters."]})
    return client_op_id


def _check_base_revision(base_revision: object) -> int:
    if type(base_revision) is not int or base_revision < 0:
        raise ValidationError({"revision": ["The base revision must be an integer >= 0."]})
    return base_revision


def _take_sqlite_write_lock(model: type, pk: int) -> None:
    """On SQLite, take the database write lock now. Call first inside transaction.atomic().

    SQLite ignores FOR UPDATE, and a transaction that reads first and writes later fails
    at once with "database is locked" when another one writes meanwhile (instead of
    waiting). A no-op UPDATE as the first statement takes the write lock up front and
    waits for it up to the connection's timeout. (Setting OPTIONS["transaction_mode"] =
    "IMMEDIATE" for SQLite in settings would do the same for every transaction.)
    """
    if connection.vendor == "sqlite":
        model.objects.filter(pk=pk).update(id=F("id"))


def _commit_one(*, document_id: int, item: commit.PendingOperation) -> commit.CommitResult:
    """Commits one operation and broadcasts it once the outermost transaction commits."""
    with transaction.atomic():
        _take_sqlite_write_lock(Document, document_id)
        results, _state = commit.commit_operations(document_id=document_id, pending=[item])
        result = results[0]
        if result.committed:
            frames = [result.frame()]
            transaction.on_commit(lambda: _broadcast_committed(document_id, frames))
    return result


def document_apply_operation(
    *,
    document_id: int,
    user: User,
    base_revision: int,
    client_op_id: str,
    ops: list[ot.Op] | None = None,
    simple: dict[str, Any] | None = None,
    source: str = "api",
) -> commit.CommitResult:
    """Commits one edit made against `base_revision`, transformed onto the current text.

    Exactly one of `ops` (list form) and `simple` (insert/delete form) is given. The
    result is committed, a duplicate of an earlier commit with the same client_op_id
    (nothing changes; its original revision is given), or carries a `CommitError` whose
    code is the protocol's: invalid_operation, revision_too_old, document_too_large.
    Raises ActionForbidden when the user may not edit, Document.DoesNotExist when the
    document is gone, and ValidationError for a malformed revision or client_op_id.
    """
    base_revision = _check_base_revision(base_revision)
    client_op_id = _check_client_op_id(client_op_id)
    document = Document.objects.only("id", "owner_id", "visibility", "edit_policy").get(
        pk=document_id
    )
    if not can_edit_document(user, document):
        raise ActionForbidden("You may read this document but not edit it.")
    problem = None
    if (ops is None) == (simple is None):
        problem = "give exactly one of 'ops' and a simple insert/delete edit"
    elif _contains_nul(ops) or _contains_nul(simple):
        problem = "text may not contain NUL characters"
    if problem is not None:
        result = commit.CommitResult(client_op_id=client_op_id, user_id=user.pk)
        result.error = commit.CommitError("invalid_operation", problem)
        return result
    item = commit.PendingOperation(
        client_op_id=client_op_id,
        base_revision=base_revision,
        user_id=user.pk,
        ops=ops,
        simple=simple,
        source=source,
    )
    return _commit_one(document_id=document_id, item=item)


def document_restore(*, document_id: int, user: User, revision: int) -> commit.CommitResult:
    """Commits, as a new revision, the change that brings the text back to `revision`.

    The document row is locked while the change is computed, so the new revision's text is
    exactly the old one. Raises history.RevisionOutOfRange / HistoryUnavailable when that
    revision cannot be rebuilt, and ActionForbidden when the user may not edit.
    """
    document = Document.objects.only("id", "owner_id", "visibility", "edit_policy").get(
        pk=document_id
    )
    if not can_edit_document(user, document):
        raise ActionForbidden("You may read this document but not edit it.")
    if type(revision) is not int:
        raise ValidationError({"revision": ["The revision must be an integer."]})
    with transaction.atomic():
        _take_sqlite_write_lock(Document, document_id)
        current_revision, current = (
            Document.objects.select_for_update()
            .filter(pk=document_id)
            .values_list("revision", "content")
            .get()
        )
        old = history.content_at(document_id=document_id, revision=revision)
        item = commit.PendingOperation(
            client_op_id=f"restore-{uuid.uuid4()}",
            base_revision=current_revision,
            user_id=user.pk,
            ops=history.minimal_operation(current, old),
            source="restore",
        )
        return _commit_one(document_id=document_id, item=item)


def operations_prune(*, document_id: int, keep: int) -> int:
    """Deletes the document's operations older than its newest `keep`, returns how many.

    Only operations at or below the newest snapshot at or below that cut are deleted, so
    every revision from that snapshot on can still be rebuilt (history.content_at). Base
    revisions older than what is kept get `revision_too_old`.
    """
    if type(keep) is not int or keep < 0:
        raise ValueError("keep must be an integer >= 0")
    with transaction.atomic():
        # Lock the row: the commit path must not read the log while it shrinks.
        _take_sqlite_write_lock(Document, document_id)
        current = (
            Document.objects.select_for_update()
            .filter(pk=document_id)
            .values_list("revision", flat=True)
            .first()
        )
        if current is None:
            return 0
        cut = current - keep
        if cut <= 0:
            return 0
        floor = (
            Snapshot.objects.filter(document_id=document_id, revision__lte=cut)
            .order_by("-revision")
            .values_list("revision", flat=True)
            .first()
        )
        if not floor:
            return 0
        deleted, _ = Operation.objects.filter(document_id=document_id, revision__lte=floor).delete()
    return deleted


# --- collaboration sessions ------------------------------------------------------------------


def presence_cutoff() -> datetime:
    """Participants last seen before this are gone (their socket died without a leave)."""
    return timezone.now() - timedelta(seconds=settings.PRESENCE_TTL_SECONDS)


def session_may_join(*, session: CollaborationSession, user: User) -> bool:
    """Public sessions: anyone who can read the document. Private ones: the creator,
    invited users and moderators (who may also end any session)."""
    if not is_signed_in(user) or not can_read_document(user, session.document):
        return False
    if not session.is_private or session.created_by_id == user.pk or is_moderator(user):
        return True
    return session.invited.filter(pk=user.pk).exists()


def session_create(
    *,
    document: Document,
    user: User,
    max_participants: int = 10,
    is_private: bool = False,
    invited_usernames: Iterable[str] = (),
) -> CollaborationSession:
    if not is_signed_in(user) or not can_read_document(user, document):
        raise ActionForbidden("Sign in with access to the document to start a session.")
    if type(max_participants) is not int or not 1 <= max_participants <= MAX_PARTICIPANTS_LIMIT:
        raise ValidationError(
            {"max_participants": [f"Must be an integer from 1 to {MAX_PARTICIPANTS_LIMIT}."]}
        )
    invited = []
    for username in invited_usernames:
        invitee = _user_by_username(username, field="invited")
        if invitee.pk != user.pk and invitee not in invited:
            invited.append(invitee)
    with transaction.atomic():
        session = CollaborationSession.objects.create(
            document=document,
            created_by=user,
            max_participants=max_participants,
            is_private=bool(is_private),
        )
        if invited:
            session.invited.set(invited)
    return session


def session_end(*, session: CollaborationSession, user: User) -> CollaborationSession:
    """Ends the session for everyone (its creator or a moderator)."""
    if not (is_moderator(user) or (is_signed_in(user) and session.created_by_id == user.pk)):
        raise ActionForbidden("Only the session's creator or a moderator may end it.")
    with transaction.atomic():
        _take_sqlite_write_lock(CollaborationSession, session.pk)
        session = CollaborationSession.objects.select_for_update().get(pk=session.pk)
        if session.is_active:
            session.is_active = False
            session.ended_at = timezone.now()
            session.save(update_fields=["is_active", "ended_at"])
        SessionParticipant.objects.filter(session=session).delete()
    return session


def _lock_session(session_id: int) -> CollaborationSession:
    """Locks the session row until the transaction ends. Call inside transaction.atomic()."""
    # On SQLite this is what makes two joins queue up instead of both counting the
    # participants and then both inserting.
    _take_sqlite_write_lock(CollaborationSession, session_id)
    return (
        CollaborationSession.objects.select_for_update()
        .select_related("document")
        .get(pk=session_id)
    )


def session_join(*, session_id: int, user: User, connection_id: str) -> SessionParticipant:
    """Counts a connection in the session, unless it is full, ended or private to others.

    Participants not seen for PRESENCE_TTL_SECONDS are dropped first. Joining again with
    the same connection_id just refreshes it. Raises SessionFull, SessionForbidden,
    SessionClosed, or CollaborationSession.DoesNotExist.
    """
    if not isinstance(connection_id, str) or not 1 <= len(connection_id) <= 64:
        raise ValidationError({"connection_id": ["1 to 64 characters."]})
    now = timezone.now()
    with transaction.atomic():
        session = _lock_session(session_id)
        if not session.is_active:
            raise SessionClosed("This session has ended.")
        if not session_may_join(session=session, user=user):
            raise SessionForbidden("This session is private; ask its creator for an invitation.")
        SessionParticipant.objects.filter(session=session, last_seen__lt=presence_cutoff()).delete()
        existing = SessionParticipant.objects.filter(connection_id=connection_id).first()
        if existing is not None and existing.session_id == session.pk:
            existing.last_seen = now
            existing.save(update_fields=["last_seen"])
            return existing
        if existing is not None:  # the connection moves from another session
            existing.delete()
        count = SessionParticipant.objects.filter(session=session).count()
        if count >= session.max_participants:
            raise SessionFull(f"This session is full ({session.max_participants} participants).")
        return SessionParticipant.objects.create(
            session=session, user=user, connection_id=connection_id, last_seen=now
        )


def session_leave(*, connection_id: str) -> int | None:
    """Forgets a connection; returns the id of the session it was in, if any."""
    with transaction.atomic():
        participant = (
            SessionParticipant.objects.filter(connection_id=connection_id)
            .only("id", "session_id")
            .first()
        )
        if participant is None:
            return None
        participant.delete()
        return participant.session_id


def session_touch(*, connection_ids: Iterable[str]) -> int:
    """Marks connections as alive now (the socket calls this on a timer)."""
    ids = list(connection_ids)
    if not ids:
        return 0
    return SessionParticipant.objects.filter(connection_id__in=ids).update(last_seen=timezone.now())


# --- chat ------------------------------------------------------------------------------------


def chat_message_create(
    *,
    document: Document,
    user: User,
    message: str,
    message_type: str = ChatMessage.MessageType.TEXT,
    session: CollaborationSession | None = None,
) -> ChatMessage:
    """Stores a chat message from a signed-in reader of the document.

    The caller sends it to the participants (the socket does, after this returns).
    """
    if not is_signed_in(user) or not can_read_document(user, document):
        raise ActionForbidden("Sign in with access to the document to chat.")
    if not isinstance(message, str):
        raise ValidationError({"message": ["The message must be text."]})
    text = message.strip()
    if not text:
        raise ValidationError({"message": ["The message is empty."]})
    if len(text) > MAX_CHAT_CHARS:
        raise ValidationError({"message": [f"At most {MAX_CHAT_CHARS} characters."]})
    try:
        ot.validate([text])  # refuses lone surrogates, which the database cannot store
    except ot.InvalidOperation:
        raise ValidationError({"message": ["The message contains invalid characters."]}) from None
    if _contains_nul(text):
        raise ValidationError({"message": ["The message contains invalid characters."]})
    if message_type not in (ChatMessage.MessageType.TEXT, ChatMessage.MessageType.CODE):
        raise ValidationError({"message_type": ["Must be 'text' or 'code'."]})
    if session is not None and session.document_id != document.pk:
        raise ValidationError({"session": ["The session belongs to another document."]})
    return ChatMessage.objects.create(
        document=document, user=user, message=text, message_type=message_type, session=session
    )
