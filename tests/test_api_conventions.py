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


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data; boundary=b", "application/x-www-form-urlencoded"]
)
def test_415_for_form_bodies(api_client, content_type):
    # JSON only, as documented: daphne's own multipart parsing answers a malformed
    # multipart POST before Django can, with a bare 400.
    body = '--b\r\nContent-Disposition: form-data; name="refresh"\r\n\r\nx\r\n--b--\r\n'
    response = api_client.generic("POST", "/api/auth/refresh", body, content_type=content_type)
    assert_error_shape(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    "path",
    [
        "/api/auth/api-keys/null,null",
        "/api/auth/users/null,null/role",
        "/api/sessions/null,null/end",
        "/api/documents/0/revisions/null,null",
    ],
)
def test_404_as_json_when_a_path_parameter_does_not_match_its_route(auth_client, settings, path):
    settings.DEBUG = True  # where Django would answer with its HTML debug page
    assert_error_shape(auth_client.post(path), 404, "not_found")
    assert_error_shape(auth_client.get(path), 404, "not_found")


def test_an_unknown_api_path_is_404_not_a_csrf_refusal(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert_error_shape(client.post("/api/no/such/thing"), 404, "not_found")


def test_the_schema_address_without_its_slash_redirects(api_client):
    response = api_client.get("/api/schema")
    assert response.status_code == 301
    assert response["Location"] == "/api/schema/"


# --- Pagination ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=first", "page"),
        ("page_size=0", "page_size"),
        ("page_size=ten", "page_size"),
    ],
)
def test_400_for_a_page_or_page_size_that_is_not_a_positive_number(api_client, query, field):
    error = assert_error_shape(api_client.get(f"/api/tags/?{query}"), 400, "invalid")
    assert field in error["fields"]


def test_404_for_a_page_after_the_last(api_client):
    error = assert_error_shape(api_client.get("/api/tags/?page=2"), 404, "not_found")
    assert error["message"] == "There is no page 2."


def test_page_size_above_the_maximum_is_cut_to_it(api_client):
    response = api_client.get("/api/tags/?page_size=1000&page=last")
    assert response.status_code == 200


# --- The schema lists every error an operation can answer ----------------------------


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_the_schema_lists_the_errors_every_operation_can_answer(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    error_ref = "#/components/schemas/ApiError"
    # Files are uploaded as multipart (collaboration/attachments/api.py); other bodies are JSON.
    multipart = {"POST /api/documents/{ref}/attachments"}
    for name, operation in _operations(schema):
        responses = operation["responses"]
        expected = {"429"}
        if any(requirement for requirement in operation.get("security", [])):
            expected |= {"401", "403"}
        if "requestBody" in operation:
            expected |= {"400", "415"}
            body_types = ["multipart/form-data"] if name in multipart else ["application/json"]
            assert list(operation["requestBody"]["content"]) == body_types, name
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            expected.add("404")
        assert expected <= set(responses), name
        for status in expected - {"400", "409", "413"}:
            content = responses[status]["content"]["application/json"]["schema"]
            assert content == {"$ref": error_ref}, (name, status)


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
