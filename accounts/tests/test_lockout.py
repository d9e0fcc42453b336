"""Sign-in lock-out: per account, per address, cool-off, and the bound under concurrency."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from accounts.lockout import LoginLocked, authenticate_with_lockout, login_throttle_clear
from accounts.models import LoginThrottle, User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from config import metrics

pytestmark = pytest.mark.django_db


def _request(ip: str = "10.0.0.1", **meta):
    return RequestFactory().post("/accounts/login/", REMOTE_ADDR=ip, **meta)


def _sign_in(identifier: str, password: str, ip: str = "10.0.0.1"):
    return authenticate_with_lockout(request=_request(ip), identifier=identifier, password=password)


def _fail(identifier: str, times: int, ip: str = "10.0.0.1") -> None:
    for _ in range(times):
        assert _sign_in(identifier, "wrong-password", ip) is None


@pytest.fixture
def password_checks(monkeypatch):
    """Counts real password checks (User.check_password calls)."""
    calls = {"n": 0}
    original = User.check_password

    def counting(self, raw_password):
        calls["n"] += 1
        return original(self, raw_password)

    monkeypatch.setattr(User, "check_password", counting)
    return calls


@pytest.fixture
def clock(monkeypatch):
    """A controllable timezone.now()."""

    class Clock:
        now = timezone.now()

        def advance(self, seconds: int) -> None:
            self.now += timedelta(seconds=seconds)

    c = Clock()
    monkeypatch.setattr(timezone, "now", lambda: c.now)
    return c


def test_right_password_signs_in(user):
    assert _sign_in(user.username, DEFAULT_PASSWORD) == user
    assert _sign_in(user.email.upper(), DEFAULT_PASSWORD) == user


def test_five_failures_lock_the_account_even_for_the_right_password(user, password_checks):
    _fail(user.username, 5)
    checks_before = password_checks["n"]
    with pytest.raises(LoginLocked) as locked:
        _sign_in(user.username, DEFAULT_PASSWORD)
    assert password_checks["n"] == checks_before, "a refused attempt must not check the password"
    assert 14 * 60 < locked.value.retry_after <= 15 * 60
    assert str(locked.value) == "Too many failed sign-in attempts. Try again in 15 minutes."


def test_lock_holds_from_another_address_and_spelling(user):
    _fail(user.username, 5, ip="10.0.0.1")
    with pytest.raises(LoginLocked):
        _sign_in(user.email.upper(), DEFAULT_PASSWORD, ip="10.9.9.9")


def test_failures_by_username_and_by_email_count_together(user):
    _fail(user.username.upper(), 3, ip="10.0.0.1")
    _fail(user.email, 2, ip="10.0.0.2")
    with pytest.raises(LoginLocked):
        _sign_in(user.username, DEFAULT_PASSWORD, ip="10.0.0.3")


def test_other_account_from_another_address_is_unaffected(user):
    other = UserFactory()
    _fail(user.username, 5, ip="10.0.0.1")
    assert _sign_in(other.username, DEFAULT_PASSWORD, ip="10.0.0.2") == other


def test_sign_in_works_again_after_the_cool_off(user, clock, settings):
    _fail(user.username, 5)
    clock.advance(settings.LOGIN_LOCKOUT_COOLOFF_SECONDS - 1)
    with pytest.raises(LoginLocked) as locked:
        _sign_in(user.username, DEFAULT_PASSWORD)
    assert locked.value.retry_after == 1
    assert "1 second" in str(locked.value)
    clock.advance(1)
    assert _sign_in(user.username, DEFAULT_PASSWORD) == user


def test_after_the_cool_off_the_count_starts_again(user, clock, settings):
    _fail(user.username, 5)
    clock.advance(settings.LOGIN_LOCKOUT_COOLOFF_SECONDS)
    _fail(user.username, 4)
    assert _sign_in(user.username, DEFAULT_PASSWORD) == user


def test_failures_outside_the_window_are_forgotten(user, clock, settings):
    _fail(user.username, 4)
    clock.advance(settings.LOGIN_LOCKOUT_WINDOW_SECONDS + 1)
    _fail(user.username, 4)
    assert _sign_in(user.username, DEFAULT_PASSWORD) == user


def test_success_forgets_the_accounts_failures(user):
    # Each attempt from a new address, so only the account's counter is exercised.
    for i in range(4):
        assert _sign_in(user.username, "wrong", ip=f"10.1.0.{i}") is None
    assert _sign_in(user.username, DEFAULT_PASSWORD, ip="10.1.1.1") == user
    for i in range(4):
        assert _sign_in(user.username, "wrong", ip=f"10.2.0.{i}") is None
    assert _sign_in(user.username, DEFAULT_PASSWORD, ip="10.2.1.1") == user


def test_one_address_guessing_many_accounts_is_locked(user):
    victims = UserFactory.create_batch(5)
    for victim in victims:
        _fail(victim.username, 1, ip="10.6.6.6")
    with pytest.raises(LoginLocked):
        _sign_in(user.username, DEFAULT_PASSWORD, ip="10.6.6.6")
    assert _sign_in(user.username, DEFAULT_PASSWORD, ip="10.7.7.7") == user


def test_own_successful_sign_in_does_not_wipe_the_addresss_failures(user):
    for victim in UserFactory.create_batch(4):
        _fail(victim.username, 1, ip="10.6.6.6")
    assert _sign_in(user.username, DEFAULT_PASSWORD, ip="10.6.6.6") == user
    _fail(UserFactory().username, 1, ip="10.6.6.6")  # the fifth failure from this address
    with pytest.raises(LoginLocked):
        _sign_in(user.username, DEFAULT_PASSWORD, ip="10.6.6.6")


def test_unknown_accounts_are_locked_too_so_existence_is_not_revealed():
    for i in range(5):
        assert _sign_in("nobody@example.org", "guess", ip=f"10.3.0.{i}") is None
    with pytest.raises(LoginLocked):
        _sign_in("NOBODY@example.org", "guess", ip="10.3.1.1")


def test_forged_forwarded_for_does_not_give_a_fresh_address(user):
    for i, victim in enumerate(UserFactory.create_batch(5)):
        request = _request("10.6.6.6", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
        assert (
            authenticate_with_lockout(request=request, identifier=victim.username, password="x")
            is None
        )
    request = _request("10.6.6.6", HTTP_X_FORWARDED_FOR="192.0.2.99")
    with pytest.raises(LoginLocked):
        authenticate_with_lockout(
            request=request, identifier=user.username, password=DEFAULT_PASSWORD
        )


def test_refusals_are_counted_in_the_metric(user):
    before = metrics.login_lockouts._value.get()
    _fail(user.username, 5)
    with pytest.raises(LoginLocked):
        _sign_in(user.username, DEFAULT_PASSWORD)
    with pytest.raises(LoginLocked):
        _sign_in(user.username, DEFAULT_PASSWORD)
    assert metrics.login_lockouts._value.get() == before + 2


def test_clearing_a_lockout_lets_the_person_in(user):
    _fail(user.username, 5)
    keys = list(LoginThrottle.objects.values_list("key", flat=True))
    assert login_throttle_clear(keys=keys) == 2  # the account and the address
    assert _sign_in(user.username, DEFAULT_PASSWORD) == user


def test_limit_follows_the_setting(user, settings):
    settings.MAX_LOGIN_ATTEMPTS = 2
    _fail(user.username, 2)
    with pytest.raises(LoginLocked):
        _sign_in(user.username, DEFAULT_PASSWORD)


@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_guesses_check_the_password_at_most_five_times(monkeypatch, settings):
    user = UserFactory()
    checks = {"n": 0}
    counter_lock = threading.Lock()
    original = User.check_password

    def slow_counting_check(self, raw_password):
        with counter_lock:
            checks["n"] += 1
        time.sleep(0.005)  # widen the race window, as a real hasher would
        return original(self, raw_password)

    monkeypatch.setattr(User, "check_password", slow_counting_check)
    start = threading.Barrier(50)

    def guess(i: int) -> str:
        try:
            start.wait()
            result = authenticate_with_lockout(
                request=_request("10.5.5.5"), identifier=user.username, password=f"guess-{i}"
            )
            return "signed-in" if result else "wrong"
        except LoginLocked:
            return "locked"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(guess, range(50)))

    assert checks["n"] <= settings.MAX_LOGIN_ATTEMPTS
    assert outcomes.count("wrong") == checks["n"]
    assert outcomes.count("locked") == 50 - checks["n"]
    with pytest.raises(LoginLocked):
        _sign_in(user.username, DEFAULT_PASSWORD, ip="10.8.8.8")


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_at_many_accounts_from_one_address_are_bounded(monkeypatch, settings):
    users = UserFactory.create_batch(20)
    checks = {"n": 0}
    counter_lock = threading.Lock()
    original = User.check_password

    def counting_check(self, raw_password):
        with counter_lock:
            checks["n"] += 1
        time.sleep(0.002)
        return original(self, raw_password)

    monkeypatch.setattr(User, "check_password", counting_check)
    start = threading.Barrier(40)

    def guess(i: int) -> str:
        try:
            start.wait()
            target = users[i % len(users)]
            result = authenticate_with_lockout(
                request=_request("10.4.4.4"), identifier=target.username, password="guess"
            )
            return "signed-in" if result else "wrong"
        except LoginLocked:
            return "locked"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=40) as pool:
        outcomes = list(pool.map(guess, range(40)))

    # Every failure also counts against the shared address, which caps the total.
    assert checks["n"] <= settings.MAX_LOGIN_ATTEMPTS
    assert set(outcomes) <= {"wrong", "locked"}
    assert outcomes.count("wrong") == checks["n"]
