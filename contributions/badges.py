"""The contribution badges: a first merged proposal, being credited on one, reviewing.

Registered with the community's badge registry by hooks/contribution_stats.py (community
cannot import contributions, the later app), so they are awarded, listed on profiles and in
the API, and announced like every other badge.

What counts, so people can tell:
- a merge counts for the proposal's author ("First merge") and for the people credited
  beside them: co-authors invited to the branch, the asker and answerer of the accepted
  answer it came from ("Co-author");
- "Reviewer" counts distinct proposals reviewed (any verdict, comments included): ten
  reviews of one proposal are one, so the badge means ten changes looked at.
"""

from __future__ import annotations

from community.badges import ONCE, Badge
from community.models import BadgeLevel

from .models import Proposal, ProposalState, Review

REVIEWED_PROPOSALS = 10


def _once(found: bool) -> list[int]:
    return [ONCE] if found else []


def first_merge(user_id: int) -> list[int]:
    merged = Proposal.objects.filter(author_id=user_id, state=ProposalState.MERGED)
    return _once(merged.exists())


def co_author(user_id: int) -> list[int]:
    merged = Proposal.objects.filter(credited=user_id, state=ProposalState.MERGED)
    return _once(merged.exclude(author_id=user_id).exists())


def reviewer(user_id: int) -> list[int]:
    reviewed = Review.objects.filter(reviewer_id=user_id).values("proposal_id").distinct()
    return _once(reviewed.count() >= REVIEWED_PROPOSALS)


CONTRIBUTION_BADGES: tuple[Badge, ...] = (
    # Slugs are stored with every award: never rename one.
    Badge(
        "first-contribution",
        "First merge",
        BadgeLevel.BRONZE,
        "Had a first proposed change merged into a document.",
        first_merge,
    ),
    Badge(
        "co-author",
        "Co-author",
        BadgeLevel.BRONZE,
        "Was credited on a merged proposal written with others (or from their Q&A).",
        co_author,
    ),
    Badge(
        "reviewer",
        "Reviewer",
        BadgeLevel.SILVER,
        f"Reviewed {REVIEWED_PROPOSALS} proposed changes by other people.",
        reviewer,
    ),
)
