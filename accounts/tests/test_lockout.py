"""Sign-in lock-out: per account, per address, cool-off, and the bounds under concurrency."""

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.contrib.auth import get_user
from django.db import connection
from django.db.models import Q
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import lockout
from accounts.lockout import LoginLocked, authenticate_with_lockout, login_throttle_clear
from accounts.models import LoginThrottle, User
from accounts.roles import Role
from accounts.services import AccountSuspended, user_set_role, user_suspend
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from config import metrics

pytestmark = pytest.mark.django_db

SLOTS_TAKEN = Q(attempts__gt=0) | Q(in_flight__gt=0)  # failures counted or checks running


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


def test_failures_on_one_account_do_not_lock_out_others_at_the_same_address(user):
    # The issue: six wrong passwords for one account, then someone else at the same
    # address (a school, a cafe) signs in.
    victim = UserFactory()
    _fail(victim.username, 5, ip="10.6.6.6")
    with pytest.raises(LoginLocked):
        _sign_in(victim.username, "wrong-password", ip="10.6.6.6")
    assert _sign_in(user.username, DEFAULT_PASSWORD, ip="10.6.6.6") == user
    with pytest.raises(LoginLocked):
        _sign_in(victim.username, DEFAULT_PASSWORD, ip="10.6.6.6")


def test_one_address_guessing_many_accounts_is_locked_at_its_own_limit(user, settings):
    assert settings.MAX_LOGIN_ATTEMPTS_PER_ADDRESS == 50
    for i in range(49):
        _fail(f"nobody{i}@example.org", 1, ip="10.6.6.6")
    assert _sign_in(user.username, DEFAULT_PASSWORD, ip="10.6.6.6") == user
    _fail("nobody49@example.org", 1, ip="10.6.6.6")  # the 50th failure from this address
    with pytest.raises(LoginLocked) as locked:
        _sign_in(user.username, DEFAULT_PASSWORD, ip="10.6.6.6")
    assert 14 * 60 < locked.value.retry_after <= 15 * 60
    assert _sign_in(user.username, DEFAULT_PASSWORD, ip="10.7.7.7") == user


def test_address_limit_follows_its_setting(user, settings):
    settings.MAX_LOGIN_ATTEMPTS_PER_ADDRESS = 3
    for victim in UserFactory.create_batch(3):
        _fail(victim.username, 1, ip="10.6.6.6")
    with pytest.raises(LoginLocked):
        _sign_in(user.username, DEFAULT_PASSWORD, ip="10.6.6.6")


def test_own_successful_sign_in_does_not_wipe_the_addresss_failures(user, settings):
    settings.MAX_LOGIN_ATTEMPTS_PER_ADDRESS = 5
    for victim in UserFactory.create_batch(4):
        _fail(victim.username, 1, ip="10.6.6.6")
    assert _sign_in(user.username, DEFAULT_PASSWORD, ip="10.6.6.6") == user
    _fail(UserFactory().username, 1, ip="10.6.6.6")  # the fifth failure from this address
    with pytest.raises(LoginLocked):
        _sign_in(user.username, DEFAULT_PASSWORD, ip="10.6.6.6")


def test_successful_sign_ins_are_not_counted(user):
    for _ in range(12):
        assert _sign_in(user.username, DEFAULT_PASSWORD) == user
    assert not LoginThrottle.objects.filter(attempts__gt=0).exists()
    assert not LoginThrottle.objects.filter(in_flight__gt=0).exists()


def test_unknown_accounts_are_locked_too_so_existence_is_not_revealed():
    for i in range(5):
        assert _sign_in("nobody@example.org", "guess", ip=f"10.3.0.{i}") is None
    with pytest.raises(LoginLocked):
        _sign_in("NOBODY@example.org", "guess", ip="10.3.1.1")


def test_forged_forwarded_for_does_not_give_a_fresh_address(user, settings):
    settings.MAX_LOGIN_ATTEMPTS_PER_ADDRESS = 5
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


def test_a_successful_sign_in_stays_cheap(user):
    _sign_in(user.username, DEFAULT_PASSWORD)
    with CaptureQueriesContext(connection) as queries:
        assert _sign_in(user.username, DEFAULT_PASSWORD) == user
    on_counters = [q["sql"] for q in queries if "accounts_loginthrottle" in q["sql"]]
    # Reserve (create if missing, one UPDATE per key), then give back (one per key).
    assert len(on_counters) == 5, on_counters


def test_a_check_that_errors_gives_back_its_slot(user, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("hasher unavailable")

    monkeypatch.setattr(lockout, "authenticate", broken)
    for _ in range(6):
        with pytest.raises(RuntimeError):
            _sign_in(user.username, DEFAULT_PASSWORD)
    monkeypatch.undo()
    assert not LoginThrottle.objects.filter(SLOTS_TAKEN).exists()
    assert _sign_in(user.username, DEFAULT_PASSWORD) == user


def test_slots_left_taken_by_a_dead_process_free_themselves_with_the_window(
    user, clock, settings, monkeypatch
):
    # As if five processes had died during their checks: every slot is taken, none failed.
    _sign_in(user.username, "wrong")
    LoginThrottle.objects.filter(key=f"account:{user.username}").update(
        attempts=0, in_flight=settings.MAX_LOGIN_ATTEMPTS
    )
    monkeypatch.setattr(lockout, "MAX_WAIT_SECONDS", 0.05)
    with pytest.raises(LoginLocked) as refused:
        _sign_in(user.username, DEFAULT_PASSWORD)
    assert refused.value.retry_after == 1  # not a lock-out: the wait ran out
    clock.advance(settings.LOGIN_LOCKOUT_WINDOW_SECONDS)
    assert _sign_in(user.username, DEFAULT_PASSWORD) == user


# --- The sign-in page, the API and the admin login --------------------------------------


def test_page_other_people_at_an_address_sign_in_after_someone_elses_failures(client):
    UserFactory(username="ada")
    bob = UserFactory(username="bob")
    login_url = reverse("accounts:login")
    for _ in range(6):
        client.post(login_url, {"identifier": "ada", "password": "wrong-guess"})

    response = client.post(login_url, {"identifier": "bob", "password": DEFAULT_PASSWORD})

    assert response.status_code == 302
    assert get_user(client) == bob


def test_api_a_new_account_signs_in_from_an_address_with_someone_elses_failures(user):
    client = APIClient(REMOTE_ADDR="10.6.6.6")
    for _ in range(6):
        response = client.post("/api/auth/login", {"email": user.email, "password": "wrong"})
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "locked_out"
    data = {"username": "newcomer", "email": "new@example.org", "password": "a-long-passphrase-9"}
    assert client.post("/api/auth/register", data).status_code == 201

    response = client.post(
        "/api/auth/login", {"email": data["email"], "password": data["password"]}
    )

    assert response.status_code == 200


def test_api_locked_address_answers_429_with_retry_after(user, settings):
    settings.MAX_LOGIN_ATTEMPTS_PER_ADDRESS = 3
    client = APIClient(REMOTE_ADDR="10.6.6.6")
    for victim in UserFactory.create_batch(3):
        client.post("/api/auth/login", {"email": victim.email, "password": "wrong"})

    response = client.post("/api/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "locked_out"
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60


def _staff_member() -> User:
    staff = UserFactory()
    user_set_role(user=staff, role=Role.MODERATOR, by=None)
    return staff


def test_admin_login_signs_staff_in(client):
    staff = _staff_member()
    response = client.post(
        reverse("admin:login"), {"username": staff.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert get_user(client) == staff


def test_admin_login_is_locked_out_after_five_failures(client):
    staff = _staff_member()
    admin_login = reverse("admin:login")
    for _ in range(5):
        client.post(admin_login, {"username": staff.username, "password": "wrong"})

    response = client.post(admin_login, {"username": staff.username, "password": DEFAULT_PASSWORD})

    assert response.status_code == 200
    assert "Too many failed sign-in attempts. Try again in 15 minutes." in response.content.decode()
    assert not get_user(client).is_authenticated
    # The same counter as the site's sign-in: the admin is no way around it.
    with pytest.raises(LoginLocked):
        _sign_in(staff.username, DEFAULT_PASSWORD, ip="10.9.9.9")


def test_admin_login_refuses_a_locked_address(client, settings):
    settings.MAX_LOGIN_ATTEMPTS_PER_ADDRESS = 3
    staff = _staff_member()
    for victim in UserFactory.create_batch(3):
        _fail(victim.username, 1, ip="127.0.0.1")  # the test client's address

    response = client.post(
        reverse("admin:login"), {"username": staff.username, "password": DEFAULT_PASSWORD}
    )

    assert "Too many failed sign-in attempts." in response.content.decode()
    assert not get_user(client).is_authenticated


# --- Under concurrency: real threads, each with its own database connection -------------


class Checks(Counter):
    """Password checks made, per username; each takes `seconds` (a test may change it)."""

    seconds = 0.005


@pytest.fixture
def slow_checks(monkeypatch) -> Checks:
    """Counts real password checks, each made slow to widen the race window."""
    checked = Checks()
    counter_lock = threading.Lock()
    original = User.check_password

    def slow_counting_check(self, raw_password):
        with counter_lock:
            checked[self.username] += 1
        time.sleep(checked.seconds)  # as a real hasher would take its time
        return original(self, raw_password)

    monkeypatch.setattr(User, "check_password", slow_counting_check)
    return checked


def _attempt(identifier: str, password: str, ip: str) -> str:
    """One sign-in on this thread: "signed-in", "wrong", "locked" or "suspended"."""
    try:
        result = authenticate_with_lockout(
            request=_request(ip), identifier=identifier, password=password
        )
        return "signed-in" if result else "wrong"
    except LoginLocked:
        return "locked"
    except AccountSuspended:
        return "suspended"
    finally:
        connection.close()  # each thread has its own connection


def _in_parallel(attempts: list[tuple[str, str, str]]) -> list[str]:
    """Runs (identifier, password, address) sign-ins at once, one thread each; outcomes."""
    start = threading.Barrier(len(attempts))

    def at_once(args: tuple[str, str, str]) -> str:
        start.wait()
        return _attempt(*args)

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        return list(pool.map(at_once, attempts))


class Gate:
    """Holds password checks in flight until the test opens it."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.checks = 0
        self._entered = threading.Semaphore(0)
        self._lock = threading.Lock()

    def enter(self) -> None:
        with self._lock:
            self.checks += 1
        self._entered.release()
        assert self.opened.wait(timeout=30), "the test never opened the gate"

    def wait_for_checks(self, n: int) -> None:
        for _ in range(n):
            assert self._entered.acquire(timeout=30), "a check never started"


@pytest.fixture
def gate(monkeypatch):
    gate = Gate()
    original = User.check_password

    def gated_check(self, raw_password):
        gate.enter()
        return original(self, raw_password)

    monkeypatch.setattr(User, "check_password", gated_check)
    yield gate
    gate.opened.set()  # never leave a thread behind, even when the test failed


def _hold_then_add(gate: Gate, held: list[tuple], late: tuple) -> tuple[list[str], str]:
    """Starts `held` sign-ins and keeps their checks running; then starts `late`.

    Asserts `late` neither finishes nor checks its password while the others run,
    then opens the gate. Returns the outcomes of `held` and of `late`.
    """
    with ThreadPoolExecutor(max_workers=len(held) + 1) as pool:
        try:
            held_futures = [pool.submit(_attempt, *args) for args in held]
            gate.wait_for_checks(len(held))  # every slot is now taken by a running check
            late_future = pool.submit(_attempt, *late)
            time.sleep(0.3)
            assert not late_future.done(), f"refused at once: {late_future.result()}"
            assert gate.checks == len(held)
        finally:
            gate.opened.set()
        return [f.result() for f in held_futures], late_future.result()


@pytest.mark.django_db(transaction=True)
def test_a_right_password_waits_for_the_accounts_running_checks_instead_of_a_refusal(gate):
    user = UserFactory()
    sign_in = (user.username, DEFAULT_PASSWORD, "10.1.2.3")

    held, late = _hold_then_add(gate, [sign_in] * 5, sign_in)

    assert held == ["signed-in"] * 5
    assert late == "signed-in"


@pytest.mark.django_db(transaction=True)
def test_a_right_password_waits_for_the_addresss_running_checks_instead_of_a_refusal(
    gate, settings
):
    settings.MAX_LOGIN_ATTEMPTS_PER_ADDRESS = 3
    first, second, third, late_comer = UserFactory.create_batch(4)
    held = [(u.username, DEFAULT_PASSWORD, "10.1.2.4") for u in (first, second, third)]

    held_outcomes, late = _hold_then_add(
        gate, held, (late_comer.username, DEFAULT_PASSWORD, "10.1.2.4")
    )

    assert held_outcomes == ["signed-in"] * 3
    assert late == "signed-in"


@pytest.mark.django_db(transaction=True)
def test_a_waiting_attempt_is_refused_unchecked_when_the_running_checks_fail(gate, settings):
    user = UserFactory()
    guesses = [(user.username, f"guess-{i}", "10.1.2.5") for i in range(5)]

    held, late = _hold_then_add(gate, guesses, (user.username, DEFAULT_PASSWORD, "10.1.2.5"))

    assert held == ["wrong"] * 5
    assert late == "locked"
    assert gate.checks == settings.MAX_LOGIN_ATTEMPTS  # the late one never checked


@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_guesses_check_the_password_exactly_five_times(slow_checks, settings):
    user = UserFactory()

    outcomes = _in_parallel([(user.username, f"guess-{i}", "10.5.5.5") for i in range(50)])

    assert slow_checks[user.username] == settings.MAX_LOGIN_ATTEMPTS
    assert outcomes.count("wrong") == settings.MAX_LOGIN_ATTEMPTS
    assert outcomes.count("locked") == 50 - settings.MAX_LOGIN_ATTEMPTS
    with pytest.raises(LoginLocked):
        _sign_in(user.username, DEFAULT_PASSWORD, ip="10.8.8.8")


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_at_many_accounts_from_one_address_stop_at_the_address_limit(
    slow_checks, settings
):
    users = UserFactory.create_batch(80)

    outcomes = _in_parallel([(u.username, "guess", "10.4.4.4") for u in users])

    # One guess per account, so only the address limit can stop them.
    assert slow_checks.total() == settings.MAX_LOGIN_ATTEMPTS_PER_ADDRESS == 50
    assert outcomes.count("wrong") == 50
    assert outcomes.count("locked") == 30
    with pytest.raises(LoginLocked):
        _sign_in(users[0].username, DEFAULT_PASSWORD, ip="10.4.4.4")
    assert _sign_in(users[0].username, DEFAULT_PASSWORD, ip="10.8.8.8") == users[0]


@pytest.mark.django_db(transaction=True)
def test_a_class_signs_in_at_once_while_one_account_is_guessed_from_the_same_address(
    slow_checks, settings
):
    learners = UserFactory.create_batch(30)
    victim = UserFactory()
    attempts = [(u.username, DEFAULT_PASSWORD, "10.3.3.3") for u in learners]
    attempts += [(victim.username, f"guess-{i}", "10.3.3.3") for i in range(50)]
    random.Random(4).shuffle(attempts)

    outcomes = _in_parallel(attempts)

    by_name: dict[str, list[str]] = {}
    for (name, _, _), outcome in zip(attempts, outcomes, strict=True):
        by_name.setdefault(name, []).append(outcome)
    assert all(by_name[u.username] == ["signed-in"] for u in learners)
    guesses = by_name[victim.username]
    assert slow_checks[victim.username] <= settings.MAX_LOGIN_ATTEMPTS
    assert guesses.count("wrong") == slow_checks[victim.username]
    assert guesses.count("locked") == 50 - slow_checks[victim.username]
    # Only the guesses count against the address; the class is still welcome there.
    late = UserFactory()
    assert _sign_in(late.username, DEFAULT_PASSWORD, ip="10.3.3.3") == late


@pytest.mark.django_db(transaction=True)
def test_more_parallel_good_sign_ins_than_the_address_has_slots_all_succeed(slow_checks, settings):
    # With only 10 slots for 30 people, most must wait for others' checks to end:
    # a reservation is never a failure.
    settings.MAX_LOGIN_ATTEMPTS_PER_ADDRESS = 10
    slow_checks.seconds = 0.1  # long enough that every slot is surely taken at once
    learners = UserFactory.create_batch(30)

    outcomes = _in_parallel([(u.username, DEFAULT_PASSWORD, "10.2.2.2") for u in learners])

    assert outcomes == ["signed-in"] * 30
    assert slow_checks.total() == 30
    address = LoginThrottle.objects.get(key="ip:10.2.2.2")
    assert (address.attempts, address.in_flight, address.locked_until) == (0, 0, None)


@pytest.mark.django_db(transaction=True)
def test_parallel_right_passwords_for_one_account_all_succeed(slow_checks, settings):
    # Twelve at once for an account with five slots: most wait for others' checks.
    slow_checks.seconds = 0.1
    user = UserFactory()

    outcomes = _in_parallel([(user.email, DEFAULT_PASSWORD, "10.1.1.1") for _ in range(12)])

    assert outcomes == ["signed-in"] * 12
    assert not LoginThrottle.objects.filter(key=f"account:{user.username}", attempts__gt=0).exists()


@pytest.mark.django_db(transaction=True)
def test_parallel_right_passwords_of_a_suspended_account_are_told_and_not_counted(slow_checks):
    user = UserFactory()
    user_suspend(user=user, until=timezone.now() + timedelta(days=1), reason="Spam.", by=None)
    slow_checks.seconds = 0.1

    outcomes = _in_parallel([(user.username, DEFAULT_PASSWORD, "10.1.1.2") for _ in range(12)])

    assert outcomes == ["suspended"] * 12
    assert not LoginThrottle.objects.filter(SLOTS_TAKEN).exists()
