"""A socket joining a document: finding it, deciding its rights, taking a session seat."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import selectors
from ..models import CollaborationSession
from .errors import SessionClosed, SessionError
from .sessions import session_join

if TYPE_CHECKING:
    from accounts.credentials import Credential
    from accounts.models import User

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404


class JoinRefused(Exception):
    """The socket may not join; `code` and `close_code` are the protocol's."""

    def __init__(self, code: str, message: str, close_code: int):
        super().__init__(message)
        self.code = code
        self.message = message
        self.close_code = close_code


@dataclass(frozen=True)
class DocumentJoin:
    document_id: int
    slug: str
    title: str
    can_edit: bool
    document_version: int
    user_version: int
    session_id: int | None


def document_join(
    *,
    user: User,
    credential: Credential,
    ref: str | int,
    session_ref: object,
    connection_id: str,
) -> DocumentJoin:
    """The document `ref` names (id or slug) and the socket's rights on it; JoinRefused
    when it does not exist, may not be read, or the session cannot take the socket."""
    document = selectors.document_find(ref=ref)
    if document is None:
        raise JoinRefused("not_found", "there is no such document", CLOSE_NOT_FOUND)
    (verdict,) = selectors.socket_verdicts(
        [selectors.SocketReview(credential=credential, document_id=document.pk)]
    )
    if not verdict.signed_in:
        raise JoinRefused(
            "not_authenticated", "your sign-in is no longer valid", CLOSE_UNAUTHENTICATED
        )
    if not verdict.can_read:
        raise JoinRefused("forbidden", "you do not have access to this document", CLOSE_FORBIDDEN)
    session_id = None
    if session_ref not in (None, ""):
        if not (str(session_ref).isascii() and str(session_ref).isdigit()):
            raise JoinRefused("not_found", "there is no such session", CLOSE_NOT_FOUND)
        try:
            session_id = session_join(
                session_id=int(session_ref),
                user=user,
                connection_id=connection_id,
                document_id=document.pk,
            ).session_id
        except (CollaborationSession.DoesNotExist, SessionClosed) as exc:
            raise JoinRefused(
                "not_found", "there is no such active session on this document", CLOSE_NOT_FOUND
            ) from exc
        except SessionError as exc:  # full, or private to others
            raise JoinRefused("forbidden", exc.message, CLOSE_FORBIDDEN) from exc
    return DocumentJoin(
        document_id=document.pk,
        slug=document.slug,
        title=document.title,
        can_edit=verdict.can_edit,
        document_version=verdict.document_version,
        user_version=verdict.user_version,
        session_id=session_id,
    )
