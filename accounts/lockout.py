"""Sign-in lock-out: at most MAX_LOGIN_ATTEMPTS password checks per account and per address.

Used by the API login and the sign-in page alike. Counters live in the database
(`LoginThrottle`) so the limit holds across processes, works the same on SQLite
and PostgreSQL, and moderators can see and clear lock-outs in the admin.

The order is what makes it hold under concurrency: an attempt first *reserves*
a slot with one conditional `UPDATE ... SET attempts = attempts + 1 WHERE
attempts < limit`, and only a reserved attempt may check the password. Fifty
parallel guesses therefore cost at most `limit` password checks, and a refused
attempt never checks the password at all, so a correct guess during a
lock-out reveals nothing.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from config import metrics

from .models import LoginThrottle
from .selectors import user_get_by_identifier

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import User

logger = logging.getLogger(__name__)

ACCOUNT_PREFIX = "account:"
IP_PREFIX = "ip:"


class LoginLocked(Exception):
    """Raised instead of checking the password while an account or address is locked."""

    def __init__(self, retry_after: int):
        self.retry_after = max(1, math.ceil(retry_after))  # seconds until attempts are allowed
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"Too many failed sign-in attempts. Try again in {_humanize(self.retry_after)}."


def _humanize(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    if seconds <= 90 * 60:
        minutes = math.ceil(seconds / 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = math.ceil(seconds / 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}"


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or X-Forwarded-For behind trusted proxies.

    X-Forwarded-For is only believed when REST_FRAMEWORK["NUM_PROXIES"] says how
    many proxies of ours append to it; otherwise anyone could send a fresh
    address with every guess and never be counted.
    """
    if request is None:
        return None
    meta = request.META
    num_proxies = getattr(settings, "REST_FRAMEWORK", {}).get("NUM_PROXIES")
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if num_proxies and forwarded:
        addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
        if addresses:
            return addresses[-min(num_proxies, len(addresses))]
    return meta.get("REMOTE_ADDR") or None


def account_key(identifier: str) -> str:
    """One counter per account, whether it is named by username or by email.

    Unknown identifiers are counted too (under the identifier itself), so the
    answer never tells an attacker which accounts exist.
    """
    identifier = identifier.strip().lower()
    user = user_get_by_identifier(identifier=identifier) if identifier else None
    name = user.username.lower() if user is not None else identifier
    return (ACCOUNT_PREFIX + name)[:255]


def _keys_for(*, request, identifier: str) -> list[str]:
    keys = [account_key(identifier)]
    if ip := client_ip(request):
        keys.append(IP_PREFIX + ip)
    # A fixed order: two transactions never wait on each other's rows in a cycle.
    return sorted(keys)


def _reserve(*, keys: list[str], now: datetime) -> None:
    """Take one attempt slot on every key, or none of them and raise LoginLocked."""
    limit = settings.MAX_LOGIN_ATTEMPTS
    window_start = now - timedelta(seconds=settings.LOGIN_LOCKOUT_WINDOW_SECONDS)
    refused: list[str] = []
    with transaction.atomic():
        # Writing first matters on SQLite: it takes the write lock at once (and
        # waits for it up to the timeout), where a read followed by a write
        # would fail with "database is locked" when it tried to upgrade.
        LoginThrottle.objects.bulk_create(
            [LoginThrottle(key=key, window_started_at=now) for key in keys],
            ignore_conflicts=True,
        )
        for key in keys:
            rows = LoginThrottle.objects.filter(key=key)
            # A lock-out that ran out, or a window without a lock that ended, starts afresh.
            rows.filter(
                Q(locked_until__lte=now)
                | Q(locked_until__isnull=True, window_started_at__lte=window_start)
            ).update(attempts=0, window_started_at=now, locked_until=None)
            # The reservation itself: one statement, so the row lock (PostgreSQL)
            # or database lock (SQLite) makes the check and the increment one step.
            reserved = rows.filter(attempts__lt=limit, locked_until__isnull=True).update(
                attempts=F("attempts") + 1
            )
            if not reserved:
                refused.append(key)
        if refused:
            retry_after = max(_seconds_locked(key=key, now=now) for key in refused)
            # Raising inside the block rolls back the slots taken on the other keys:
            # a refused attempt is not a failed one.
            metrics.login_lockouts.inc()
            logger.warning("sign-in refused, locked out: %s", ", ".join(refused))
            raise LoginLocked(retry_after)


def _seconds_locked(*, key: str, now: datetime) -> int:
    locked_until = LoginThrottle.objects.filter(key=key).values_list("locked_until", flat=True)
    until = locked_until.first()
    if until is not None and until > now:
        return math.ceil((until - now).total_seconds())
    # Every slot is taken by checks still running; assume they fail.
    return settings.LOGIN_LOCKOUT_COOLOFF_SECONDS


# After the password check, each key is updated by its own statement, in the
# same order as _reserve: a statement touching both rows could take their locks
# in the opposite order to a concurrent reservation and deadlock on PostgreSQL.


def _record_failure(*, keys: list[str]) -> None:
    """Start the cool-off on every key whose slots are now all used by failures."""
    locked_until = timezone.now() + timedelta(seconds=settings.LOGIN_LOCKOUT_COOLOFF_SECONDS)
    for key in keys:
        LoginThrottle.objects.filter(
            key=key, attempts__gte=settings.MAX_LOGIN_ATTEMPTS, locked_until__isnull=True
        ).update(locked_until=locked_until)


def _release(*, keys: list[str]) -> None:
    """Give back the slot this attempt reserved (it was not a failure)."""
    for key in keys:
        LoginThrottle.objects.filter(key=key, attempts__gt=0).update(attempts=F("attempts") - 1)


def _record_success(*, keys: list[str]) -> None:
    """Forget the account's failures; give back only this attempt's slot on the address.

    The address keeps its other failures on purpose: someone guessing passwords
    for many accounts from one address must not be able to wipe that count by
    signing in to an account of their own in between.
    """
    for key in keys:
        if key.startswith(ACCOUNT_PREFIX):
            LoginThrottle.objects.filter(key=key).delete()
        else:
            _release(keys=[key])


def authenticate_with_lockout(
    *, request: HttpRequest | None, identifier: str, password: str
) -> User | None:
    """Check a username-or-email and password, unless the account or address is locked.

    Returns the user, or None for wrong credentials (or an inactive account).
    Raises AccountSuspended (from the backend) for the right password of a suspended
    account; that attempt is not counted as a failure.
    Raises LoginLocked, without checking the password, once MAX_LOGIN_ATTEMPTS
    attempts have failed for the account or for the client address within
    LOGIN_LOCKOUT_WINDOW_SECONDS; the lock lasts LOGIN_LOCKOUT_COOLOFF_SECONDS.
    """
    identifier = identifier.strip()
    keys = _keys_for(request=request, identifier=identifier)
    _reserve(keys=keys, now=timezone.now())
    try:
        user = authenticate(request, username=identifier, password=password)
    except BaseException:
        _release(keys=keys)  # an error is not a wrong password
        raise
    if user is None:
        _record_failure(keys=keys)
        return None
    _record_success(keys=keys)
    return user


def login_throttle_clear(*, keys: list[str]) -> int:
    """Lift lock-outs and forget the failures counted for these keys (moderator action)."""
    deleted, _ = LoginThrottle.objects.filter(key__in=keys).delete()
    return deleted


def login_throttle_prune(*, now: datetime | None = None) -> int:
    """Delete counters whose window and lock have both ended; they no longer matter."""
    now = now or timezone.now()
    window_start = now - timedelta(seconds=settings.LOGIN_LOCKOUT_WINDOW_SECONDS)
    deleted, _ = LoginThrottle.objects.filter(
        Q(locked_until__lte=now) | Q(locked_until__isnull=True, window_started_at__lte=window_start)
    ).delete()
    return deleted
