"""Opening, changing, closing and reopening proposals; reviewers; the document's merge rules;
the state a proposal's reviews put it in. Merging and rebasing are in `merge`, reviews in
`reviews`, suggestion mode in `suggestions`.

Every change writes a timeline event in its transaction and, after commit, a notice on
the topics of the document and the branch (`frames.announce`), so open proposal pages,
document pages and editors update at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from collaboration.locking import take_sqlite_write_lock
from collaboration.models import Document, DocumentMember, MemberRole
from collaboration.permissions import can_manage_document, can_read_document, is_signed_in
from collaboration.services import (
    document_access_changed,
    document_branch_create,
    document_branch_share,
)

from ..errors import Conflict, InvalidInput, NotAllowed, NotFound
from ..models import (
    ACTIVE_STATES,
    REVIEWABLE_STATES,
    Proposal,
    ProposalEvent,
    ProposalEventKind,
    ProposalKind,
    ProposalReviewer,
    ProposalSettings,
    ProposalState,
    Review,
    ReviewVerdict,
)
from ..tasks.git import schedule_proposal_sync
from . import frames, rules

if TYPE_CHECKING:
    from accounts.models import User

TITLE_MAX = 200
DESCRIPTION_MAX = 20_000
MAX_APPROVALS = 10


def clean_title(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("Give the proposal a title.", field="title")
    value = value.strip()
    if len(value) > TITLE_MAX or "\x00" in value:
        raise InvalidInput(
            f"A title is at most {TITLE_MAX} characters, without NUL characters.", field="title"
        )
    return value


def clean_description(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > DESCRIPTION_MAX or "\x00" in value:
        raise InvalidInput(
            f"A description is text of at most {DESCRIPTION_MAX} characters.", field="description"
        )
    return value.strip()


GIT_EVENTS = {
    ProposalEventKind.OPENED,
    ProposalEventKind.DRAFTED,
    ProposalEventKind.READY,
    ProposalEventKind.CLOSED,
    ProposalEventKind.REOPENED,
    ProposalEventKind.MERGED,
}


def record(proposal: Proposal, actor, kind: str, **data) -> ProposalEvent:
    """A timeline event, announced live once the transaction commits (and the Git
    branch follows a change of state: drafts have none)."""
    event = ProposalEvent.objects.create(
        proposal=proposal, actor=actor if is_signed_in(actor) else None, kind=kind, data=data
    )
    frames.announce_on_commit(proposal, kind)
    if kind in GIT_EVENTS and proposal.branch_id is not None:
        transaction.on_commit(partial(schedule_proposal_sync, proposal.pk), robust=True)
    return event


def _next_number(document: Document) -> int:
    """The document's next proposal number; call with the document row locked."""
    last = Proposal.objects.filter(document=document).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


def merge_rules(document: Document) -> ProposalSettings:
    """The document's merge rules (the defaults when none were set)."""
    found = ProposalSettings.objects.filter(document=document).first()
    return found or ProposalSettings(document=document)


def merge_rules_update(
    *, document: Document, user: User, required_approvals=None, dismiss_stale_approvals=None
) -> ProposalSettings:
    """Changes how many approvals a merge needs and whether they go stale (owner or
    moderator). States of open proposals follow at once."""
    if not can_manage_document(user, document):
        raise NotAllowed("Only the document's owner or a moderator may change its merge rules.")
    current = merge_rules(document)
    if required_approvals is not None:
        if type(required_approvals) is not int or not 0 <= required_approvals <= MAX_APPROVALS:
            raise InvalidInput(
                f"Required approvals must be a whole number from 0 to {MAX_APPROVALS}.",
                field="required_approvals",
            )
        current.required_approvals = required_approvals
    if dismiss_stale_approvals is not None:
        if not isinstance(dismiss_stale_approvals, bool):
            raise InvalidInput("Give true or false.", field="dismiss_stale_approvals")
        current.dismiss_stale_approvals = dismiss_stale_approvals
    with transaction.atomic():
        current.save()
        for proposal in Proposal.objects.filter(document=document, state__in=REVIEWABLE_STATES):
            refresh_state(proposal, actor=user)
    return current


def proposal_create(
    *,
    document: Document,
    user: User,
    title: object,
    description: object = "",
    draft: bool = False,
    content: str | None = None,
    origin: str = "",
    credited: Iterable = (),
    kind: str = ProposalKind.BRANCH,
) -> Proposal:
    """A proposal on `document`, with its branch made from the current text (or from
    `content` when the proposal starts pre-filled, e.g. from an accepted answer).

    Any signed-in reader may propose; the branch is theirs (and their co-authors') to
    edit live. A draft stays private until marked ready.
    """
    if not is_signed_in(user):
        raise NotAllowed("Sign in to propose changes.")
    if not can_read_document(user, document):
        raise NotFound("No such document, or you may not read it.")
    if document.branch_of_id is not None:
        raise InvalidInput(
            "This is already a proposal's branch: propose on the original document.",
            field="document_id",
        )
    title = clean_title(title)
    description = clean_description(description)
    with transaction.atomic():
        take_sqlite_write_lock(Document, document.pk)
        locked = (
            Document.objects.select_for_update()
            .only("pk", "revision", "content_checkpoint", "content_revision", "title")
            .get(pk=document.pk)
        )
        branch = None
        if kind == ProposalKind.BRANCH:
            branch = document_branch_create(
                document=document,
                owner=user,
                title=f"{locked.title} (proposal: {title})"[:200],
                content=locked.content if content is None else content,
                shared=not draft,
            )
        proposal = Proposal.objects.create(
            document=document,
            number=_next_number(document),
            kind=kind,
            branch=branch,
            author=user,
            title=title,
            description=description,
            state=ProposalState.DRAFT if draft else ProposalState.OPEN,
            base_revision=locked.revision,
            base_content=locked.content,
            origin=origin,
        )
        others = [person for person in credited if person is not None and person.pk != user.pk]
        if others:
            proposal.credited.add(*others)
        record(proposal, user, ProposalEventKind.OPENED, draft=draft)
    return proposal


def proposal_update(
    *, proposal: Proposal, user: User, title: object = None, description: object = None
) -> Proposal:
    if not rules.can_change(user, proposal):
        raise NotAllowed("Only the proposal's author or the document's owner may change it.")
    if proposal.state == ProposalState.MERGED:
        raise Conflict("A merged proposal cannot be changed.")
    fields = []
    if title is not None:
        proposal.title = clean_title(title)
        fields.append("title")
    if description is not None:
        proposal.description = clean_description(description)
        fields.append("description")
    if fields:
        with transaction.atomic():
            proposal.save(update_fields=[*fields, "updated_at"])
            record(proposal, user, ProposalEventKind.EDITED, fields=fields)
    return proposal


def _share_branch(proposal: Proposal, shared: bool) -> None:
    if proposal.branch_id is not None:
        document_branch_share(branch=proposal.branch, shared=shared)


def proposal_set_draft(*, proposal: Proposal, user: User, draft: bool) -> Proposal:
    """Back to draft (private again) or ready for review (open to the document's readers)."""
    if not rules.can_change(user, proposal):
        raise NotAllowed("Only the proposal's author or the document's owner may change it.")
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.state not in ACTIVE_STATES:
            raise Conflict("Only an open proposal can be a draft or be marked ready.")
        if draft == (proposal.state == ProposalState.DRAFT):
            return proposal
        if draft:
            proposal.state = ProposalState.DRAFT
            proposal.save(update_fields=["state", "updated_at"])
            _share_branch(proposal, False)
            record(proposal, user, ProposalEventKind.DRAFTED)
        else:
            proposal.state = ProposalState.OPEN
            proposal.save(update_fields=["state", "updated_at"])
            _share_branch(proposal, True)
            record(proposal, user, ProposalEventKind.READY)
            refresh_state(proposal, actor=user)
    return proposal


def proposal_close(*, proposal: Proposal, user: User) -> Proposal:
    if not rules.can_change(user, proposal):
        raise NotAllowed("Only the proposal's author or the document's owner may close it.")
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.state == ProposalState.MERGED:
            raise Conflict("This proposal was merged; there is nothing to close.")
        if proposal.state == ProposalState.CLOSED:
            return proposal
        proposal.state = ProposalState.CLOSED
        proposal.closed_by = user
        proposal.closed_at = timezone.now()
        proposal.save(update_fields=["state", "closed_by", "closed_at", "updated_at"])
        record(proposal, user, ProposalEventKind.CLOSED)
    return proposal


def proposal_reopen(*, proposal: Proposal, user: User) -> Proposal:
    if not rules.can_change(user, proposal):
        raise NotAllowed("Only the proposal's author or the document's owner may reopen it.")
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.state != ProposalState.CLOSED:
            raise Conflict("Only a closed proposal can be reopened.")
        proposal.state = ProposalState.OPEN
        proposal.closed_by = None
        proposal.closed_at = None
        proposal.save(update_fields=["state", "closed_by", "closed_at", "updated_at"])
        _share_branch(proposal, True)
        record(proposal, user, ProposalEventKind.REOPENED)
        refresh_state(proposal, actor=user)
    return proposal


def reviewer_request(*, proposal: Proposal, user: User, usernames: Iterable[str]) -> list:
    """Asks people for a review (the author, the document's editors), or assigns oneself
    (any reader but the author: pass one's own name). Each is told by a notification."""
    names = [str(name).strip() for name in usernames if str(name).strip()]
    if not names:
        raise InvalidInput("Name at least one reviewer.", field="reviewers")
    if len(names) > 20:
        raise InvalidInput("Ask at most 20 reviewers at once.", field="reviewers")
    self_only = [name.lower() for name in names] == [user.username.lower()]
    if not (self_only and rules.can_review(user, proposal)) and not rules.can_request_reviewer(
        user, proposal
    ):
        raise NotAllowed("Only the author or the document's editors may ask for reviews.")
    people = list(get_user_model().objects.filter(username__in=names, is_active=True))
    found = {person.username.lower() for person in people}
    missing = [name for name in names if name.lower() not in found]
    if missing:
        raise InvalidInput(f"No such person: {', '.join(missing)}.", field="reviewers")
    added = []
    with transaction.atomic():
        for person in people:
            if person.pk == proposal.author_id:
                raise InvalidInput(
                    "The author cannot review their own proposal.", field="reviewers"
                )
            if not rules.can_see(person, proposal):
                raise InvalidInput(
                    f"{person.username} may not read this document.", field="reviewers"
                )
            _row, created = ProposalReviewer.objects.get_or_create(
                proposal=proposal, user=person, defaults={"requested_by": user}
            )
            if created:
                added.append(person)
        if added:
            record(
                proposal,
                user,
                ProposalEventKind.REVIEW_REQUESTED,
                reviewers=[person.username for person in added],
            )
            frames.notify_reviewers_on_commit(proposal, added, by=user)
    return added


def co_author_add(*, proposal: Proposal, user: User, username: str) -> None:
    """Invites a co-author: they may edit the branch live and are credited on the merge."""
    if proposal.author_id != user.pk and not rules.can_change(user, proposal):
        raise NotAllowed("Only the proposal's author may invite co-authors.")
    if proposal.branch_id is None:
        raise InvalidInput("Suggestions have no branch to invite co-authors to.")
    person = get_user_model().objects.filter(username=str(username).strip(), is_active=True).first()
    if person is None:
        raise InvalidInput("No such person.", field="username")
    if person.pk == proposal.author_id:
        return
    with transaction.atomic():
        DocumentMember.objects.update_or_create(
            document_id=proposal.branch_id, user=person, defaults={"role": MemberRole.EDITOR}
        )
        document_access_changed(document_id=proposal.branch_id)
        proposal.credited.add(person)


# --- the state reviews put a proposal in -----------------------------------------------


def decisive_reviews(proposal: Proposal) -> dict[int, Review]:
    """Each reviewer's latest approve or request-changes review, by reviewer id."""
    latest: dict[int, Review] = {}
    for review in proposal.reviews.exclude(verdict=ReviewVerdict.COMMENT).order_by(
        "created_at", "pk"
    ):
        latest[review.reviewer_id] = review
    return latest


def approval_count(proposal: Proposal) -> int:
    return sum(
        1
        for review in decisive_reviews(proposal).values()
        if review.verdict == ReviewVerdict.APPROVE and review.counts and not review.dismissed
    )


def blocking_reviews(proposal: Proposal) -> list[Review]:
    return [
        review
        for review in decisive_reviews(proposal).values()
        if review.verdict == ReviewVerdict.REQUEST_CHANGES
    ]


def refresh_state(proposal: Proposal, *, actor=None) -> Proposal:
    """Open, changes requested or approved, from its reviews (a draft, merged or closed
    proposal keeps its state). Call inside the transaction that changed them."""
    if proposal.state not in REVIEWABLE_STATES:
        return proposal
    if blocking_reviews(proposal):
        state = ProposalState.CHANGES_REQUESTED
    elif approval_count(proposal) >= merge_rules(proposal.document).required_approvals:
        state = ProposalState.APPROVED
    else:
        state = ProposalState.OPEN
    if state != proposal.state:
        proposal.state = state
        proposal.save(update_fields=["state", "updated_at"])
        frames.announce_on_commit(proposal, "state")
    return proposal


def find(*, user, proposal_id: object) -> Proposal:
    """The proposal if `user` may see it; NotFound otherwise (no difference between the two)."""
    if type(proposal_id) is not int:
        try:
            proposal_id = int(str(proposal_id))
        except ValueError:
            raise NotFound("No such proposal.") from None
    proposal = (
        Proposal.objects.select_related("document", "branch", "author")
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None or not rules.can_see(user, proposal):
        raise NotFound("No such proposal.")
    return proposal
