"""Reads: documents and tags (`documents`), the operation log (`operations`), and what open
sockets need to know about rights and rooms (`live`). Import from here."""

from .documents import (
    document_count_owned_by,
    document_get_for_user,
    document_list_for_tag,
    document_list_owned_by,
    document_list_popular,
    document_list_recent,
    document_list_recently_edited_by,
    document_visible_queryset,
    operation_count_by,
    tag_get,
    tag_list_by_slugs,
    tag_list_with_counts,
)
from .live import (
    AccessSnapshot,
    SocketReview,
    SocketVerdict,
    access_snapshot,
    room_backlog,
    room_entry_frame,
    room_find_readable,
    room_message_frame,
    socket_verdicts,
)
from .operations import (
    document_access_version,
    document_find,
    document_text_since,
    operations_between,
)

__all__ = [
    "AccessSnapshot",
    "SocketReview",
    "SocketVerdict",
    "access_snapshot",
    "document_access_version",
    "document_count_owned_by",
    "document_find",
    "document_get_for_user",
    "document_list_for_tag",
    "document_list_owned_by",
    "document_list_popular",
    "document_list_recent",
    "document_list_recently_edited_by",
    "document_text_since",
    "document_visible_queryset",
    "operation_count_by",
    "operations_between",
    "room_backlog",
    "room_entry_frame",
    "room_find_readable",
    "room_message_frame",
    "socket_verdicts",
    "tag_get",
    "tag_list_by_slugs",
    "tag_list_with_counts",
]
