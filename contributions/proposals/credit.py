"""Reputation and badges for contributions, written into the community's ledger in the
transaction that records their cause (values in settings: REPUTATION_PROPOSAL_MERGED,
REPUTATION_PROPOSAL_CO_AUTHOR, REPUTATION_REVIEW_HELPFUL). Each line's `source` names its
cause, so a repeated request never grants twice; un-marking a review reverses its line."""

from __future__ import annotations

from django.conf import settings

from community.models import ReputationEvent, ReputationReason, ReputationTarget
from community.services import badges, reputation

from ..models import Proposal, Review


def _granted(user_id: int, source: str) -> bool:
    return ReputationEvent.objects.filter(
        user_id=user_id, source=source, reverses__isnull=True, reversed_by__isnull=True
    ).exists()


def proposal_merged(proposal: Proposal) -> None:
    """The author and each co-author earn reputation for a merge; badges are checked."""
    people = [(proposal.author_id, settings.REPUTATION_PROPOSAL_MERGED)]
    people += [
        (user_id, settings.REPUTATION_PROPOSAL_CO_AUTHOR)
        for user_id in proposal.credited.values_list("pk", flat=True)
        if user_id != proposal.author_id
    ]
    source = f"merge:{proposal.pk}"
    for user_id, amount in people:
        if not _granted(user_id, source):
            reputation.grant(
                user_id=user_id,
                amount=amount,
                reason=ReputationReason.PROPOSAL_MERGED,
                source=source,
                target_type=ReputationTarget.PROPOSAL,
                target_id=proposal.pk,
                actor_id=proposal.merged_by_id,
            )
        badges.schedule_check(user_id)
    badges.schedule_check(proposal.merged_by_id)


def review_helpful(review: Review) -> None:
    """The reviewer earns reputation while the author holds the review helpful."""
    source = f"review-helpful:{review.pk}"
    if review.helpful and not _granted(review.reviewer_id, source):
        reputation.grant(
            user_id=review.reviewer_id,
            amount=settings.REPUTATION_REVIEW_HELPFUL,
            reason=ReputationReason.REVIEW_HELPFUL,
            source=source,
            target_type=ReputationTarget.REVIEW,
            target_id=review.pk,
            actor_id=review.proposal.author_id,
        )
    elif not review.helpful:
        reputation.reverse(user_id=review.reviewer_id, source=source)
    badges.schedule_check(review.reviewer_id)


def review_given(review: Review) -> None:
    """Every review given counts towards the Reviewer badge."""
    badges.schedule_check(review.reviewer_id)
