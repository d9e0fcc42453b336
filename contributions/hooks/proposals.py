"""Proposals on the post-commit hook: every revision of a proposal's branch moves the
inline review comments with the text (outdated when their passage is deleted), makes
approvals of older revisions stale (when the document's rules say so), queues the checks
of the branch (debounced by the checks service) and tells open proposal pages; a revision
of a document with proposals under review tells their pages (a few seconds apart at most)
that the diff against the document moved."""

from __future__ import annotations

import contextlib
from functools import partial

from django.core.cache import cache
from django.db import transaction

from collaboration import ot, revisions
from collaboration.models import Document
from collaboration.realtime import publish

from ..errors import ContributionsError
from ..models import ACTIVE_STATES, REVIEWABLE_STATES, Proposal, ReviewComment
from ..proposals import frames, reviews
from ..tasks.checks import request_document_check

DOCUMENT_NOTICE_SECONDS = 3  # at most one "document_changed" notice per document this often


def move_review_comments(branch_id: int, changes: list[tuple[list[ot.Op], int]]) -> int:
    """Transforms the open inline review comments of the branch through the revisions
    given as (ops, revision), in order; returns how many comments moved."""
    moved = 0
    for comment in ReviewComment.objects.filter(
        review__proposal__branch_id=branch_id, outdated=False
    ).select_for_update():
        start, end = comment.start, comment.end
        for ops, revision in changes:
            new_start, new_end = ot.transform_range(start, end, ops)
            comment.outdated = start < end and new_start == new_end
            start, end, comment.revision = new_start, new_end, revision
            if comment.outdated:
                break  # its passage is gone: it stays where that happened
        comment.start, comment.end = start, end
        comment.save(update_fields=["start", "end", "revision", "outdated"])
        moved += 1
    return moved


def _queue_checks(branch_id: int) -> None:
    branch = Document.objects.filter(pk=branch_id).first()
    proposal = Proposal.objects.filter(branch_id=branch_id).select_related("author").first()
    if branch is None or proposal is None:
        return
    # An author who lost the right to edit the branch gets no checks run for them.
    with contextlib.suppress(ContributionsError):
        request_document_check(document=branch, user=proposal.author)


@revisions.receiver("contributions.proposals", batch=True)
def revisions_committed(events: list[revisions.RevisionEvent]) -> None:
    """A branch's revisions move its review comments and, once per delivery, dismiss
    stale approvals, queue checks and tell the branch's topic; a document's revisions
    tell open proposal pages (at most one notice every few seconds)."""
    event = events[-1]
    proposal = (
        Proposal.objects.filter(branch_id=event.document_id)
        .select_related("document", "author")
        .first()
    )
    if proposal is not None:
        move_review_comments(event.document_id, [(e.ops, e.revision) for e in events])
        if proposal.state in ACTIVE_STATES:
            reviews.dismiss_stale_approvals(proposal, event.revision)
            transaction.on_commit(partial(_queue_checks, event.document_id), robust=True)
            # The branch's topic only: the document's editors need not hear every keystroke.
            frames.announce_on_commit(
                proposal, "branch_changed", branch_only=True, revision=event.revision
            )
    elif Proposal.objects.filter(document_id=event.document_id, state__in=REVIEWABLE_STATES).only(
        "pk"
    ).exists() and cache.add(
        f"contributions:document-changed:{event.document_id}", 1, DOCUMENT_NOTICE_SECONDS
    ):
        # Open proposal pages refresh their diff against the new text: one notice per
        # document every few seconds, not one per keystroke for everyone on the topic.
        frame = {
            "type": frames.FRAME_TYPE,
            "event": "document_changed",
            "document_id": event.document_id,
            "revision": event.revision,
        }
        transaction.on_commit(
            partial(publish.notice_to_document, event.document_id, frame), robust=True
        )
