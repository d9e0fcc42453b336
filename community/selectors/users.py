"""People as the community pages show them: the list by reputation, and what a profile
shows of someone's posts and badges (only what the viewer may see)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from accounts.models import User
from accounts.selectors import person_find  # noqa: F401 - profiles read people through here

from ..badges import BY_SLUG, LEVELS, Badge
from ..models import Answer, BadgeAward, Comment, Question, TargetType
from .targets import (
    TargetLink,
    link_of,
    target_links,
    visible_answers,
    visible_comments,
    visible_questions,
)

PROFILE_POSTS = 10  # of each kind on a profile


def user_list(*, query: str = "") -> QuerySet[User]:
    """Active people, highest reputation first, optionally those whose username or name
    contains `query`; each annotated with its badge counts per level."""
    people = User.objects.filter(is_active=True)
    query = query.replace("\x00", "").strip()  # PostgreSQL refuses NUL in a query
    if query:
        people = people.filter(Q(username__icontains=query) | Q(full_name__icontains=query))
    return people.annotate(
        gold=Count("badge_awards", filter=Q(badge_awards__level=LEVELS[0])),
        silver=Count("badge_awards", filter=Q(badge_awards__level=LEVELS[1])),
        bronze=Count("badge_awards", filter=Q(badge_awards__level=LEVELS[2])),
    ).order_by("-reputation", "username")


@dataclass(frozen=True)
class PostRow:
    item: Question | Answer | Comment
    link: TargetLink


@dataclass(frozen=True)
class Posts:
    """The newest posts of one kind and how many there are (that the viewer may see)."""

    rows: list[PostRow]
    count: int


def _posts(target_type: str, queryset: QuerySet, *related: str) -> Posts:
    newest = queryset.order_by("-created_at", "-id").select_related(*related)[:PROFILE_POSTS]
    rows = [PostRow(item, link_of(target_type, item)) for item in newest]
    return Posts(rows, queryset.count())


def questions_by(*, person: User, viewer) -> Posts:
    return _posts(TargetType.QUESTION, visible_questions(viewer).filter(author=person))


def answers_by(*, person: User, viewer) -> Posts:
    answers = visible_answers(viewer).filter(author=person)
    return _posts(TargetType.ANSWER, answers, "question")


def comments_by(*, person: User, viewer) -> Posts:
    comments = visible_comments(viewer).filter(author=person)
    return _posts(TargetType.COMMENT, comments, "document")


@dataclass(frozen=True)
class EarnedBadge:
    """One badge a person holds: how many times, and the items (the viewer may see) it
    was earned for."""

    badge: Badge
    count: int
    links: list[TargetLink]


def badges_of(*, person: User, viewer) -> dict[str, list[EarnedBadge]]:
    """{level: [badge, ...]}, most precious level first, each level's badges by name."""
    awards = list(BadgeAward.objects.filter(user=person).order_by("awarded_at", "id"))
    links = target_links(viewer, [(a.target_type, a.target_id) for a in awards])
    grouped: dict[str, list[BadgeAward]] = {}
    for award in awards:
        if award.badge in BY_SLUG:  # a badge retired from the code stays in the table
            grouped.setdefault(award.badge, []).append(award)
    by_level: dict[str, list[EarnedBadge]] = {level: [] for level in LEVELS}
    for slug, earned in grouped.items():
        badge = BY_SLUG[slug]
        found = [links.get((a.target_type, a.target_id)) for a in earned if a.target_id]
        by_level[badge.level].append(
            EarnedBadge(badge, len(earned), [link for link in found if link is not None])
        )
    for level in by_level.values():
        level.sort(key=lambda earned: earned.badge.name)
    return by_level


def badge_awards(*, person: User) -> QuerySet[BadgeAward]:
    """Every award of the person's, newest first (the API lists them)."""
    return BadgeAward.objects.filter(user=person).order_by("-awarded_at", "-id")
