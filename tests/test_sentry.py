"""Error tracking (config/sentry.py): off without SENTRY_DSN; with one, a failing request,
Celery task or socket frame becomes a Sentry event, and no personal data leaves with it.

Events go to an in-memory transport: nothing is sent anywhere.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sentry_sdk
from asgiref.sync import sync_to_async
from channels.testing import HttpCommunicator
from django.db import connections
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from sentry_sdk.transport import Transport

from collaboration.consumers import collab
from collaboration.realtime.registry import Registry
from collaboration.tests.live_client import join, make_doc, make_user
from config import sentry
from config.asgi import application
from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent
EMAIL = "ada.lovelace@example.org"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjo0Mn0.c2lnbmF0dXJlLW9mLWEtdG9rZW4"
SECRETS = (EMAIL, JWT, "s3cret-passw0rd", "the-session-key-123", "live-api-key-456")


class MemoryTransport(Transport):
    """Keeps the events instead of sending them."""

    events: list[dict] = []

    def capture_envelope(self, envelope):
        for item in envelope.items:
            if item.type == "event":
                MemoryTransport.events.append(item.payload.json)


@pytest.fixture
def sentry_events():
    MemoryTransport.events = []
    sentry.sentry_init(
        dsn="https://public-key@sentry.invalid/1", environment="test", transport=MemoryTransport
    )
    yield MemoryTransport.events
    sentry_sdk.init()  # no DSN: off again for the tests that follow


def sent(events: list[dict]) -> str:
    sentry_sdk.flush()
    assert events, "no event was captured"
    return json.dumps(events)


def assert_scrubbed(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} left in the event"
    assert "[Filtered]" in text


# --- a request -----------------------------------------------------------------------------


@csrf_exempt
def failing_view(request):
    raise RuntimeError(f"could not mail {EMAIL} with {JWT}")


def fine_view(request):
    return HttpResponse("fine")


urlpatterns = [path("boom/", failing_view), path("fine/", fine_view)]


async def asgi_request(method: str, path: str, body: bytes = b"", headers=()) -> dict:
    """A request through the site's own ASGI application, as daphne hands it over."""
    communicator = HttpCommunicator(
        application, method, path, body=body, headers=[(b"host", b"testserver"), *headers]
    )
    try:
        return await communicator.get_response(timeout=10)
    finally:
        await communicator.wait()
        await sync_to_async(connections.close_all)()


@pytest.mark.django_db(transaction=True)
@override_settings(ROOT_URLCONF=__name__)
async def test_a_failing_request_is_reported_without_personal_data(sentry_events):
    form = urlencode({"password": "s3cret-passw0rd", "email": EMAIL, "title": "Attention"})
    response = await asgi_request(
        "POST",
        "/boom/?token=live-api-key-456&page=2",
        body=form.encode(),
        headers=[
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"authorization", f"Bearer {JWT}".encode()),
            (b"cookie", b"sessionid=the-session-key-123; theme=dark"),
            (b"x-forwarded-for", b"203.0.113.9"),
        ],
    )
    assert response["status"] == 500

    text = sent(sentry_events)
    (event,) = sentry_events
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["request"]["url"].endswith("/boom/")
    assert event["request"]["method"] == "POST"
    assert "page=2" in event["request"]["query_string"]
    assert "data" not in event["request"], "what people wrote stays on the site"
    assert "user" not in event
    assert "203.0.113.9" not in text
    assert_scrubbed(text)


@pytest.mark.django_db(transaction=True)
@override_settings(ROOT_URLCONF=__name__)
async def test_a_request_that_works_sends_nothing(sentry_events):
    assert (await asgi_request("GET", "/fine/"))["status"] == 200
    sentry_sdk.flush()
    assert sentry_events == []


# --- a Celery task ---------------------------------------------------------------------------


@celery_app.task(name="tests.sentry_failing_task")
def failing_task(address: str) -> None:
    raise RuntimeError(f"the digest for {address} could not be built")


def test_a_failing_celery_task_is_reported_without_personal_data(sentry_events):
    result = failing_task.apply(args=[EMAIL], throw=False)
    assert result.failed()
    text = sent(sentry_events)
    assert sentry_events[0]["transaction"] == "tests.sentry_failing_task"
    assert sentry_events[0]["exception"]["values"][-1]["type"] == "RuntimeError"
    assert_scrubbed(text)


# --- a socket frame --------------------------------------------------------------------------


@pytest.fixture
async def registry_stopped():
    """Stops this loop's socket registry after the test."""
    yield
    registry = Registry.existing()
    if registry is not None:
        await registry.stop()
        Registry._by_loop.pop(id(asyncio.get_running_loop()), None)
    await sync_to_async(connections.close_all)()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("registry_stopped")
async def test_a_socket_frame_that_fails_is_reported_and_the_socket_lives_on(
    sentry_events, monkeypatch
):
    def broken(data, **kwargs):
        raise RuntimeError(f"edit from {EMAIL} with {JWT} could not be read")

    monkeypatch.setattr(collab.services, "pending_from_frame", broken)
    user = await make_user(email=EMAIL)
    document = await make_doc(owner=user, content="hello")
    socket, joined = await join(user, document)
    assert joined["type"] == "authenticated"
    edit = {"type": "edit", "revision": 0, "client_op_id": "a-1", "edit": {"ops": [5, "!"]}}
    await socket.send(edit)
    error = await socket.recv_type("error")
    assert error["code"] == "invalid_operation"  # the person sees a plain error...
    await socket.send({"type": "ping"})
    assert (await socket.recv_type("pong"))["type"] == "pong"  # ...and keeps the socket
    await socket.close()

    text = sent(sentry_events)
    (event,) = sentry_events
    assert event["logger"] == "collaboration.consumers.collab"
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert_scrubbed(text)


# --- the settings ------------------------------------------------------------------------------


def _sentry_active(**env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "SENTRY_"))}
    environment.update(env, DEBUG="true", DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "import sentry_sdk; print(sentry_sdk.get_client().is_active())"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_sentry_is_off_by_default_and_on_with_a_dsn():
    assert _sentry_active() == "False"
    assert _sentry_active(SENTRY_DSN="https://public-key@sentry.invalid/1") == "True"
