"""Reviews: a verdict (approve, request changes, comment), a body, and inline comments on
ranges of the branch text, which then follow the branch's edits (hooks/proposals.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from collaboration.locking import take_sqlite_write_lock
from collaboration.models import Document
from collaboration.selectors import document_text

from ..errors import Conflict, InvalidInput, NotAllowed
from ..models import (
    Proposal,
    ProposalEventKind,
    ProposalReviewer,
    Review,
    ReviewComment,
    ReviewVerdict,
)
from . import credit, frames, lifecycle, rules

if TYPE_CHECKING:
    from accounts.models import User

BODY_MAX = 20_000
MAX_INLINE_COMMENTS = 100


def _clean_body(value: object, *, field: str = "body") -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > BODY_MAX or "\x00" in value:
        raise InvalidInput(f"Write at most {BODY_MAX} characters, as text.", field=field)
    return value.strip()


def _clean_comments(raw: object, text: str) -> list[dict]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_INLINE_COMMENTS:
        raise InvalidInput(
            f"comments is a list of at most {MAX_INLINE_COMMENTS} {{start, end, body}}.",
            field="comments",
        )
    length = len(text)  # code points, as every position in the API
    cleaned = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise InvalidInput(f"comments[{index}] must be an object.", field="comments")
        start, end = item.get("start"), item.get("end")
        if type(start) is not int or type(end) is not int or not 0 <= start <= end <= length:
            raise InvalidInput(
                f"comments[{index}]: start and end are positions in the branch text "
                f"(0 to {length}), start <= end.",
                field="comments",
            )
        body = _clean_body(item.get("body"), field="comments")
        if not body:
            raise InvalidInput(f"comments[{index}] needs a body.", field="comments")
        cleaned.append({"start": start, "end": end, "body": body})
    return cleaned


def review_submit(
    *, proposal: Proposal, user: User, verdict: object, body: object = "", comments: object = None
) -> Review:
    """Records a review of the branch as it is now. An approval counts towards the merge
    when the reviewer is reviewer-grade; "request changes" blocks until that reviewer
    approves. The author is told of requested changes; the proposal's state follows."""
    if not rules.can_review(user, proposal):
        if proposal.author_id == getattr(user, "pk", None):
            raise NotAllowed("You cannot review your own proposal.")
        raise NotAllowed("You may not review this proposal.")
    if verdict not in ReviewVerdict.values:
        raise InvalidInput("verdict is one of approve, request_changes, comment.", field="verdict")
    body = _clean_body(body)
    if verdict == ReviewVerdict.REQUEST_CHANGES and not body:
        raise InvalidInput("Say what should change.", field="body")
    with transaction.atomic():
        proposal = (
            Proposal.objects.select_for_update().select_related("document").get(pk=proposal.pk)
        )
        if not rules.can_review(user, proposal) or proposal.state in ("merged", "closed"):
            raise Conflict("This proposal is no longer open for review.")
        revision, text = 0, ""
        if proposal.branch_id is not None:
            take_sqlite_write_lock(Document, proposal.branch_id)
            revision, text = document_text(document_id=proposal.branch_id)
        inline = _clean_comments(comments, text)
        if inline and proposal.branch_id is None:
            raise InvalidInput("Suggestions have no branch text to comment on.", field="comments")
        review = Review.objects.create(
            proposal=proposal,
            reviewer=user,
            verdict=verdict,
            body=body,
            branch_revision=revision,
            counts=rules.is_reviewer_grade(user, proposal),
        )
        ReviewComment.objects.bulk_create(
            [
                ReviewComment(
                    review=review,
                    start=item["start"],
                    end=item["end"],
                    quote=text[item["start"] : item["end"]],
                    revision=revision,
                    body=item["body"],
                )
                for item in inline
            ]
        )
        ProposalReviewer.objects.get_or_create(proposal=proposal, user=user)
        lifecycle.record(
            proposal, user, ProposalEventKind.REVIEWED, verdict=verdict, review=review.pk
        )
        lifecycle.refresh_state(proposal, actor=user)
        credit.review_given(review)
        if verdict == ReviewVerdict.REQUEST_CHANGES:
            frames.notify_author_on_commit(
                proposal,
                kind="changes_requested",
                title=f"{user.username} asked for changes to “{proposal.title}”",
                by=user,
            )
    return review


def review_mark_helpful(*, review: Review, user: User, helpful: bool = True) -> Review:
    """The author says a review helped (its reviewer earns reputation for it)."""
    proposal = review.proposal
    if proposal.author_id != user.pk:
        raise NotAllowed("Only the proposal's author marks reviews helpful.")
    if review.reviewer_id == user.pk:
        raise InvalidInput("That review is your own.")
    if review.helpful != helpful:
        with transaction.atomic():
            review.helpful = helpful
            review.save(update_fields=["helpful"])
            credit.review_helpful(review)
    return review


def dismiss_stale_approvals(proposal: Proposal, branch_revision: int) -> int:
    """Approvals of an older branch revision stop counting (when the document's rules
    say so); returns how many. Called by the branch's post-commit receiver."""
    if not lifecycle.merge_rules(proposal.document).dismiss_stale_approvals:
        return 0
    stale = Review.objects.filter(
        proposal=proposal,
        verdict=ReviewVerdict.APPROVE,
        dismissed=False,
        branch_revision__lt=branch_revision,
    )
    count = stale.update(dismissed=True)
    if count:
        lifecycle.record(proposal, None, ProposalEventKind.DISMISSED, approvals=count)
        lifecycle.refresh_state(proposal)
    return count
