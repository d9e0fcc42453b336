"""Document chat: messages from readers of the document, stored before they are sent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from ..models import ChatMessage, CollaborationSession, Document
from ..permissions import can_read_document, is_signed_in
from .errors import ActionForbidden
from .validation import clean_text

if TYPE_CHECKING:
    from accounts.models import User

MAX_CHAT_CHARS = 4000
CHAT_MESSAGE_TYPES = (ChatMessage.MessageType.TEXT, ChatMessage.MessageType.CODE)


def chat_message_clean(*, message: object, message_type: object) -> tuple[str, str]:
    """The rules for a chat message's text and type, for documents and rooms alike."""
    text = clean_text(message, "message", max_chars=MAX_CHAT_CHARS, name="message")
    if message_type not in CHAT_MESSAGE_TYPES:
        raise ValidationError({"message_type": ["Must be 'text' or 'code'."]})
    return text, str(message_type)


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
    text, message_type = chat_message_clean(message=message, message_type=message_type)
    if session is not None and session.document_id != document.pk:
        raise ValidationError({"session": ["The session belongs to another document."]})
    return ChatMessage.objects.create(
        document=document, user=user, message=text, message_type=message_type, session=session
    )


def chat_message_create_in_document(
    *, document_id: int, user: User, message: object, message_type: object, session_id: int | None
) -> ChatMessage:
    """`chat_message_create` for callers holding ids (the socket)."""
    document = Document.objects.get(pk=document_id)
    session = document.sessions.filter(pk=session_id).first() if session_id else None
    return chat_message_create(
        document=document, user=user, message=message, message_type=message_type, session=session
    )
