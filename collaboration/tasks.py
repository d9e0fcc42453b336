"""Background jobs of the collaboration app: thin wrappers around services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from . import revisions, search, services
from .models import Document

logger = logging.getLogger(__name__)


@shared_task(name="collaboration.prune_operations", serializer="json", ignore_result=True)
def prune_operations_task(keep: int | None = None) -> int:
    """Trims every document's operation log to its newest `keep` operations.

    `keep` defaults to settings.OPERATION_RETENTION; 0 (the default setting) keeps
    everything and the task does nothing. Returns how many operations were deleted.
    """
    keep = settings.OPERATION_RETENTION if keep is None else keep
    if keep <= 0:
        return 0
    deleted = 0
    document_ids = Document.objects.filter(revision__gt=keep).values_list("pk", flat=True)
    for document_id in document_ids.iterator(chunk_size=500):
        try:
            deleted += services.operations_prune(document_id=document_id, keep=keep)
        except Exception:
            # One broken document must not stop the others; the next run retries it.
            logger.exception("pruning the operations of document %s failed", document_id)
    if deleted:
        logger.info("pruned %s operations (keeping %s per document)", deleted, keep)
    return deleted


@shared_task(name="collaboration.refresh_search_index", serializer="json", ignore_result=True)
def refresh_search_index_task() -> int:
    """Recomputes the stale search vectors (PostgreSQL; a no-op on SQLite).

    Every search refreshes first anyway; this keeps that work small between searches.
    Returns how many vectors were written.
    """
    return search.refresh_search_index()


@shared_task(name="collaboration.deliver_revisions", serializer="json", ignore_result=True)
def deliver_revisions_task() -> int:
    """Catch-up pass of the post-commit hook: hands every receiver the revisions it has
    not seen (after a crash, or a receiver's error). Idempotent: the cursors decide.
    Returns how many revisions were delivered."""
    return revisions.deliver_pending()
