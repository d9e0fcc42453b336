"""Celery tasks of Git history: the debounced sync of one document after edits, and the
beat sweep that commits the periods that closed since (both idempotent: a sync commits
only what the repository lacks)."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.core.cache import cache
from django.db.models import F, Q
from django.utils import timezone

from collaboration.models import Document

from ..git import branches, sync

logger = logging.getLogger(__name__)

SWEEP_LIMIT = 200
MARGIN_SECONDS = 5


def _scheduled_key(document_id: int) -> str:
    return f"contributions:git:scheduled:{document_id}"


def schedule_sync(document_id: int, *, delay: timedelta | None = None) -> None:
    """Runs a sync once the current period can have closed; at most one waiting per
    document (a cache key debounces a burst of edits into one task)."""
    delay = delay if delay is not None else sync.pause()
    seconds = max(int(delay.total_seconds()), 0) + MARGIN_SECONDS
    if cache.add(_scheduled_key(document_id), 1, timeout=seconds):
        git_sync_document.apply_async(args=[document_id], countdown=seconds)


@shared_task(name="contributions.git_sync_document", ignore_result=True)
def git_sync_document(document_id: int) -> int:
    """Commits the document's closed periods; comes back when the open one closes."""
    result = sync.sync_document(document_id=document_id)
    if result is None:
        return 0
    if result.open_until is not None:
        schedule_sync(document_id, delay=result.open_until - timezone.now())
    return result.commits


def _proposal_key(proposal_id: int) -> str:
    return f"contributions:git:proposal:{proposal_id}"


def schedule_proposal_sync(proposal_id: int, *, seconds: int = MARGIN_SECONDS) -> None:
    """Brings a proposal's Git branch up to date soon (a burst of edits: one task)."""
    if cache.add(_proposal_key(proposal_id), 1, timeout=seconds):
        git_sync_proposal.apply_async(args=[proposal_id], countdown=seconds)


@shared_task(name="contributions.git_sync_proposal", ignore_result=True)
def git_sync_proposal(proposal_id: int) -> str | None:
    cache.delete(_proposal_key(proposal_id))
    return branches.sync_proposal_branch(proposal_id=proposal_id)


@shared_task(name="contributions.git_sync_pending", ignore_result=True)
def git_sync_pending() -> int:
    """Beat: every document whose repository is behind it gets its closed periods
    committed (what a lost task or a restart left behind)."""
    behind = (
        Document.objects.filter(
            Q(git_sync__isnull=True, revision__gt=0)
            | Q(git_sync__last_revision_committed__lt=F("revision"))
        )
        .order_by("last_edited_at")
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    commits = 0
    for document_id in behind:
        try:
            result = sync.sync_document(document_id=document_id)
        except Exception:  # one broken repository must not stop the others
            logger.exception("git sync of document %s failed", document_id)
            continue
        commits += result.commits if result else 0
    return commits
