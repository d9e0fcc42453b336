"""Celery tasks of semantic search: the debounced re-embedding of one document after its
edits, and the beat sweep that embeds whatever is stale (edited documents whose task was
lost, new or edited questions and answers, rows of another model). Both are idempotent:
unchanged sections are never embedded twice."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from . import indexing
from .embedders import EmbeddingsUnavailable

logger = logging.getLogger(__name__)

SWEEP_LIMIT = 200  # objects of each kind per sweep


def _scheduled_key(document_id: int) -> str:
    return f"semantic:index:scheduled:{document_id}"


def schedule_document_index(document_id: int) -> None:
    """Re-embeds the document once its burst of edits has had time to settle: at most one
    task waits per document (the cache key), and edits made while it waits join it."""
    seconds = settings.SEMANTIC_INDEX_DEBOUNCE_SECONDS
    if cache.add(_scheduled_key(document_id), 1, timeout=seconds + 60):
        index_document_task.apply_async(args=[document_id], countdown=seconds)


@shared_task(name="collaboration.semantic_index_document", ignore_result=True)
def index_document_task(document_id: int) -> int:
    # Cleared first: an edit committed while this runs schedules the next run.
    cache.delete(_scheduled_key(document_id))
    try:
        return indexing.index_document(document_id=document_id)
    except EmbeddingsUnavailable:
        logger.exception("could not embed document %s; the sweep will retry", document_id)
        return 0


def _each(ids, index, label: str) -> int:
    written = 0
    for object_id in ids:
        try:
            written += index(object_id)
        except EmbeddingsUnavailable:
            raise  # every other object would fail the same way: stop this sweep
        except Exception:  # one broken object must not stop the others; retried next sweep
            logger.exception("embedding %s %s failed", label, object_id)
    return written


@shared_task(name="collaboration.semantic_index_stale", ignore_result=True)
def index_stale_task(limit: int = SWEEP_LIMIT) -> int:
    """Beat: embeds up to `limit` stale documents, questions and answers each, and drops
    the rows of deleted posts. Returns how many rows were written."""
    try:
        written = _each(
            indexing.stale_documents().values_list("pk", flat=True)[:limit],
            lambda pk: indexing.index_document(document_id=pk),
            "document",
        )
        written += _each(
            indexing.stale_questions().values_list("pk", flat=True)[:limit],
            lambda pk: indexing.index_question(question_id=pk),
            "question",
        )
        written += _each(
            indexing.stale_answers().values_list("pk", flat=True)[:limit],
            lambda pk: indexing.index_answer(answer_id=pk),
            "answer",
        )
    except EmbeddingsUnavailable:
        logger.exception("the embedder is unavailable; nothing was embedded")
        return 0
    indexing.remove_orphans()
    return written
