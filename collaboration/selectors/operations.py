"""Reads of the operation log, and finding a document by the reference clients send.

`operations_between` is the one definition of "the operations of document D after
revision a, up to revision b, in order": the commit path, the sockets' catch-up, history,
and the post-commit hook all read the log through it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from ..models import Document, Operation

MAX_REF_CHARS = 220  # Document.slug's max_length


def operations_between(
    *, document_id: int, after: int, upto: int | None = None
) -> QuerySet[Operation]:
    """Operations of the document with after < revision <= upto (no upper bound if None),
    in revision order. Callers pick the columns (`.values(...)`, `.only(...)`)."""
    operations = Operation.objects.filter(document_id=document_id, revision__gt=after)
    if upto is not None:
        operations = operations.filter(revision__lte=upto)
    return operations.order_by("revision")


def document_find(*, ref: str | int, queryset: QuerySet[Document] | None = None) -> Document | None:
    """The document a client names by id or by slug, within `queryset` (default: all).

    Ids are tried first; slugs are never all digits (services.documents._base_slug), and
    the length bound keeps the number inside a bigint.
    """
    documents = Document.objects.all() if queryset is None else queryset
    ref = str(ref)
    if not ref or "\x00" in ref or len(ref) > MAX_REF_CHARS:
        return None
    if ref.isascii() and ref.isdigit() and len(ref) <= 18:
        document = documents.filter(pk=int(ref)).first()
        if document is not None:
            return document
    return documents.filter(slug=ref).first()


def document_text(
    *, document_id: int, for_update: bool = False, no_key: bool = False
) -> tuple[int, str]:
    """(revision, text) of the document now: the one read of "the latest committed text".

    The row's stored text may be a checkpoint a few revisions behind (large documents,
    collaboration/checkpoints.py); `Document.content` adds the operations after it.
    `for_update` locks the row first (inside the caller's transaction; `no_key`: FOR NO
    KEY UPDATE). Raises Document.DoesNotExist.
    """
    documents = Document.objects.only("revision", "content_checkpoint", "content_revision")
    if for_update:
        documents = documents.select_for_update(no_key=no_key)
    document = documents.get(pk=document_id)
    return document.revision, document.content


def document_text_since(*, document_id: int, since: int | None) -> dict[str, Any]:
    """The text and revision now, plus the ops after `since` when the log still has them.

    `ops_since` is None when `since` is None, ahead of the document, or older than the
    kept log; [] when nothing happened since.
    """
    revision, content = document_text(document_id=document_id)
    ops_since = None
    if since is not None and since == revision:
        ops_since = []  # nothing happened since: an empty list, not a missing one
    elif since is not None and 0 <= since < revision:
        rows = list(
            operations_between(document_id=document_id, after=since, upto=revision).values(
                "revision", "ops", "user_id", "client_op_id"
            )
        )
        if len(rows) == revision - since:
            ops_since = rows
    return {"revision": revision, "content": content, "ops_since": ops_since}


def document_access_version(*, document_id: int) -> int | None:
    """The document's access version now (None if it is gone)."""
    return Document.objects.filter(pk=document_id).values_list("access_version", flat=True).first()
