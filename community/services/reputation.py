"""The reputation ledger: every change of a person's reputation is a line, and
`User.reputation` is `REPUTATION_START` plus the sum of that person's lines.

Lines are written by votes and accepts (`community.services.votes`, `...questions`) in the
transaction that records the vote or accept, and undone by a reversing line, so the
ledger tells the whole story and a recompute (`manage.py recompute_reputation`) always
agrees with the stored figure. Values and the daily cap come from settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from accounts.models import User
from collaboration.locking import take_sqlite_write_lock

from ..models import ReputationEvent, ReputationReason


def _day_start(now: datetime) -> datetime:
    """Midnight UTC of `now`'s day: the daily cap counts per UTC day, as Stack Overflow."""
    utc_now = now.astimezone(UTC)
    return datetime.combine(utc_now.date(), time.min, tzinfo=UTC)


def _capped_today(user_id: int, now: datetime) -> int:
    start = _day_start(now)
    total = ReputationEvent.objects.filter(
        user_id=user_id,
        capped=True,
        created_at__gte=start,
        created_at__lt=start + timedelta(days=1),
    ).aggregate(total=Sum("amount"))["total"]
    return total or 0


def grant(
    *,
    user_id: int,
    amount: int,
    reason: str,
    source: str,
    target_type: str = "",
    target_id: int | None = None,
    actor_id: int | None = None,
    capped: bool = False,
) -> ReputationEvent:
    """Writes one ledger line and moves the stored reputation with it.

    Call inside the transaction that records its cause. The person's row is locked, so
    concurrent grants queue and the daily cap (`capped` lines: gains from votes) holds
    exactly; a gain beyond the cap is written with the amount it actually gave (maybe 0).
    """
    take_sqlite_write_lock(User, user_id)
    User.objects.select_for_update().filter(pk=user_id).values_list("pk", flat=True).first()
    now = timezone.now()
    if capped and amount > 0:
        room = max(settings.REPUTATION_DAILY_VOTE_CAP - _capped_today(user_id, now), 0)
        amount = min(amount, room)
    line = ReputationEvent.objects.create(
        user_id=user_id,
        amount=amount,
        reason=reason,
        source=source,
        target_type=target_type,
        target_id=target_id,
        actor_id=actor_id,
        capped=capped,
    )
    if amount:
        User.objects.filter(pk=user_id).update(reputation=F("reputation") + amount)
    return line


def reverse(*, user_id: int, source: str) -> ReputationEvent | None:
    """Undoes the newest line of `source` for the user that is not undone yet (None if
    there is none: undoing twice changes nothing)."""
    take_sqlite_write_lock(User, user_id)
    User.objects.select_for_update().filter(pk=user_id).values_list("pk", flat=True).first()
    line = (
        ReputationEvent.objects.filter(
            user_id=user_id, source=source, reverses__isnull=True, reversed_by__isnull=True
        )
        .order_by("-id")
        .first()
    )
    if line is None:
        return None
    undo = ReputationEvent.objects.create(
        user_id=user_id,
        amount=-line.amount,
        reason=line.reason,
        source=source,
        target_type=line.target_type,
        target_id=line.target_id,
        actor_id=line.actor_id,
        capped=line.capped,
        reverses=line,
    )
    if line.amount:
        User.objects.filter(pk=user_id).update(reputation=F("reputation") - line.amount)
    return undo


def carry_over(*, user_id: int, reputation: int) -> ReputationEvent | None:
    """Brings a person to `reputation` with one ledger line (imports and demo content)."""
    current = User.objects.filter(pk=user_id).values_list("reputation", flat=True).get()
    if reputation == current:
        return None
    return grant(
        user_id=user_id,
        amount=reputation - current,
        reason=ReputationReason.CARRIED_OVER,
        source="carried_over",
    )


@dataclass(frozen=True)
class Mismatch:
    user_id: int
    username: str
    stored: int
    from_ledger: int


def ledger_mismatches() -> list[Mismatch]:
    """Everyone whose stored reputation differs from REPUTATION_START + their ledger."""
    start = settings.REPUTATION_START
    sums = dict(
        ReputationEvent.objects.values("user_id")
        .annotate(total=Sum("amount"))
        .values_list("user_id", "total")
    )
    found = []
    for user_id, username, stored in User.objects.values_list("pk", "username", "reputation"):
        expected = start + (sums.get(user_id) or 0)
        if stored != expected:
            found.append(Mismatch(user_id, username, stored, expected))
    return found


# --- Repairing the stored figure (manage.py recompute_reputation --fix) -----------------


def ledger_reputation(*, user_id: int) -> int:
    """REPUTATION_START plus the person's lines: what their reputation should be."""
    total = ReputationEvent.objects.filter(user_id=user_id).aggregate(total=Sum("amount"))
    return settings.REPUTATION_START + (total["total"] or 0)


def fix_reputation(*, user_id: int) -> tuple[int, int]:
    """Sets the stored reputation to the ledger's figure; answers (before, after).

    The person's row is locked as `grant` locks it, so a vote landing meanwhile waits
    and the figure written includes every committed line.
    """
    with transaction.atomic():
        take_sqlite_write_lock(User, user_id)
        stored = (
            User.objects.select_for_update()
            .filter(pk=user_id)
            .values_list("reputation", flat=True)
            .get()
        )
        expected = ledger_reputation(user_id=user_id)
        if stored != expected:
            User.objects.filter(pk=user_id).update(reputation=expected)
        return stored, expected
