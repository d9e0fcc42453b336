"""Browser tests: Debian's Chromium driven by Playwright against a real daphne process.

The daphne subprocess shares pytest-django's test database: on SQLite the test database is
a file (config/settings.py names it), on PostgreSQL a database both processes reach. Tests
use `django_db(transaction=True)` so what they create is committed and visible to daphne.
`make test` installs Chromium first (`make browser-deps`); without it these tests skip on a
developer's machine and fail in CI.
"""

from __future__ import annotations

import itertools
import os
import secrets
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from tests.servers import IN_CI, DaphneServer

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
]
PASSWORD = "browser-test-password-42"
# Documents get ids no other test uses: the daphne process keeps per-document state in
# memory for a moment after the last socket leaves, and SQLite reuses ids after a flush.
_document_ids = itertools.count(50_000 + os.getpid() % 10_000 * 10)


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists() and not IN_CI:
                item.add_marker(
                    pytest.mark.skip(
                        reason="Chromium is not installed at /usr/bin/chromium "
                        "(run `make browser-deps` as root, or apt-get install chromium)"
                    )
                )


@pytest.fixture(scope="module")
def daphne_server(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        server = DaphneServer(log_name="browser-daphne.log")
    yield server
    server.stop()


@pytest.fixture(autouse=True)
async def _close_async_db_connections():
    """sync_to_async runs ORM calls on a worker thread whose connection would outlive the
    test and keep PostgreSQL from dropping the test database."""
    yield
    from asgiref.sync import sync_to_async
    from django.db import connections

    await sync_to_async(connections.close_all)()


@pytest.fixture
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
def make_user():
    """A user whose password daphne can check quickly (the test process hashes with MD5)."""
    from accounts.tests.factories import UserFactory

    def make(**kwargs):
        user = UserFactory(**kwargs)
        # pbkdf2_sha256 is in daphne's hashers; few iterations keep each login fast.
        user.password = PBKDF2PasswordHasher().encode(PASSWORD, secrets.token_hex(8), 1000)
        user.save(update_fields=["password"])
        return user

    return make


@pytest.fixture
def make_document():
    from collaboration.tests.factories import DocumentFactory

    def make(**kwargs):
        kwargs.setdefault("pk", next(_document_ids))
        return DocumentFactory(**kwargs)

    return make


async def new_page(context):
    page = await context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    return page


async def login(context, server: DaphneServer, user, next_path: str = "/"):
    """Signs in through the real login page; returns the page, now at next_path."""
    page = await new_page(context)
    await page.goto(f"{server.base_url}/accounts/login/?next={next_path}")
    await page.fill("input[name=identifier]", user.username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("form button[type=submit]")
    await page.wait_for_url(f"{server.base_url}{next_path}")
    return page


def _session_key_for(user) -> str:
    """A logged-in session, as Django's login() would store it."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return store.session_key


async def signed_in(context, server: DaphneServer, user, next_path: str = "/"):
    """Like login(), faster: the session is made directly and handed over as a cookie."""
    from asgiref.sync import sync_to_async

    key = await sync_to_async(_session_key_for)(user)
    await context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": key, "url": server.base_url}]
    )
    page = await new_page(context)
    await page.goto(f"{server.base_url}{next_path}")
    return page


async def wait_connected(page, timeout: float = 15_000) -> None:
    await page.wait_for_function(
        "() => window.learnaiEditor && learnaiEditor.client.status === 'connected'"
        " && learnaiEditor.client.pendingCount() === 0",
        timeout=timeout,
    )


async def editor_state(page) -> dict:
    return await page.evaluate(
        """() => ({
            text: learnaiEditor.view.state.doc.toString(),
            status: learnaiEditor.client.status,
            pending: learnaiEditor.client.pendingCount(),
            revision: learnaiEditor.client.revision,
        })"""
    )
