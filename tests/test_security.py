"""Security behaviour every response and every socket handshake must have."""

import json

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.asgi import application
from config.websocket import OriginValidator, StripCookiesWithoutOrigin

# --- A tiny URL conf for the body-size test (used with pytest.mark.urls) ----------


class _EchoSize(APIView):
    """Answers 200 with the size of what it parsed: proof the body got through."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def post(self, request):
        return Response({"received": len(json.dumps(request.data))})


urlpatterns = [path("api/echo-size/", _EchoSize.as_view())]
handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"

# --- Headers ----------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/healthz", "/api/no-such-endpoint/"])
def test_security_headers_on_responses(client, url):
    response = client.get(url)
    csp = response.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_security_headers_on_html_error_pages(client):
    response = client.get("/no-such-page/")
    assert "Content-Security-Policy" in response
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


# --- 404s: JSON under /api/, HTML elsewhere ---------------------------------------


def test_unknown_api_path_gives_json_404(client):
    response = client.get("/api/no-such-endpoint/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"]["code"] == "not_found"
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


def test_unknown_api_path_without_trailing_slash_gives_json_404(client):
    response = client.get("/api/no-such-endpoint")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_unknown_page_gives_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<html" in html.lower()
    assert "Page not found" in html


# --- Request body size ------------------------------------------------------------


def _oversized_json(limit: int, **fields) -> str:
    return json.dumps({**fields, "padding": "a" * (limit * 4)})


@pytest.mark.urls("tests.test_security")
def test_oversized_json_body_to_an_api_view_is_refused(client, settings):
    """DRF's JSON parser reads the stream itself; the limit must still apply."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    small = client.post("/api/echo-size/", data={"a": 1}, content_type="application/json")
    assert small.status_code == 200, "the dummy view itself must work"

    response = client.post(
        "/api/echo-size/",
        data=_oversized_json(1024),
        content_type="application/json",
    )
    assert response.status_code in (400, 413), (
        f"{response.status_code}: a body over DATA_UPLOAD_MAX_MEMORY_SIZE got through"
    )
    assert response["Content-Type"].startswith("application/json")
    assert "error" in response.json()


@pytest.mark.urls(__name__)
def test_an_oversized_body_is_a_json_400_also_with_debug_on(client, settings):
    """With DEBUG on, Django answers its own 400 for this with an HTML debug page."""
    settings.DEBUG = True
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = client.post(
        "/api/echo-size/", data=_oversized_json(1024), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "request_too_large"


@pytest.mark.django_db
def test_oversized_body_to_register_is_refused_not_500(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = client.post(
        "/api/auth/register",
        data=_oversized_json(
            1024,
            username="bigbody",
            email="bigbody@example.org",
            password="correct-horse-battery-42",
            password_confirm="correct-horse-battery-42",
        ),
        content_type="application/json",
    )
    assert response.status_code != 404, "POST /api/auth/register does not exist (yet)"
    assert response.status_code in (400, 413), response.status_code
    assert response["Content-Type"].startswith("application/json")
    assert "error" in response.json()
    assert not get_user_model().objects.filter(username="bigbody").exists()


# --- WebSocket handshakes ---------------------------------------------------------


class _Recorder:
    """A tiny ASGI WebSocket app that accepts and remembers the scope it was given."""

    def __init__(self):
        self.scopes: list[dict] = []

    async def __call__(self, scope, receive, send):
        self.scopes.append(scope)
        message = await receive()
        assert message["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        while (await receive())["type"] != "websocket.disconnect":
            pass


@pytest.fixture
def allowed_hosts(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
    return settings.ALLOWED_HOSTS


async def _connect(app, headers):
    communicator = WebsocketCommunicator(app, "/ws/collab/", headers=headers)
    connected, _ = await communicator.connect(timeout=3)
    await communicator.disconnect()
    return connected


async def test_full_stack_refuses_a_foreign_origin(allowed_hosts):
    assert not await _connect(application, [(b"origin", b"http://evil.example")])


@pytest.mark.parametrize(
    "origin",
    [
        b"http://evil.example",
        b"https://testserver.evil.example",
        b"http://evil.example:8000",
        b"null",
        b"file://testserver",
        b"",
    ],
)
async def test_origin_validator_refuses(allowed_hosts, origin):
    recorder = _Recorder()
    assert not await _connect(OriginValidator(recorder), [(b"origin", origin)])
    assert recorder.scopes == []


@pytest.mark.parametrize(
    "origin", [b"http://testserver", b"http://127.0.0.1:8000", b"https://localhost"]
)
async def test_origin_validator_passes_allowed_origins_on(allowed_hosts, origin):
    recorder = _Recorder()
    assert await _connect(OriginValidator(recorder), [(b"origin", origin)])
    assert len(recorder.scopes) == 1


async def test_origin_validator_lets_scripts_without_origin_through(allowed_hosts):
    recorder = _Recorder()
    assert await _connect(OriginValidator(recorder), [])


async def test_cookies_are_stripped_without_origin():
    recorder = _Recorder()
    app = StripCookiesWithoutOrigin(recorder)
    assert await _connect(app, [(b"cookie", b"sessionid=stolen"), (b"user-agent", b"bot")])
    headers = recorder.scopes[0]["headers"]
    assert all(name != b"cookie" for name, _ in headers)
    assert (b"user-agent", b"bot") in headers


async def test_cookies_are_kept_with_origin():
    recorder = _Recorder()
    app = StripCookiesWithoutOrigin(recorder)
    headers = [(b"origin", b"http://testserver"), (b"cookie", b"sessionid=mine")]
    assert await _connect(app, headers)
    assert (b"cookie", b"sessionid=mine") in recorder.scopes[0]["headers"]
