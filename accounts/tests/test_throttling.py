"""The "auth" rate limit on sign-up, sign-in, refresh and API-key creation."""

import pytest
from rest_framework.test import APIClient

from accounts.services import api_key_create
from accounts.tests.factories import DEFAULT_PASSWORD
from accounts.throttles import AuthRateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth_rate(monkeypatch):
    """Two auth requests a minute. DRF reads rates once, at class definition, so patch the class."""
    rates = {**AuthRateThrottle.THROTTLE_RATES, "auth": "2/min"}
    monkeypatch.setattr(AuthRateThrottle, "THROTTLE_RATES", rates)


def _client(ip: str = "10.0.0.1", **extra) -> APIClient:
    return APIClient(REMOTE_ADDR=ip, **extra)


def test_third_login_in_a_minute_is_429_with_retry_after(auth_rate, user):
    client = _client()
    for _ in range(2):
        response = client.post("/api/auth/login", {"email": user.email, "password": "wrong"})
        assert response.status_code == 401

    response = client.post("/api/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= 60
    error = response.json()["error"]
    assert error["code"] == "throttled"
    assert error["fields"] == {}
    assert error["retry_after"] == retry_after
    assert error["message"].startswith("Too many requests. Try again in ")


def test_the_limit_is_per_client_address(auth_rate, user):
    busy = _client("10.0.0.1")
    for _ in range(3):
        busy.post("/api/auth/login", {"email": user.email, "password": "wrong"})
    assert busy.post("/api/auth/login", {"email": user.email}).status_code == 429

    other = _client("10.0.0.2")
    response = other.post("/api/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200


def test_a_forged_forwarded_for_header_does_not_reset_the_limit(auth_rate):
    for i in range(2):
        _client(HTTP_X_FORWARDED_FOR=f"192.0.2.{i}").post("/api/auth/register", {})
    response = _client(HTTP_X_FORWARDED_FOR="192.0.2.99").post("/api/auth/register", {})
    assert response.status_code == 429


@pytest.mark.parametrize("path", ["/api/auth/register", "/api/auth/refresh"])
def test_register_and_refresh_share_the_auth_limit(auth_rate, path):
    client = _client()
    client.post("/api/auth/register", {})
    client.post("/api/auth/refresh", {})
    assert client.post(path, {}).status_code == 429


def test_api_key_creation_is_limited_but_listing_is_not(auth_rate, user):
    client = _client()
    client.force_authenticate(user)
    assert client.post("/api/auth/api-keys", {"name": "one"}).status_code == 201
    assert client.post("/api/auth/api-keys", {"name": "two"}).status_code == 201

    assert client.post("/api/auth/api-keys", {"name": "three"}).status_code == 429
    for _ in range(3):
        assert client.get("/api/auth/api-keys").status_code == 200


def test_the_limit_does_not_touch_ordinary_endpoints(auth_rate, user):
    _, raw_key = api_key_create(user=user, name="script")
    client = _client(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    for _ in range(5):
        assert client.get("/api/auth/me").status_code == 200
