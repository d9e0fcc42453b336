"""Fixtures shared by every app's tests."""

import time

import pytest
from django.core.cache import cache
from django.core.management.base import CommandError
from django.db import connection
from django.db.utils import OperationalError
from django.test import TransactionTestCase
from rest_framework.test import APIClient

import config.celery
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from collaboration import revisions


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # Real hashers take ~100 ms per check; tests check passwords hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clean_cache():
    # Throttle and lock-out counters live in the cache; each test starts from zero.
    cache.clear()
    yield
    cache.clear()


def _another_transaction_is_running() -> bool:
    """Another connection to this test database is in a transaction (a server process
    delivering the post-commit hook, writing a group's activity, syncing Git...)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
            " AND datname = current_database() AND xact_start IS NOT NULL LIMIT 1"
        )
        return cursor.fetchone() is not None


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return marker is not None and bool(marker.kwargs.get("transaction"))


@pytest.fixture(autouse=True)
def hook_deliveries_settled(request):
    """Server processes go on working just after a request or an edit (the post-commit
    hook's receivers, group activity, Git sync). On PostgreSQL, pytest-django's flush after
    a transactional test (one TRUNCATE of every table) deadlocks with such a transaction
    still under way, so wait (at most 10 s) for every other connection's to end first.
    (Autouse fixtures of plugins are set up first, so this one's teardown runs before
    pytest-django's flush.)"""
    yield
    if connection.vendor != "postgresql" or not _is_transactional(request):
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if revisions.deliver_pending() == 0 and not _another_transaction_is_running():
            return
        time.sleep(0.05)


@pytest.fixture
def eager_tasks():
    """Celery tasks run where they are queued, as without Redis (also when REDIS_URL is
    set, where they would otherwise wait for a worker)."""
    conf = config.celery.app.conf
    before = {key: conf.get(key) for key in ("task_always_eager", "task_eager_propagates")}
    conf.update(task_always_eager=True, task_eager_propagates=True)
    yield
    conf.update(before)


@pytest.fixture
def password() -> str:
    return DEFAULT_PASSWORD


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def auth_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


_flush_after_test = TransactionTestCase._fixture_teardown
FLUSH_ATTEMPTS = 5


def _is_deadlock(exc: BaseException) -> bool:
    cause = exc if isinstance(exc, OperationalError) else exc.__cause__
    return isinstance(cause, OperationalError) and "deadlock detected" in str(cause)


def _flush_retrying_deadlocks(self):
    """pytest-django's flush after a transactional test, tried again when PostgreSQL makes
    it the victim of a deadlock: a server process (the registry's watchdog catching up on
    the post-commit hook, say) can begin a transaction just after hook_deliveries_settled
    saw none. That transaction is never the test's own, and once it ends the flush goes
    through; anything else that breaks the flush still fails the test."""
    for attempt in range(FLUSH_ATTEMPTS):
        try:
            return _flush_after_test(self)
        except (CommandError, OperationalError) as exc:
            if attempt == FLUSH_ATTEMPTS - 1 or not _is_deadlock(exc):
                raise
            time.sleep(0.2 * (attempt + 1))


TransactionTestCase._fixture_teardown = _flush_retrying_deadlocks
