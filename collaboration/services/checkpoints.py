"""Writing the latest text of documents whose stored checkpoint lags (collaboration/checkpoints.py).

Everything that reads a document through Python gets the latest text (`Document.content`,
`selectors.document_text`). What reads the text inside the database instead, the
full-text search vector and headlines or a `LIKE` filter, reads the stored column: it
calls `checkpoints_write_lagging()` first, so the column holds the latest text too.
"""

from __future__ import annotations

from django.db.models import F

from ..models import Document
from ..selectors import document_text


def checkpoints_write_lagging() -> int:
    """Stores the latest text of every document whose checkpoint is behind; how many.

    No row lock: the text of a committed revision never changes, and the update only
    moves a checkpoint forward (a commit that wrote a newer one meanwhile wins).
    """
    lagging = Document.objects.filter(content_revision__lt=F("revision")).values_list(
        "pk", flat=True
    )
    written = 0
    for document_id in lagging.iterator():
        try:
            revision, text = document_text(document_id=document_id)
        except Document.DoesNotExist:
            continue  # deleted meanwhile
        written += Document.objects.filter(pk=document_id, content_revision__lt=revision).update(
            content_checkpoint=text, content_revision=revision
        )
    return written
