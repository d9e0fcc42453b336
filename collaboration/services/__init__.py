"""Every write to documents, their text, members, sessions, chat and rooms.

Each service owns its transaction; announcements to open sockets and the post-commit
hook run after commit, so nobody hears of a change that was rolled back. Who may do what
is decided in `collaboration.permissions`; services refuse with `ActionForbidden` (a
Django PermissionDenied) and bad input with Django's `ValidationError` (a message per
field), which the API turns into 403 and 400 responses.

By module: `documents` (documents and members), `edits` (the one rule set for every edit
of the text), `joining` (a socket joining a document), `sessions`, `chat`, `rooms`.
Import the functions from here.
"""

from .chat import chat_message_clean, chat_message_create, chat_message_create_in_document
from .documents import (
    document_access_changed,
    document_branch_create,
    document_branch_share,
    document_create,
    document_delete,
    document_member_remove,
    document_member_set,
    document_update_metadata,
)
from .edits import (
    RewriteAborted,
    document_apply_operation,
    document_restore,
    document_rewrite,
    operations_prune,
    pending_edit,
    pending_from_frame,
)
from .errors import (
    ActionForbidden,
    EditRefused,
    SessionClosed,
    SessionError,
    SessionForbidden,
    SessionFull,
)
from .joining import DocumentJoin, JoinRefused, document_join
from .rooms import (
    room_access_changed,
    room_archive,
    room_create,
    room_event_post,
    room_member_add,
    room_member_remove,
    room_message_delete,
    room_message_edit,
    room_message_post,
    room_set_public,
)
from .sessions import (
    presence_cutoff,
    session_create,
    session_end,
    session_join,
    session_leave,
    session_may_join,
    session_touch,
)
from .validation import TextTooLong

__all__ = [
    "ActionForbidden",
    "DocumentJoin",
    "EditRefused",
    "JoinRefused",
    "RewriteAborted",
    "SessionClosed",
    "SessionError",
    "SessionForbidden",
    "SessionFull",
    "TextTooLong",
    "chat_message_clean",
    "chat_message_create",
    "chat_message_create_in_document",
    "document_access_changed",
    "document_apply_operation",
    "document_branch_create",
    "document_branch_share",
    "document_create",
    "document_delete",
    "document_join",
    "document_member_remove",
    "document_member_set",
    "document_restore",
    "document_rewrite",
    "document_update_metadata",
    "operations_prune",
    "pending_edit",
    "pending_from_frame",
    "presence_cutoff",
    "room_access_changed",
    "room_archive",
    "room_create",
    "room_event_post",
    "room_member_add",
    "room_member_remove",
    "room_message_delete",
    "room_message_edit",
    "room_message_post",
    "room_set_public",
    "session_create",
    "session_end",
    "session_join",
    "session_leave",
    "session_may_join",
    "session_touch",
]
