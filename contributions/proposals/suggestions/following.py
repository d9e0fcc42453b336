"""Following the text: the post-commit hook moves every pending suggestion through each
committed revision, and outdates those whose passage was edited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...models import (
    Suggestion,
    SuggestionState,
)

if TYPE_CHECKING:
    from collaboration.revisions import RevisionEvent
from .deciding import lock_proposals, mark_outdated, settle
from .reading import log_after, now_at

# --- following the text (the post-commit hook) -----------------------------------------------


def any_pending_behind(document_id: int, revision: int) -> bool:
    """Whether a pending suggestion of the document is behind `revision` (one query: the
    usual answer, no, lets a whole delivery through without further work)."""
    return Suggestion.objects.filter(
        document_id=document_id, state=SuggestionState.PENDING, revision__lt=revision
    ).exists()


def suggestions_follow(event: RevisionEvent) -> int:
    """Moves the document's pending suggestions through one committed revision; those whose
    passage it changed become outdated (and a proposal left with nothing pending settles).
    Runs in the hook's delivery transaction: exactly once per revision, in order.
    Answers how many became outdated."""
    behind = Suggestion.objects.filter(
        document_id=event.document_id,
        state=SuggestionState.PENDING,
        revision__lt=event.revision,
    )
    proposal_ids = list(behind.values_list("proposal_id", flat=True))
    if not proposal_ids:
        return 0
    lock_proposals(proposal_ids)
    behind = list(behind.select_for_update(of=("self",)).select_related("proposal", "author"))
    # Most are one revision behind; one made while a delivery was under way may be more.
    log = log_after(event.document_id, min(s.revision for s in behind), event.revision - 1)
    log[event.revision] = event.ops
    moved, outdated = [], []
    for suggestion in behind:
        where = now_at(suggestion, event.revision, log)
        if where is None:
            outdated.append(suggestion)
            continue
        suggestion.start, suggestion.end = where
        suggestion.revision = event.revision
        moved.append(suggestion)
    Suggestion.objects.bulk_update(moved, ["start", "end", "revision"], batch_size=500)
    proposals = {}
    for suggestion in outdated:
        mark_outdated(suggestion)
        proposals[suggestion.proposal_id] = suggestion.proposal
    for proposal in proposals.values():
        settle(proposal, None)
    return len(outdated)
