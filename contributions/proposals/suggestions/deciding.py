"""Deciding on suggestions: accepting (one exact revision through the edit service,
credited to the suggester), rejecting or withdrawing, all of a proposal at once, and
settling a suggestions proposal once nothing is pending."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from collaboration import history
from collaboration.models import Document, EditSource
from collaboration.permissions import can_edit_document, is_signed_in
from collaboration.services import ActionForbidden, document_apply_operation

from ...errors import Conflict, InvalidInput, NotAllowed
from ...models import (
    ACTIVE_STATES,
    Proposal,
    ProposalEventKind,
    ProposalKind,
    ProposalState,
    Suggestion,
    SuggestionState,
)
from .. import credit, lifecycle

if TYPE_CHECKING:
    from accounts.models import User
from .common import SuggestionOutdated
from .passages import replacement_ops
from .reading import announce_on_commit, head_of, log_after, now_at

# --- deciding ------------------------------------------------------------------------------


def decide(suggestion: Suggestion, user, state: str, **fields) -> None:
    suggestion.state = state
    suggestion.decided_by = user if is_signed_in(user) else None
    suggestion.decided_at = timezone.now()
    for name, value in fields.items():
        setattr(suggestion, name, value)
    suggestion.save(
        update_fields=[
            "state",
            "decided_by",
            "decided_at",
            "start",
            "end",
            "revision",
            "text",
            "original",
            *fields,
        ]
    )


def _line_counts(suggestions: Iterable[Suggestion]) -> tuple[int, int]:
    added = removed = 0
    for suggestion in suggestions:
        for line in history.diff_lines(suggestion.original, suggestion.text):
            if line["op"] == "insert":
                added += 1
            elif line["op"] == "delete":
                removed += 1
    return added, removed


def settle(proposal: Proposal, actor) -> None:
    """A suggestions proposal with nothing pending is merged (some were accepted, which
    earns its author the merge's reputation) or closed. Call with the proposal locked."""
    proposal = (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("author")
        .get(pk=proposal.pk)
    )
    if proposal.state not in ACTIVE_STATES:
        return
    if proposal.suggestions.filter(state=SuggestionState.PENDING).exists():
        return
    accepted = list(proposal.suggestions.filter(state=SuggestionState.ACCEPTED))
    now = timezone.now()
    actor = actor if is_signed_in(actor) else None
    if accepted:
        proposal.state = ProposalState.MERGED
        proposal.merged_by = actor or accepted[-1].decided_by
        proposal.merged_at = now
        proposal.merged_revision = max(s.merged_revision or 0 for s in accepted)
        proposal.lines_added, proposal.lines_removed = _line_counts(accepted)
        proposal.save(
            update_fields=[
                "state",
                "merged_by",
                "merged_at",
                "merged_revision",
                "lines_added",
                "lines_removed",
                "updated_at",
            ]
        )
        lifecycle.record(
            proposal, actor, ProposalEventKind.MERGED, revision=proposal.merged_revision
        )
        credit.proposal_merged(proposal)
    else:
        proposal.state = ProposalState.CLOSED
        proposal.closed_by = actor
        proposal.closed_at = now
        proposal.save(update_fields=["state", "closed_by", "closed_at", "updated_at"])
        lifecycle.record(proposal, actor, ProposalEventKind.CLOSED)


def lock_proposals(proposal_ids: Iterable[int]) -> None:
    """Row locks on proposals, in id order. Every path locks the document first (when it
    does), then proposals, then their suggestions, so two of them never wait on each other."""
    list(
        Proposal.objects.select_for_update()
        .filter(pk__in=sorted(set(proposal_ids)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _lock(suggestion: Suggestion) -> Suggestion:
    lock_proposals([suggestion.proposal_id])
    return (
        Suggestion.objects.select_for_update(of=("self",))
        .select_related("proposal", "author")
        .get(pk=suggestion.pk)
    )


def _require_open(suggestion: Suggestion) -> None:
    if suggestion.state != SuggestionState.PENDING:
        raise Conflict(f"This suggestion was already {suggestion.get_state_display().lower()}.")
    if suggestion.proposal.state not in ACTIVE_STATES:
        raise Conflict("Its proposal is closed: reopen it first.")


def _require_editor(user, document: Document) -> None:
    if not can_edit_document(user, document):
        raise NotAllowed("Only the document's editors can accept suggestions.")


def _accept_locked(suggestion: Suggestion, user: User) -> bool:
    """Commits a locked, pending suggestion (the document row locked too); False when its
    passage changed since (then it is marked outdated instead)."""
    head_revision, head_text = head_of(suggestion.document_id, lock=True)
    where = now_at(
        suggestion,
        head_revision,
        log_after(suggestion.document_id, suggestion.revision, head_revision),
    )
    if where is None or head_text[where[0] : where[1]] != suggestion.original:
        mark_outdated(suggestion)
        return False
    start, end = where
    try:
        result = document_apply_operation(
            document_id=suggestion.document_id,
            user=user,
            author=suggestion.author,
            base_revision=head_revision,
            client_op_id=f"suggestion-{suggestion.pk}-{uuid.uuid4().hex[:8]}",
            ops=replacement_ops(len(head_text), start, end, suggestion.text),
            source=EditSource.SUGGESTION,
        )
    except ActionForbidden as exc:
        raise NotAllowed(str(exc)) from None
    if result.error is not None:
        raise Conflict(result.error.message, code=result.error.code)
    decide(
        suggestion,
        user,
        SuggestionState.ACCEPTED,
        start=start,
        end=end,
        revision=head_revision,
        merged_revision=result.revision,
    )
    lifecycle.record(
        suggestion.proposal,
        user,
        ProposalEventKind.SUGGESTION_ACCEPTED,
        suggestion=suggestion.pk,
        revision=result.revision,
    )
    announce_on_commit(suggestion, "accepted")
    return True


def suggestion_accept(*, suggestion: Suggestion, user: User) -> Suggestion:
    """Commits the suggestion (editors of the document only). SuggestionOutdated when its
    passage was edited since: it is then marked outdated (and stays so)."""
    _require_editor(user, suggestion.document)
    with transaction.atomic():
        head_of(suggestion.document_id, lock=True)  # the document first, as every commit
        locked = _lock(suggestion)
        _require_open(locked)
        accepted = _accept_locked(locked, user)
        settle(locked.proposal, user)
    if not accepted:
        raise SuggestionOutdated(
            "Someone edited that passage since it was suggested, so it can no longer be "
            "applied as it was. It is marked outdated."
        )
    return locked


def mark_outdated(suggestion: Suggestion) -> None:
    """Its passage changed: it keeps the range and revision it last had, and its quote."""
    suggestion.state = SuggestionState.OUTDATED
    suggestion.save(update_fields=["state"])
    announce_on_commit(suggestion, "outdated")


def suggestion_reject(*, suggestion: Suggestion, user: User) -> Suggestion:
    """Rejects a pending suggestion (the document's editors), or withdraws it (its author)."""
    is_author = is_signed_in(user) and suggestion.author_id == user.pk
    if not is_author and not can_edit_document(user, suggestion.document):
        raise NotAllowed("Only the document's editors, or its author, can reject a suggestion.")
    with transaction.atomic():
        locked = _lock(suggestion)
        _require_open(locked)
        decide(locked, user, SuggestionState.REJECTED)
        lifecycle.record(
            locked.proposal,
            user,
            ProposalEventKind.SUGGESTION_REJECTED,
            suggestion=locked.pk,
            withdrawn=is_author,
        )
        announce_on_commit(locked, "rejected")
        settle(locked.proposal, user)
    return locked


@dataclass(frozen=True)
class Decided:
    """What accept_all / reject_all did."""

    accepted: int = 0
    rejected: int = 0
    outdated: int = 0


def _suggestions_proposal(proposal: Proposal) -> None:
    if proposal.kind != ProposalKind.SUGGESTIONS:
        raise InvalidInput("This proposal has a branch: review and merge it instead.")
    if proposal.state not in ACTIVE_STATES:
        raise Conflict("This proposal is no longer open.")


def accept_all(*, proposal: Proposal, user: User) -> Decided:
    """Accepts every pending suggestion of a suggestions proposal, each as its own revision,
    in text order; those whose passage changed are marked outdated instead."""
    _require_editor(user, proposal.document)
    _suggestions_proposal(proposal)
    accepted = outdated = 0
    with transaction.atomic():
        head_of(proposal.document_id, lock=True)  # the document first, as every commit
        lock_proposals([proposal.pk])
        pending = (
            Suggestion.objects.select_for_update(of=("self",))
            .select_related("proposal", "author")
            .filter(proposal=proposal, state=SuggestionState.PENDING)
            .order_by("start", "pk")
        )
        for suggestion in pending:
            if _accept_locked(suggestion, user):
                accepted += 1
            else:
                outdated += 1
        settle(proposal, user)
    return Decided(accepted=accepted, outdated=outdated)


def reject_all(*, proposal: Proposal, user: User) -> Decided:
    """Rejects every pending suggestion of a suggestions proposal (the document's editors),
    or withdraws them all (the proposal's author)."""
    is_author = is_signed_in(user) and proposal.author_id == user.pk
    if not is_author and not can_edit_document(user, proposal.document):
        raise NotAllowed("Only the document's editors, or its author, can reject suggestions.")
    _suggestions_proposal(proposal)
    with transaction.atomic():
        lock_proposals([proposal.pk])
        pending = list(
            Suggestion.objects.select_for_update(of=("self",))
            .select_related("proposal", "author")
            .filter(proposal=proposal, state=SuggestionState.PENDING)
        )
        for suggestion in pending:
            decide(suggestion, user, SuggestionState.REJECTED)
            announce_on_commit(suggestion, "rejected")
        if pending:
            lifecycle.record(
                proposal,
                user,
                ProposalEventKind.SUGGESTION_REJECTED,
                suggestions=[s.pk for s in pending],
                withdrawn=is_author,
            )
        settle(proposal, user)
    return Decided(rejected=len(pending))
