"""API keys: created once-visible, listed without the secret, used as credentials, revoked."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiKey, User
from accounts.services import api_key_create, user_from_api_key
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KEYS = "/api/auth/api-keys"
ME = "/api/auth/me"


def _with_key(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def test_create_shows_the_key_once_and_stores_only_its_hash(auth_client, user):
    response = auth_client.post(KEYS, {"name": "CI export"})

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "name", "prefix", "created_at", "last_used_at", "key"}
    raw_key = body["key"]
    assert raw_key.startswith(f"lai_{body['prefix']}_")
    assert len(body["prefix"]) == 8
    row = ApiKey.objects.get(pk=body["id"])
    assert row.user == user
    assert row.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    assert raw_key not in {row.name, row.prefix, row.key_hash}

    listing = auth_client.get(KEYS)
    assert listing.status_code == 200
    assert raw_key not in listing.content.decode()
    assert listing.json()["count"] == 1
    assert listing.json()["results"][0]["prefix"] == body["prefix"]
    assert "key" not in listing.json()["results"][0]


def test_list_shows_only_my_active_keys_paginated(auth_client, user):
    for i in range(3):
        api_key_create(user=user, name=f"key {i}")
    revoked, _ = api_key_create(user=user, name="old")
    services.api_key_revoke(api_key=revoked)
    api_key_create(user=UserFactory(), name="someone else's")

    response = auth_client.get(KEYS, {"page_size": 2})

    body = response.json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"] is not None
    assert [k["name"] for k in body["results"]] == ["key 2", "key 1"]  # newest first


def test_key_authenticates_its_owner(user):
    _, raw_key = api_key_create(user=user, name="script")

    response = _with_key(raw_key).get(ME)

    assert response.status_code == 200
    assert response.json()["id"] == user.id


def test_key_use_is_recorded_at_most_once_a_minute(user, monkeypatch):
    api_key, raw_key = api_key_create(user=user, name="script")
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)
    client = _with_key(raw_key)

    client.get(ME)
    api_key.refresh_from_db()
    assert api_key.last_used_at == now

    later = now + timedelta(seconds=30)
    monkeypatch.setattr(timezone, "now", lambda: later)
    client.get(ME)
    api_key.refresh_from_db()
    assert api_key.last_used_at == now

    much_later = now + timedelta(seconds=61)
    monkeypatch.setattr(timezone, "now", lambda: much_later)
    client.get(ME)
    api_key.refresh_from_db()
    assert api_key.last_used_at == much_later


def test_revoked_key_stops_working_at_once(auth_client, user):
    api_key, raw_key = api_key_create(user=user, name="script")

    response = auth_client.delete(f"{KEYS}/{api_key.id}")

    assert response.status_code == 204
    refused = _with_key(raw_key).get(ME)
    assert refused.status_code == 401
    assert refused.json()["error"] == {
        "code": "api_key_not_valid",
        "message": "This API key has been revoked.",
        "fields": {},
    }
    assert auth_client.get(KEYS).json()["count"] == 0
    # Revoking again is harmless.
    assert auth_client.delete(f"{KEYS}/{api_key.id}").status_code == 204


def test_cannot_revoke_someone_elses_key(auth_client):
    other_key, raw_key = api_key_create(user=UserFactory(), name="theirs")

    response = auth_client.delete(f"{KEYS}/{other_key.id}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert _with_key(raw_key).get(ME).status_code == 200


def test_revoking_an_unknown_key_is_404(auth_client):
    response = auth_client.delete(f"{KEYS}/999999")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "You have no API key with this id."


def test_key_of_a_deactivated_account_is_refused(user):
    _, raw_key = api_key_create(user=user, name="script")
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = _with_key(raw_key).get(ME)

    assert response.status_code == 401
    assert "disabled" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "header",
    [
        "Api-Key lai_00000000_notarealsecret",
        "Api-Key something-else",
        "Api-Key two parts",
        "api-key lai_00000000_notarealsecret",
    ],
)
def test_bad_keys_are_401_not_anonymous(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(ME)

    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"api_key_not_valid", "bad_authorization_header"}
    assert response.has_header("WWW-Authenticate")


def test_a_bad_key_is_refused_even_on_public_reads():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key lai_00000000_wrong")
    # Schema is public, but a wrong credential must not silently become anonymous.
    assert client.get("/api/auth/users").status_code == 401


def test_an_api_key_cannot_create_api_keys(user):
    _, raw_key = api_key_create(user=user, name="script")

    response = _with_key(raw_key).post(KEYS, {"name": "another"})

    assert response.status_code == 403
    assert "Sign in with your password" in response.json()["error"]["message"]
    assert ApiKey.objects.filter(user=user).count() == 1


def test_key_needs_a_name(auth_client):
    response = auth_client.post(KEYS, {"name": "   "})
    assert response.status_code == 400
    assert "name" in response.json()["error"]["fields"]


def test_number_of_active_keys_is_limited(auth_client, user, monkeypatch):
    monkeypatch.setattr(services, "MAX_ACTIVE_API_KEYS", 2)
    assert auth_client.post(KEYS, {"name": "one"}).status_code == 201
    assert auth_client.post(KEYS, {"name": "two"}).status_code == 201

    response = auth_client.post(KEYS, {"name": "three"})

    assert response.status_code == 400
    assert "Revoke one" in response.json()["error"]["message"]


def test_keys_need_a_signed_in_user(api_client):
    assert api_client.get(KEYS).status_code == 401
    assert api_client.post(KEYS, {"name": "x"}).status_code == 401
    assert api_client.delete(f"{KEYS}/1").status_code == 401


def test_user_from_api_key(user):
    api_key, raw_key = api_key_create(user=user, name="socket")

    assert user_from_api_key(raw_key) == user
    assert user_from_api_key(raw_key + "x") is None
    assert user_from_api_key("") is None
    assert user_from_api_key("lai_short_x") is None
    services.api_key_revoke(api_key=api_key)
    assert user_from_api_key(raw_key) is None
