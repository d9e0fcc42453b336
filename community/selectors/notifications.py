"""Reading notifications: the inbox, the unread count, the socket's backlog, each kind's
delivery, and the watch list with tracking's unread counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.urls import reverse

from collaboration.permissions import readable_documents

from ..models import (
    Answer,
    Comment,
    Notification,
    NotificationKind,
    NotificationPreference,
    Watch,
    WatchLevel,
    WatchTarget,
)
from ..services.notifications import default_delivery, notification_frame
from .questions import question_visible_queryset


def inbox(*, user, unread: bool = False, kind: str | None = None) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    rows = Notification.objects.filter(recipient=user).select_related("actor").order_by("-pk")
    if unread:
        rows = rows.filter(read_at__isnull=True)
    if kind:
        rows = rows.filter(kind=kind)
    return rows


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def backlog(user_id: int, after: int, limit: int) -> list[dict[str, Any]]:
    """The user topic's frames after `after`, oldest first: each notification as it was
    sent live, with today's read state and unread count (what the tab shows now)."""
    rows = list(
        Notification.objects.filter(recipient_id=user_id, pk__gt=after)
        .select_related("actor")
        .order_by("pk")[:limit]
    )
    if not rows:
        return []
    count = Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()
    return [notification_frame(row, count) for row in rows]


@dataclass(frozen=True)
class KindChoice:
    kind: str
    label: str
    delivery: str
    default: str


def preferences(user) -> list[KindChoice]:
    """Every kind with its label, the user's delivery and the site's default."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "delivery"))
    return [
        KindChoice(
            kind=kind,
            label=str(label),
            delivery=chosen.get(kind, default_delivery(kind)),
            default=default_delivery(kind),
        )
        for kind, label in NotificationKind.choices
    ]


@dataclass(frozen=True)
class WatchItem:
    watch: Watch
    title: str
    url: str
    unread: int | None  # tracking and watching only


def _unread(user, watch: Watch) -> int:
    since = watch.last_seen_at or watch.created_at
    if watch.target_type == WatchTarget.QUESTION:
        return (
            Answer.objects.filter(question_id=watch.question_id, created_at__gt=since)
            .filter(deleted_at__isnull=True, is_hidden=False)
            .exclude(author=user)
            .count()
        )
    questions = question_visible_queryset(user).filter(created_at__gt=since).exclude(author=user)
    if watch.target_type == WatchTarget.TAG:
        return questions.filter(tags=watch.tag_id).count()
    comments = (
        Comment.objects.filter(document_id=watch.document_id, created_at__gt=since)
        .filter(deleted_at__isnull=True, is_hidden=False)
        .exclude(author=user)
        .count()
    )
    return comments + questions.filter(document_id=watch.document_id).count()


def watch_list(user) -> list[WatchItem]:
    """What the user chose a level for (normal rows left out), with unread counts for
    tracking and watching; things they may no longer read are left out."""
    watches = (
        Watch.objects.filter(user=user)
        .exclude(level=WatchLevel.NORMAL)
        .select_related("document", "tag", "question")
        .order_by("target_type", "-updated_at")
    )
    readable_docs = set(
        readable_documents(user)
        .filter(pk__in=[w.document_id for w in watches if w.document_id])
        .values_list("pk", flat=True)
    )
    visible_questions = set(
        question_visible_queryset(user)
        .filter(pk__in=[w.question_id for w in watches if w.question_id])
        .values_list("pk", flat=True)
    )
    items = []
    for watch in watches:
        if watch.target_type == WatchTarget.DOCUMENT:
            if watch.document_id not in readable_docs:
                continue
            title, url = watch.document.title, watch.document.get_absolute_url()
        elif watch.target_type == WatchTarget.QUESTION:
            if watch.question_id not in visible_questions:
                continue
            title = watch.question.title
            url = reverse("community:question-detail", args=[watch.question_id])
        else:
            title = watch.tag.name
            url = f"{reverse('community:question-list')}?tag={watch.tag.slug}"
        counted = watch.level in (WatchLevel.TRACKING, WatchLevel.WATCHING)
        items.append(WatchItem(watch, title, url, _unread(user, watch) if counted else None))
    return items


def watch_level(user, **target) -> str:
    """The user's own level on one target (`document=`, `tag=` or `question=`)."""
    if not user.is_authenticated:
        return WatchLevel.NORMAL
    ((field, value),) = target.items()
    level = (
        Watch.objects.filter(user=user, target_type=field, **{field: value})
        .values_list("level", flat=True)
        .first()
    )
    return level or WatchLevel.NORMAL


def kinds_with_counts(user) -> list[tuple[str, str, int]]:
    """(kind, label, how many) for the inbox's filter, kinds the user has only."""
    counts = dict(
        Notification.objects.filter(recipient=user)
        .values("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    return [(k, str(label), counts[k]) for k, label in NotificationKind.choices if k in counts]
