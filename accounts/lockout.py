"""Sign-in lock-out: failed password checks per account (MAX_LOGIN_ATTEMPTS) and per
client address (MAX_LOGIN_ATTEMPTS_PER_ADDRESS), each counted on its own.

Used by the sign-in page, the API login and the admin login alike. Counters live
in the database (`LoginThrottle`) so the limits hold across processes, work the
same on SQLite and PostgreSQL, and moderators can see and clear lock-outs in the
admin.

Each key (the account, the address) has a limit of slots per window. A slot is
either a failed check (`attempts`) or a check running now (`in_flight`). Before
checking a password an attempt *reserves* a slot on every key, each with one
conditional `UPDATE ... WHERE attempts + in_flight < limit`; only then may it
check the password. So fifty parallel guesses cost at most `limit` checks, and a
refused attempt never checks the password, so a correct guess during a lock-out
reveals nothing. Afterwards a failure turns its slot into a failed attempt (and
locks the key once the failures fill every slot), while a success or an error
hands the slot back: only failures count.

When a key's slots are full but not all of them are failures, the attempt is not
refused: it waits, holding no lock, and tries again until the checks running now
end. Either one of them succeeds and frees a slot, or they fail and
the key is locked. That is how thirty people signing in behind one school address,
or six tabs of one person, all get in while guessers still get only `limit` checks.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Greatest
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

# How long an attempt waits for the checks running on its keys to end. A check takes
# one password hash (well under a second); this is only reached when a process died
# during a check and left its slot taken, until the window ends and frees it.
MAX_WAIT_SECONDS = 10.0


class LoginLocked(Exception):
    """Raised instead of checking the password while an account or address is locked."""

    def __init__(self, retry_after: float):
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


def _limit(key: str) -> int:
    if key.startswith(IP_PREFIX):
        return settings.MAX_LOGIN_ATTEMPTS_PER_ADDRESS
    return settings.MAX_LOGIN_ATTEMPTS


def _reserve(*, keys: list[str]) -> None:
    """Take one slot on every key, waiting while checks running now hold them all.

    Raises LoginLocked at once when a key's failures fill its slots, or when the
    slots stay taken for MAX_WAIT_SECONDS.
    """
    deadline = time.monotonic() + MAX_WAIT_SECONDS
    pause = 0.005
    while not _try_reserve(keys=keys, now=timezone.now()):
        # Wait with reads only: retrying the write each time would queue every waiter
        # for the write lock (SQLite) or the row locks (PostgreSQL) that the checks
        # running now need in order to end.
        while True:
            if time.monotonic() + pause > deadline:
                metrics.login_lockouts.inc()
                logger.warning("sign-in refused, checks still running: %s", ", ".join(keys))
                raise LoginLocked(1)
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
            if _worth_trying(keys=keys, now=timezone.now()):
                break


def _worth_trying(*, keys: list[str], now: datetime) -> bool:
    """False while a key's slots are all taken and some by checks still running.

    A key locked by failures is worth a try too: the try raises LoginLocked.
    """
    window_start = now - timedelta(seconds=settings.LOGIN_LOCKOUT_WINDOW_SECONDS)
    running = False
    for row in LoginThrottle.objects.filter(key__in=keys):
        limit = _limit(row.key)
        if row.locked_until is not None or row.attempts >= limit:
            return True
        if row.window_started_at > window_start and row.attempts + row.in_flight >= limit:
            running = True
    return not running


def _try_reserve(*, keys: list[str], now: datetime) -> bool:
    """One try: a slot on every key (True), on none of them (False: wait), or LoginLocked."""
    window_start = now - timedelta(seconds=settings.LOGIN_LOCKOUT_WINDOW_SECONDS)
    # A lock-out that ran out, or a window without a lock that ended, starts afresh.
    # Checks still running from the old window were counted there; they are not
    # carried over, so a slot left taken by a process that died frees itself.
    ended = Q(locked_until__lte=now) | Q(
        locked_until__isnull=True, window_started_at__lte=window_start
    )
    full: list[str] = []
    with transaction.atomic():
        # Writing first matters on SQLite: it takes the write lock at once (and
        # waits for it up to the timeout), where a read followed by a write
        # would fail with "database is locked" when it tried to upgrade.
        LoginThrottle.objects.bulk_create(
            [LoginThrottle(key=key, window_started_at=now) for key in keys],
            ignore_conflicts=True,
        )
        for key in keys:
            # The reservation itself: one statement, so the row lock (PostgreSQL) or
            # database lock (SQLite) makes the check and the increment one step.
            free = Q(locked_until__isnull=True, attempts__lt=_limit(key) - F("in_flight"))
            reserved = (
                LoginThrottle.objects.filter(key=key)
                .filter(ended | free)
                .update(
                    attempts=_either(ended, 0, F("attempts"), field="attempts"),
                    in_flight=_either(ended, 1, F("in_flight") + 1, field="in_flight"),
                    window_started_at=_either(
                        ended, now, F("window_started_at"), field="window_started_at"
                    ),
                    locked_until=_either(ended, None, F("locked_until"), field="locked_until"),
                )
            )
            if not reserved:
                full.append(key)
        if not full:
            return True
        locked = {
            row.key: _seconds_locked(row=row, now=now)
            for row in LoginThrottle.objects.filter(key__in=full)
            if row.locked_until is not None or row.attempts >= _limit(row.key)
        }
        if locked:
            # Raising inside the block gives back the slots taken on the other keys:
            # a refused attempt is not a failed one.
            metrics.login_lockouts.inc()
            logger.warning("sign-in refused, locked out: %s", ", ".join(sorted(locked)))
            raise LoginLocked(max(locked.values()))
        # Every full key has checks running; give back the slots taken so far and wait.
        transaction.set_rollback(True)
        return False


def _either(condition: Q, then, otherwise, *, field: str) -> Case:
    """`then` in the rows where the condition holds, else `otherwise`, typed as `field`."""
    return Case(
        When(condition, then=Value(then)),
        default=otherwise,
        output_field=LoginThrottle._meta.get_field(field),
    )


def _seconds_locked(*, row: LoginThrottle, now: datetime) -> float:
    if row.locked_until is not None:
        return (row.locked_until - now).total_seconds()
    # Failures fill the slots but no lock was set: the limit was lowered meanwhile.
    # The window's end frees them.
    window = timedelta(seconds=settings.LOGIN_LOCKOUT_WINDOW_SECONDS)
    return (row.window_started_at + window - now).total_seconds()


# After the password check, each key is updated by its own statement, in the
# same order as _reserve: a statement touching both rows could take their locks
# in the opposite order to a concurrent reservation and deadlock on PostgreSQL.

# Never below 0, even after a moderator's clear or a new window reset the count.
_SLOT_ENDS = Greatest(F("in_flight") - 1, Value(0), output_field=LoginThrottle.in_flight.field)


def _record_failure(*, keys: list[str]) -> None:
    """Turn this attempt's slots into failures; lock a key whose failures fill its slots."""
    locked_until = timezone.now() + timedelta(seconds=settings.LOGIN_LOCKOUT_COOLOFF_SECONDS)
    for key in keys:
        # Every expression reads the row as it was before this statement.
        fills_the_slots = Q(locked_until__isnull=True, attempts__gte=_limit(key) - 1)
        LoginThrottle.objects.filter(key=key).update(
            attempts=F("attempts") + 1,
            in_flight=_SLOT_ENDS,
            locked_until=_either(
                fills_the_slots, locked_until, F("locked_until"), field="locked_until"
            ),
        )


def _release(*, keys: list[str]) -> None:
    """Give back the slot this attempt reserved (it was not a failure)."""
    for key in keys:
        LoginThrottle.objects.filter(key=key).update(in_flight=_SLOT_ENDS)


def _record_success(*, keys: list[str]) -> None:
    """Forget the account's failures; give back only this attempt's slot on the address.

    The address keeps its failures on purpose: someone guessing passwords for many
    accounts from one address must not be able to wipe that count by signing in to
    an account of their own in between.
    """
    for key in keys:
        if not key.startswith(ACCOUNT_PREFIX):
            _release(keys=[key])
            continue
        rows = LoginThrottle.objects.filter(key=key)
        # Usually this attempt is the only one running: the row can go (one statement).
        deleted, _ = rows.filter(in_flight__lte=1).delete()
        if not deleted:
            rows.update(attempts=0, in_flight=_SLOT_ENDS, locked_until=None)


def authenticate_with_lockout(
    *, request: HttpRequest | None, identifier: str, password: str
) -> User | None:
    """Check a username-or-email and password, unless the account or address is locked.

    Returns the user, or None for wrong credentials (or an inactive account).
    Raises AccountSuspended (from the backend) for the right password of a suspended
    account; that attempt is not counted as a failure.
    Raises LoginLocked, without checking the password, once MAX_LOGIN_ATTEMPTS
    checks have failed for the account, or MAX_LOGIN_ATTEMPTS_PER_ADDRESS for the
    client address, within LOGIN_LOCKOUT_WINDOW_SECONDS; the lock lasts
    LOGIN_LOCKOUT_COOLOFF_SECONDS.
    """
    identifier = identifier.strip()
    keys = _keys_for(request=request, identifier=identifier)
    _reserve(keys=keys)
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
