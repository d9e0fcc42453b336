"""Reading suggestions: the log they follow, where each is now, and what readers see
(lists, one suggestion, the counts per proposal, the notices)."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet

from collaboration.locking import take_sqlite_write_lock
from collaboration.models import Document
from collaboration.permissions import can_read_document
from collaboration.realtime import publish
from collaboration.selectors import document_text, operations_between

from ...errors import InvalidInput, NotFound
from ...models import (
    ACTIVE_STATES,
    Proposal,
    Suggestion,
    SuggestionState,
)
from .. import frames, rules
from .common import FRAME_TYPE, STATE_FILTERS
from .passages import passage_through

# --- reading the log ---------------------------------------------------------------------


def log_after(document_id: int, after: int, upto: int) -> dict[int, list]:
    """revision -> ops of the document's operations after `after` up to `upto`."""
    if upto <= after:
        return {}
    rows = operations_between(document_id=document_id, after=after, upto=upto)
    return dict(rows.values_list("revision", "ops"))


def steps_between(*, after: int, upto: int, log: dict[int, list]) -> list[list] | None:
    """The operations from revision `after` to `upto` in order; None when the log no longer
    reaches back that far (pruned)."""
    steps = []
    for revision in range(after + 1, upto + 1):
        ops = log.get(revision)
        if ops is None:
            return None
        steps.append(ops)
    return steps


def _follow(
    start: int, end: int, *, after: int, upto: int, log: dict[int, list]
) -> tuple[int, int] | None:
    """The passage of revision `after` in revision `upto`; None when it was changed, or
    when the log no longer reaches back (pruned: it cannot be placed without guessing)."""
    steps = steps_between(after=after, upto=upto, log=log)
    return None if steps is None else passage_through(start, end, steps)


def head_of(document_id: int, *, lock: bool) -> tuple[int, str]:
    """The document's revision and text; with `lock`, its row is locked until the
    transaction ends, so no revision lands meanwhile.

    FOR NO KEY UPDATE, not FOR UPDATE: it keeps other writers of the row out just the
    same, but lets through the foreign-key checks of rows that point at the document.
    The post-commit hook's transaction holds a proposal's lock and, when it commits,
    checks the keys of the suggestions it moved twice (document among them); taking the
    document's FOR UPDATE here and then waiting for that proposal would deadlock.
    """
    if lock:
        take_sqlite_write_lock(Document, document_id)
    return document_text(document_id=document_id, for_update=lock, no_key=True)


def now_at(suggestion: Suggestion, head_revision: int, log: dict[int, list]):
    """Where a pending suggestion's passage is at `head_revision` (None: changed)."""
    if suggestion.revision >= head_revision:
        return suggestion.start, suggestion.end
    return _follow(
        suggestion.start,
        suggestion.end,
        after=suggestion.revision,
        upto=head_revision,
        log=log,
    )


# --- what readers see ----------------------------------------------------------------------


def summary(suggestion: Suggestion) -> dict[str, Any]:
    """A suggestion as the API and the notices give it (what any reader may see)."""
    proposal = suggestion.proposal
    return {
        "id": suggestion.pk,
        "document_id": suggestion.document_id,
        "proposal": {
            "id": proposal.pk,
            "number": proposal.number,
            "state": proposal.state,
            "url": frames.url_of(proposal),
        },
        "author": {"id": suggestion.author_id, "username": suggestion.author.username},
        "start": suggestion.start,
        "end": suggestion.end,
        "revision": suggestion.revision,
        "original": suggestion.original,
        "text": suggestion.text,
        "state": suggestion.state,
        "created_at": suggestion.created_at.isoformat() if suggestion.created_at else None,
        "decided_by": suggestion.decided_by.username if suggestion.decided_by_id else None,
        "decided_at": suggestion.decided_at.isoformat() if suggestion.decided_at else None,
        "merged_revision": suggestion.merged_revision,
    }


def announce_on_commit(suggestion: Suggestion, event: str) -> None:
    frame = {"type": FRAME_TYPE, "event": event, "suggestion": summary(suggestion)}
    transaction.on_commit(
        partial(publish.notice_to_document, suggestion.document_id, frame), robust=True
    )


def _with_people(queryset: QuerySet[Suggestion]) -> QuerySet[Suggestion]:
    return queryset.select_related("proposal", "author", "decided_by")


def suggestion_list(*, document: Document, user, state: str = "pending") -> list[Suggestion]:
    """The document's suggestions in `state` (see STATE_FILTERS), in text order, for a
    reader of it. Pending ones are those of open proposals, placed in the current text
    (the hook may not have moved them yet); one whose passage changed meanwhile is left
    out (the hook is about to mark it outdated)."""
    if not can_read_document(user, document):
        raise NotFound("No such document, or you may not read it.")
    if state not in STATE_FILTERS:
        raise InvalidInput(f"state is one of {', '.join(STATE_FILTERS)}.", field="state")
    found = _with_people(Suggestion.objects.filter(document=document))
    if state != "all":
        found = found.filter(state=state)
    if state == "pending":
        found = found.filter(proposal__state__in=ACTIVE_STATES)
    found = list(found.order_by("start", "pk"))
    pending = [s for s in found if s.state == SuggestionState.PENDING]
    if not pending:
        return found
    head_revision = Document.objects.filter(pk=document.pk).values_list("revision", flat=True).get()
    lagging = [s for s in pending if s.revision < head_revision]
    log = log_after(document.pk, min(s.revision for s in lagging), head_revision) if lagging else {}
    placed = []
    for suggestion in found:
        if suggestion.state == SuggestionState.PENDING and suggestion.revision < head_revision:
            where = now_at(suggestion, head_revision, log)
            if where is None:
                continue
            suggestion.start, suggestion.end = where
            suggestion.revision = head_revision
        placed.append(suggestion)
    placed.sort(key=lambda s: (s.start, s.pk))
    return placed


def suggestion_find(*, user, suggestion_id: object) -> Suggestion:
    """The suggestion if `user` may see it; NotFound otherwise (no difference)."""
    if type(suggestion_id) is not int:
        try:
            suggestion_id = int(str(suggestion_id))
        except ValueError:
            raise NotFound("No such suggestion.") from None
    suggestion = (
        _with_people(Suggestion.objects.filter(pk=suggestion_id))
        .select_related("document", "proposal__document")
        .first()
    )
    if suggestion is None or not rules.can_see(user, suggestion.proposal):
        raise NotFound("No such suggestion.")
    return suggestion


def pending_by_proposal(*, document: Document) -> list[tuple[Proposal, int]]:
    """Open suggestions proposals of the document with their pending count (panels)."""
    counts = dict(
        Suggestion.objects.filter(
            document=document,
            state=SuggestionState.PENDING,
            proposal__state__in=ACTIVE_STATES,
        )
        .values("proposal_id")
        .annotate(pending=Count("pk"))
        .values_list("proposal_id", "pending")
    )
    proposals = Proposal.objects.filter(pk__in=counts).select_related("author").order_by("number")
    return [(proposal, counts[proposal.pk]) for proposal in proposals]
