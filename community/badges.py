"""The badges: what each one is for, and who has earned it.

A badge is earned "once" (first question...) or "per item" (each answer with enough
up-votes earns its own). Each definition has a counter, `earned(user_id)`, answering the
ids it is earned for now: `[0]` for a once-badge the person has earned, the item ids for a
per-item badge, `[]` for nothing. Awarding (`community.services.badges`) compares that
with the awards already made; badges are never taken back.

Definitions, so people can tell what counts:
- a post counts while it is not deleted;
- an "up-vote" is a vote row of +1 from another person (votes on your own posts are
  refused), so retracted votes stop counting;
- a "helpful" comment is one that at least one person up-voted (comments take only
  up-votes, so nothing can cancel it out);
- an accepted answer counts when someone else accepted it (accepting your own answer to
  your own question earns nothing, as on Stack Overflow).

Later apps add their own badges with `register(badge)` from their AppConfig.ready()
(contributions: proposals merged, reviews given), because community must not import them;
`BADGES` and `BY_SLUG` are the one registry every reader (awarding, profiles, the API,
notifications) looks in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef

from .models import Answer, BadgeLevel, Comment, Question, TargetType, Vote

GOOD_ANSWER_UPVOTES = 10
GREAT_ANSWER_UPVOTES = 100
HELPFUL_COMMENTS = 10

ONCE = 0  # BadgeAward.target_id of a once-badge


@dataclass(frozen=True)
class Badge:
    slug: str
    name: str
    level: str  # BadgeLevel
    description: str
    earned: Callable[[int], list[int]]
    target_type: str = ""  # what each award of a per-item badge is for; "" for once-badges

    @property
    def per_item(self) -> bool:
        return bool(self.target_type)


def _once(found: bool) -> list[int]:
    return [ONCE] if found else []


def _live(queryset):
    return queryset.filter(deleted_at__isnull=True)


def first_question(user_id: int) -> list[int]:
    return _once(_live(Question.objects.filter(author_id=user_id)).exists())


def first_answer(user_id: int) -> list[int]:
    return _once(_live(Answer.objects.filter(author_id=user_id)).exists())


def first_accepted_answer(user_id: int) -> list[int]:
    answers = _live(Answer.objects.filter(author_id=user_id, is_accepted=True))
    return _once(answers.exclude(question__author_id=user_id).exists())


def _answers_with_upvotes(user_id: int, minimum: int) -> list[int]:
    answers = _live(Answer.objects.filter(author_id=user_id)).values("pk")
    return list(
        Vote.objects.filter(target_type=TargetType.ANSWER, target_id__in=answers, value=1)
        .values("target_id")
        .annotate(upvotes=Count("pk"))
        .filter(upvotes__gte=minimum)
        .order_by("target_id")
        .values_list("target_id", flat=True)
    )


def good_answers(user_id: int) -> list[int]:
    return _answers_with_upvotes(user_id, GOOD_ANSWER_UPVOTES)


def great_answers(user_id: int) -> list[int]:
    return _answers_with_upvotes(user_id, GREAT_ANSWER_UPVOTES)


def helpful_commenter(user_id: int) -> list[int]:
    upvoted = Vote.objects.filter(target_type=TargetType.COMMENT, target_id=OuterRef("pk"), value=1)
    helpful = _live(Comment.objects.filter(author_id=user_id)).filter(Exists(upvoted))
    return _once(helpful.count() >= HELPFUL_COMMENTS)


BADGES: list[Badge] = [
    Badge(
        "first-question",
        "Curious",
        BadgeLevel.BRONZE,
        "Asked a first question.",
        first_question,
    ),
    Badge(
        "first-answer",
        "Helping hand",
        BadgeLevel.BRONZE,
        "Answered a question for the first time.",
        first_answer,
    ),
    Badge(
        "first-accepted-answer",
        "Problem solver",
        BadgeLevel.SILVER,
        "Wrote an answer that the person who asked accepted.",
        first_accepted_answer,
    ),
    Badge(
        "good-answer",
        "Good answer",
        BadgeLevel.SILVER,
        f"An answer up-voted by {GOOD_ANSWER_UPVOTES} people (earned for each such answer).",
        good_answers,
        target_type=TargetType.ANSWER,
    ),
    Badge(
        "great-answer",
        "Great answer",
        BadgeLevel.GOLD,
        f"An answer up-voted by {GREAT_ANSWER_UPVOTES} people (earned for each such answer).",
        great_answers,
        target_type=TargetType.ANSWER,
    ),
    Badge(
        "helpful-commenter",
        "Helpful commenter",
        BadgeLevel.SILVER,
        f"Wrote {HELPFUL_COMMENTS} comments that someone found helpful (up-voted at least once).",
        helpful_commenter,
    ),
]

BY_SLUG: dict[str, Badge] = {badge.slug: badge for badge in BADGES}
LEVELS = (BadgeLevel.GOLD.value, BadgeLevel.SILVER.value, BadgeLevel.BRONZE.value)  # best first


def register(badge: Badge) -> None:
    """Adds a badge defined by another app to the registry (in place, so every module that
    imported `BADGES` or `BY_SLUG` sees it). Registering the same definition again changes
    nothing; a different badge under a slug already taken is a programming error, refused
    at start-up rather than awarding one badge for the other's rule."""
    known = BY_SLUG.get(badge.slug)
    if known == badge:
        return
    if known is not None:
        raise ValueError(f"badge slug {badge.slug!r} is already registered")
    if badge.level not in LEVELS:
        raise ValueError(f"badge {badge.slug!r} has an unknown level {badge.level!r}")
    BADGES.append(badge)
    BY_SLUG[badge.slug] = badge
