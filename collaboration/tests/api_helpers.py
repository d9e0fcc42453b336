"""Helpers shared by the REST API tests."""

from rest_framework.test import APIClient


def client_for(user=None) -> APIClient:
    """An API client signed in as `user` (anonymous when None)."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def assert_error(response, status, code):
    """The response is our error shape with this status and code; returns the error."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    assert "fields" in body["error"]
    return body["error"]
