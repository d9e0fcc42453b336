"""Reading the reputation ledger: a person's lines, their reputation over time, and the
check that every stored figure agrees with the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.models import User

from ..models import ReputationEvent


def ledger_lines(*, person: User) -> QuerySet[ReputationEvent]:
    """The person's lines, newest first, each annotated `is_reversed` (undone later)."""
    undone = ReputationEvent.objects.filter(reverses=OuterRef("pk"))
    return (
        ReputationEvent.objects.filter(user=person)
        .annotate(is_reversed=Exists(undone))
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class HistoryPoint:
    day: date
    reputation: int  # at the end of that day (UTC)


def reputation_history(*, person: User) -> list[HistoryPoint]:
    """Reputation at the end of every UTC day the ledger changed it, oldest first, ending
    today (so a chart reaches the present). Empty when the ledger has no lines yet."""
    per_day = (
        ReputationEvent.objects.filter(user=person)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day")
        .annotate(total=Sum("amount"))
        .order_by("day")
        .values_list("day", "total")
    )
    points = []
    running = settings.REPUTATION_START
    for day, total in per_day:
        running += total
        points.append(HistoryPoint(day, running))
    today = timezone.now().astimezone(UTC).date()
    if points and points[-1].day < today:
        points.append(HistoryPoint(today, running))
    return points


@dataclass(frozen=True)
class ReputationCheck:
    user_id: int
    username: str
    stored: int
    from_ledger: int


def reputation_checks(*, after_pk: int, limit: int) -> list[ReputationCheck]:
    """The next `limit` people by id after `after_pk`, each with the stored figure and the
    ledger's (REPUTATION_START + sum): one query per batch, for the recompute command."""
    totals = (
        ReputationEvent.objects.filter(user=OuterRef("pk"))
        .order_by()
        .values("user")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    rows = (
        User.objects.filter(pk__gt=after_pk)
        .order_by("pk")
        .annotate(ledger=Coalesce(Subquery(totals), 0))
        .values_list("pk", "username", "reputation", "ledger")[:limit]
    )
    start = settings.REPUTATION_START
    return [ReputationCheck(pk, name, stored, start + ledger) for pk, name, stored, ledger in rows]
