"""Making suggestions: checking the input, placing the passage in the current text,
filing it in the person's suggestions proposal, extending or rewriting their own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from collaboration import history
from collaboration.models import Document
from collaboration.permissions import can_read_document, is_signed_in

from ...errors import InvalidInput, NotAllowed, NotFound
from ...models import (
    ACTIVE_STATES,
    Proposal,
    ProposalEventKind,
    ProposalKind,
    Suggestion,
    SuggestionState,
)
from .. import lifecycle

if TYPE_CHECKING:
    from accounts.models import User
from .common import PASSAGE_MAX, TEXT_MAX, RevisionTooOld, SuggestionOutdated
from .deciding import decide, lock_proposals, settle
from .passages import Extension, extend, passage_through
from .reading import announce_on_commit, head_of, log_after, now_at, steps_between

# --- input -----------------------------------------------------------------------------------


def _clean_int(value: object, field: str) -> int:
    if type(value) is not int or value < 0:
        raise InvalidInput(f"{field} must be a whole number, 0 or more.", field=field)
    return value


def _clean_text(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput("text must be a string (empty to suggest deleting).", field="text")
    if len(value) > TEXT_MAX:
        raise InvalidInput(
            f"A suggestion is at most {TEXT_MAX} characters: propose a larger change "
            "on a branch instead.",
            field="text",
        )
    if "\x00" in value:
        raise InvalidInput("The text holds a NUL character, which documents cannot.", field="text")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput("The text is not valid Unicode.", field="text") from None
    return value


def _too_old(revision: int) -> RevisionTooOld:
    return RevisionTooOld(
        f"Revision {revision} is older than the document's kept history. Reload the "
        "document and make your suggestion again."
    )


def _placed(
    document_id: int, *, revision: int, start: int, end: int, head: tuple[int, str]
) -> tuple[int, int, str]:
    """The range given at `revision`, moved to the head revision, with the text it covers.

    InvalidInput, RevisionTooOld or SuggestionOutdated when it cannot be placed."""
    head_revision, head_text = head
    if revision > head_revision:
        raise InvalidInput(
            f"The document is at revision {head_revision}; there is no revision {revision}.",
            field="revision",
        )
    try:
        then = (
            head_text
            if revision == head_revision
            else history.content_at(document_id=document_id, revision=revision)
        )
    except history.HistoryUnavailable:
        raise _too_old(revision) from None
    if not start <= end <= len(then):
        raise InvalidInput(
            f"The range must lie within the text: 0 <= start <= end <= {len(then)} "
            f"(the length of revision {revision}), got {start}..{end}.",
            field="start",
        )
    if end - start > PASSAGE_MAX:
        raise InvalidInput(
            f"A suggestion replaces at most {PASSAGE_MAX} characters: propose a larger "
            "change on a branch instead.",
            field="end",
        )
    steps = steps_between(
        after=revision, upto=head_revision, log=log_after(document_id, revision, head_revision)
    )
    if steps is None:
        raise _too_old(revision)
    moved = passage_through(start, end, steps)
    if moved is None:
        raise SuggestionOutdated(
            "Someone edited that passage meanwhile. Look at it again and make your "
            "suggestion on the text as it is now."
        )
    return moved[0], moved[1], head_text[moved[0] : moved[1]]


# --- making suggestions ------------------------------------------------------------------------


def _open_proposal(document: Document, user: User) -> Proposal:
    """The person's active suggestions proposal on the document (made when missing).
    Call with the document row locked, so two requests never make two."""
    found = (
        Proposal.objects.select_for_update()
        .filter(
            document=document,
            author=user,
            kind=ProposalKind.SUGGESTIONS,
            state__in=ACTIVE_STATES,
        )
        .order_by("-pk")
        .first()
    )
    if found is not None:
        return found
    return lifecycle.proposal_create(
        document=document,
        user=user,
        title=f"Suggestions by {user.username}",
        description="Changes suggested in the live editor, accepted or rejected one by one.",
        kind=ProposalKind.SUGGESTIONS,
    )


def _extended(
    proposal: Proposal, user: User, new: tuple[int, int, str], head: tuple[int, str]
) -> tuple[Suggestion, Extension] | None:
    """The person's pending suggestion at the edge of `new` (at the head revision) and
    the two joined, newest first; None when there is none."""
    head_revision, _text = head
    mine = list(
        Suggestion.objects.select_for_update()
        .filter(proposal=proposal, author=user, state=SuggestionState.PENDING)
        .order_by("-pk")
    )
    lagging = [s for s in mine if s.revision < head_revision]
    log = (
        log_after(proposal.document_id, min(s.revision for s in lagging), head_revision)
        if lagging
        else {}
    )
    for suggestion in mine:
        where = now_at(suggestion, head_revision, log)
        if where is None:
            continue  # changed by someone else: the hook marks it outdated
        joined = extend((where[0], where[1], suggestion.text), new)
        if joined is not None:
            return suggestion, joined
    return None


def _own_pending(document: Document, user: User, suggestion_id: int) -> Suggestion:
    """One of the person's pending suggestions on the document, locked (its proposal first)."""
    mine = Suggestion.objects.filter(
        pk=suggestion_id,
        document=document,
        author=user,
        state=SuggestionState.PENDING,
        proposal__state__in=ACTIVE_STATES,
    )
    proposal_id = mine.values_list("proposal_id", flat=True).first()
    if proposal_id is not None:
        lock_proposals([proposal_id])
        found = mine.select_for_update(of=("self",)).select_related("proposal", "author").first()
        if found is not None:
            return found
    raise InvalidInput(
        "replaces must name one of your pending suggestions on this document.", field="replaces"
    )


def _rewrite(
    suggestion: Suggestion, user: User, change: Extension, head: tuple[int, str]
) -> Suggestion:
    """The person's pending suggestion becomes `change` (at the head revision); when that
    leaves the text as it is, it is withdrawn."""
    head_revision, head_text = head
    suggestion.start, suggestion.end, suggestion.text = change.start, change.end, change.text
    suggestion.original = head_text[change.start : change.end]
    suggestion.revision = head_revision
    proposal = suggestion.proposal
    if suggestion.text == suggestion.original:  # typed, then typed away again
        decide(suggestion, user, SuggestionState.REJECTED)
        lifecycle.record(
            proposal,
            user,
            ProposalEventKind.SUGGESTION_REJECTED,
            suggestion=suggestion.pk,
            withdrawn=True,
        )
        announce_on_commit(suggestion, "rejected")
        settle(proposal, user)
        return suggestion
    suggestion.save(update_fields=["start", "end", "text", "original", "revision"])
    Proposal.objects.filter(pk=proposal.pk).update(updated_at=timezone.now())
    announce_on_commit(suggestion, "updated")
    return suggestion


def suggestion_create(
    *,
    document: Document,
    user: User,
    start: object,
    end: object,
    text: object,
    revision: object,
    replaces: object = None,
) -> tuple[Suggestion, bool]:
    """Suggests replacing document[start:end] (at `revision`) by `text`; answers the
    suggestion and whether it is new (False: it changed one of the person's pending
    suggestions).

    Any signed-in reader may suggest. The range is moved to the current text through the
    operation log; it is refused when it is out of range, its revision is older than the
    kept history, or someone edited the passage meanwhile. Nothing is written then.

    An edit at the edge of one of the person's pending suggestions extends it. `replaces`
    (the id of one of their pending suggestions) makes this its new range and text
    instead: the editor sends that when its author goes on typing inside what they
    suggested (text the shared document does not hold). A suggestion that leaves the text
    as it is, is withdrawn.
    """
    if not is_signed_in(user):
        raise NotAllowed("Sign in to suggest changes.")
    if not can_read_document(user, document):
        raise NotFound("No such document, or you may not read it.")
    if document.branch_of_id is not None:
        raise InvalidInput(
            "This is a proposal's branch: edit it directly, or suggest on the original document.",
            field="document",
        )
    start = _clean_int(start, "start")
    end = _clean_int(end, "end")
    revision = _clean_int(revision, "revision")
    text = _clean_text(text)
    if replaces is not None:
        replaces = _clean_int(replaces, "replaces")
    if start > end:
        raise InvalidInput("start must not be after end.", field="start")
    if start == end and not text and replaces is None:
        raise InvalidInput("Type or delete something to suggest a change.", field="text")
    with transaction.atomic():
        # The row lock: commits wait, so the text read here is the text the suggestion is
        # placed in, and the post-commit hook moves it from exactly this revision.
        head = head_of(document.pk, lock=True)
        start, end, original = _placed(
            document.pk, revision=revision, start=start, end=end, head=head
        )
        if replaces is not None:
            target = _own_pending(document, user, replaces)
            return _rewrite(target, user, Extension(start, end, text), head), False
        if original == text:
            raise InvalidInput("That is the text already there.", field="text")
        proposal = _open_proposal(document, user)
        found = _extended(proposal, user, (start, end, text), head)
        if found is not None:
            target, joined = found
            return _rewrite(target, user, joined, head), False
        suggestion = Suggestion.objects.create(
            proposal=proposal,
            document=document,
            author=user,
            start=start,
            end=end,
            original=original,
            text=text,
            revision=head[0],
        )
        suggestion.proposal = proposal
        lifecycle.record(proposal, user, ProposalEventKind.SUGGESTED, suggestion=suggestion.pk)
        announce_on_commit(suggestion, "created")
    return suggestion, True
