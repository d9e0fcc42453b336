"""Reads for moderation: the flagged item (if the person may see it: the rules of
`community.selectors.targets`), the flag queue, the audit log and a person's warnings.

Flags and moderator actions point at their item by (target_type, target_id), so the items
of a page of rows are loaded in one query per kind (`targets_by_key`), never per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Min, QuerySet

from collaboration.permissions import is_moderator

from ..models import (
    Answer,
    Comment,
    Flag,
    FlagStatus,
    ModerationAction,
    ModerationActionKind,
    Post,
    Question,
    TargetType,
)
from ..targets import target_model, target_type_of
from .targets import can_see_target

TargetKey = tuple[str, int]

EXCERPT_CHARS = 140


# --- the flagged item -------------------------------------------------------------------------


def _item_queryset(target_type: str) -> QuerySet:
    """The item's model with what describing it and deciding its visibility reads."""
    queryset = target_model(target_type).objects.select_related("author")
    if target_type == TargetType.ANSWER:
        return queryset.select_related("question", "question__document")
    return queryset.select_related("document")  # a comment's, or a question's (maybe none)


def target_get(*, target_type: str, target_id: int) -> Post | None:
    """The item with its author and container, or None (unknown type or id)."""
    try:
        queryset = _item_queryset(target_type)
    except ValueError:
        return None
    return queryset.filter(pk=target_id).first()


def target_get_for_user(*, user, target_type: str, target_id: int) -> Post | None:
    """The item if `user` may see it; None (a 404) if it does not exist or is not theirs
    to see, so flags never reveal that a hidden or private item exists."""
    item = target_get(target_type=target_type, target_id=target_id)
    if item is None or not can_see_target(user, target_type, item):
        return None
    return item


def targets_by_key(keys: Iterable[TargetKey]) -> dict[TargetKey, Post]:
    """The items named by (target_type, target_id), one query per kind; missing ones are
    left out (a hard-deleted document takes its comments with it)."""
    wanted: dict[str, set[int]] = {}
    for target_type, target_id in keys:
        if target_id is not None:
            wanted.setdefault(str(target_type), set()).add(int(target_id))
    found: dict[TargetKey, Post] = {}
    for target_type, ids in wanted.items():
        try:
            queryset = _item_queryset(target_type)
        except ValueError:
            continue
        for item in queryset.filter(pk__in=ids):
            found[(target_type, item.pk)] = item
    return found


def target_title(item: Post) -> str:
    """What a person calls the item: "question “…”", "answer to “…”", "comment on “…”"."""
    if isinstance(item, Question):
        return f"question “{item.title}”"
    if isinstance(item, Answer):
        return f"answer to “{item.question.title}”"
    if isinstance(item, Comment):
        return f"comment on “{item.document.title}”"
    return str(item)


def target_excerpt(item: Post, limit: int = EXCERPT_CHARS) -> str:
    """The start of the item's text on one line, for lists."""
    text = " ".join((item.content or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def target_key(item: Post) -> TargetKey:
    return (target_type_of(item), item.pk)


# --- flags ------------------------------------------------------------------------------------


def flag_open_count(*, target_type: str, target_id: int, reason: str | None = None) -> int:
    flags = Flag.objects.filter(
        target_type=target_type, target_id=target_id, status=FlagStatus.OPEN
    )
    if reason is not None:
        flags = flags.filter(reason=reason)
    return flags.count()


def flag_queue(*, status: str | None = FlagStatus.OPEN) -> QuerySet:
    """One row per flagged item: {target_type, target_id, count, first_at, last_at}, the
    items with the most flags first, then those waiting longest (`status` None: all)."""
    flags = Flag.objects.all() if status is None else Flag.objects.filter(status=status)
    return (
        flags.values("target_type", "target_id")
        .annotate(count=Count("id"), first_at=Min("created_at"), last_at=Max("created_at"))
        .order_by("-count", "first_at", "target_type", "target_id")
    )


@dataclass(frozen=True)
class FlagGroup:
    """A flagged item and its flags, as the queue shows it. `target` is None when the item
    itself is gone (its document was deleted)."""

    target_type: str
    target_id: int
    target: Post | None
    flags: list[Flag]
    count: int


def flag_groups(rows: Iterable[dict], *, status: str | None = FlagStatus.OPEN) -> list[FlagGroup]:
    """The queue rows of one page with their items and flags (three queries or so)."""
    rows = list(rows)
    keys = [(row["target_type"], row["target_id"]) for row in rows]
    targets = targets_by_key(keys)
    flags_by_key: dict[TargetKey, list[Flag]] = {key: [] for key in keys}
    if keys:
        flags = Flag.objects.select_related("flagger", "handled_by").filter(
            target_id__in={target_id for _, target_id in keys}
        )
        if status is not None:
            flags = flags.filter(status=status)
        for flag in flags.order_by("created_at", "id"):
            key = (flag.target_type, flag.target_id)
            if key in flags_by_key:
                flags_by_key[key].append(flag)
    return [
        FlagGroup(
            target_type=key[0],
            target_id=key[1],
            target=targets.get(key),
            flags=flags_by_key[key],
            count=row["count"],
        )
        for key, row in zip(keys, rows, strict=True)
    ]


# --- the audit log and warnings ---------------------------------------------------------------


def moderation_log(
    *,
    action: str | None = None,
    target_type: str | None = None,
    target_id: int | None = None,
    target_user_id: int | None = None,
    moderator_id: int | None = None,
) -> QuerySet[ModerationAction]:
    """The audit log, newest first, narrowed by whichever filters are given."""
    log = ModerationAction.objects.select_related("moderator", "target_user")
    if action:
        log = log.filter(action=action)
    if target_type:
        log = log.filter(target_type=target_type)
    if target_id is not None:
        log = log.filter(target_id=target_id)
    if target_user_id is not None:
        log = log.filter(target_user_id=target_user_id)
    if moderator_id is not None:
        log = log.filter(moderator_id=moderator_id)
    return log.order_by("-created_at", "-id")


@dataclass(frozen=True)
class AuthorWarning:
    """A warning as its recipient reads it."""

    note: str
    created_at: datetime
    about: str  # "answer to “…”", or "" when the item is gone


def warnings_for(*, user, limit: int = 20) -> list[AuthorWarning]:
    """The newest warnings moderators gave `user`, each with the post it was about."""
    rows = list(
        ModerationAction.objects.filter(target_user=user, action=ModerationActionKind.WARN)
        .order_by("-created_at", "-id")
        .only("note", "created_at", "target_type", "target_id")[:limit]
    )
    targets = targets_by_key((row.target_type, row.target_id) for row in rows)
    return [
        AuthorWarning(
            note=row.note,
            created_at=row.created_at,
            about=(
                target_title(targets[key])
                if (key := (row.target_type, row.target_id)) in targets
                else ""
            ),
        )
        for row in rows
    ]


def may_see_warnings(*, viewer, person) -> bool:
    """Warnings are between the person and the moderators."""
    if is_moderator(viewer):
        return True
    return bool(viewer is not None and viewer.is_authenticated and viewer.pk == person.pk)
