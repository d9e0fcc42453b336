"""Collaboration sessions: who may join, seats, and the live connections counted in them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..locking import take_sqlite_write_lock
from ..models import CollaborationSession, Document, SessionParticipant
from ..permissions import can_read_document, is_moderator, is_signed_in
from .errors import ActionForbidden, SessionClosed, SessionForbidden, SessionFull
from .validation import user_by_username

if TYPE_CHECKING:
    from collections.abc import Iterable

    from accounts.models import User

MAX_PARTICIPANTS_LIMIT = 100


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
        invitee = user_by_username(username, field="invited")
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
        take_sqlite_write_lock(CollaborationSession, session.pk)
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
    take_sqlite_write_lock(CollaborationSession, session_id)
    return (
        CollaborationSession.objects.select_for_update()
        .select_related("document")
        .get(pk=session_id)
    )


def session_join(
    *, session_id: int, user: User, connection_id: str, document_id: int | None = None
) -> SessionParticipant:
    """Counts a connection in the session, unless it is full, ended or private to others.

    Participants not seen for PRESENCE_TTL_SECONDS are dropped first. Joining again with
    the same connection_id just refreshes it. Raises SessionFull, SessionForbidden,
    SessionClosed, or CollaborationSession.DoesNotExist (also when `document_id` is given
    and the session is on another document).
    """
    if not isinstance(connection_id, str) or not 1 <= len(connection_id) <= 64:
        raise ValidationError({"connection_id": ["1 to 64 characters."]})
    now = timezone.now()
    with transaction.atomic():
        session = _lock_session(session_id)
        if document_id is not None and session.document_id != document_id:
            raise CollaborationSession.DoesNotExist("no such session on this document")
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
