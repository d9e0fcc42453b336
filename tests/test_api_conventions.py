"""Every /api/ error is JSON of one shape, and JWT, API-key and session auth all work."""

import pytest
from django.middleware.csrf import _get_new_csrf_string
from rest_framework.test import APIClient

from accounts.services import api_key_create, auth_tokens_issue
from accounts.tests.factories import UserFactory
from accounts.throttles import AuthRateThrottle

pytestmark = pytest.mark.django_db


def assert_error_shape(response, status: int, code: str | None = None) -> dict:
    """The response is JSON {"error": {"code", "message", "fields"}}, never HTML."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert {"code", "message", "fields"} <= set(error)
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    if code is not None:
        assert error["code"] == code
    return error


def test_400_lists_the_invalid_fields(api_client):
    response = api_client.post(
        "/api/auth/register", {"username": "", "email": "nope", "password": "x"}
    )
    error = assert_error_shape(response, 400, "invalid")
    assert {"username", "email", "password"} <= set(error["fields"])
    assert error["message"].startswith("Some fields are not valid: ")
    assert all(isinstance(messages, list) for messages in error["fields"].values())


def test_400_for_malformed_json(api_client):
    response = api_client.generic(
        "POST", "/api/auth/login", "{not json", content_type="application/json"
    )
    assert_error_shape(response, 400)


def test_401_without_credentials(api_client):
    response = api_client.get("/api/auth/me")
    assert_error_shape(response, 401, "not_authenticated")
    assert response.has_header("WWW-Authenticate")


def test_403_for_a_role_the_user_lacks(auth_client):
    response = auth_client.get("/api/auth/users")
    error = assert_error_shape(response, 403, "permission_denied")
    assert "moderator" in error["message"]


def test_404_for_an_unknown_api_path(api_client):
    assert_error_shape(api_client.get("/api/no/such/thing"), 404, "not_found")


def test_404_for_an_unknown_object(auth_client):
    assert_error_shape(auth_client.delete("/api/auth/api-keys/424242"), 404, "not_found")


def test_405_for_get_on_login(api_client):
    response = api_client.get("/api/auth/login")
    error = assert_error_shape(response, 405, "method_not_allowed")
    assert "GET" in error["message"]


def test_415_for_an_unsupported_body(api_client):
    response = api_client.generic("POST", "/api/auth/login", "x", content_type="text/csv")
    assert_error_shape(response, 415, "unsupported_media_type")


def test_429_when_throttled(api_client, monkeypatch):
    monkeypatch.setattr(
        AuthRateThrottle, "THROTTLE_RATES", {**AuthRateThrottle.THROTTLE_RATES, "auth": "1/min"}
    )
    api_client.post("/api/auth/login", {"email": "a@example.org", "password": "x"})

    response = api_client.post("/api/auth/login", {"email": "a@example.org", "password": "x"})

    error = assert_error_shape(response, 429, "throttled")
    assert response.has_header("Retry-After")
    assert error["retry_after"] == int(response["Retry-After"])


# --- Authentication methods on /api/auth/me ----------------------------------------


def test_jwt_bearer_authenticates(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {auth_tokens_issue(user=user)['access']}")
    assert client.get("/api/auth/me").json()["id"] == user.id


def test_api_key_authenticates(user):
    _, raw_key = api_key_create(user=user, name="script")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    assert client.get("/api/auth/me").json()["id"] == user.id


def test_session_authenticates_reads(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/api/auth/me").json()["id"] == user.id


def test_session_writes_without_csrf_token_are_refused_as_json(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.patch("/api/auth/me", {"full_name": "Forged"})

    error = assert_error_shape(response, 403, "permission_denied")
    assert "CSRF" in error["message"]
    user.refresh_from_db()
    assert user.full_name != "Forged"


def test_session_writes_with_csrf_token_succeed(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token

    response = client.patch("/api/auth/me", {"full_name": "Genuine"}, HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 200
    assert response.json()["full_name"] == "Genuine"


def test_bearer_writes_need_no_csrf_token(user):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {auth_tokens_issue(user=user)['access']}")
    assert client.patch("/api/auth/me", {"full_name": "Via JWT"}).status_code == 200


def test_a_deactivated_session_user_is_not_authenticated():
    user = UserFactory()
    client = APIClient()
    client.force_login(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_error_shape(client.get("/api/auth/me"), 401)
