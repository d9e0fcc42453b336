"""Sign-up, sign-in, token refresh and sign-out, and the signed-in user's profile."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import User
from accounts.roles import Role
from accounts.services import user_update_profile
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register"
LOGIN = "/api/auth/login"
REFRESH = "/api/auth/refresh"
LOGOUT = "/api/auth/logout"
ME = "/api/auth/me"


def _signup_data(**overrides):
    data = {
        "username": "ada",
        "email": "ada@example.org",
        "password": "analytical-engine-1843",
        "full_name": "Ada Lovelace",
        "expertise_areas": ["transformers", "rlhf"],
    }
    data.update(overrides)
    return data


def _bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def _login(api_client, identifier: str, password: str = DEFAULT_PASSWORD, field: str = "email"):
    return api_client.post(LOGIN, {field: identifier, "password": password})


# --- Register ---------------------------------------------------------------------------


def test_register_creates_a_learner_and_never_returns_the_password(api_client):
    response = api_client.post(REGISTER, _signup_data())

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {
        "id",
        "username",
        "email",
        "full_name",
        "expertise_areas",
        "bio",
        "reputation",
        "role",
        "date_joined",
    }
    assert body["username"] == "ada"
    assert body["role"] == "learner"
    assert body["expertise_areas"] == ["transformers", "rlhf"]
    user = User.objects.get(username="ada")
    assert user.check_password("analytical-engine-1843")
    assert "analytical-engine-1843" not in response.content.decode()


def test_register_ignores_privileged_fields(api_client):
    response = api_client.post(
        REGISTER, _signup_data(role="admin", is_staff=True, is_superuser=True, reputation=10_000)
    )
    assert response.status_code == 201
    user = User.objects.get(username="ada")
    assert (user.role, user.is_staff, user.is_superuser, user.reputation) == (
        Role.LEARNER,
        False,
        False,
        1,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "ADA@Example.org"), ("username", "ADA")],
)
def test_register_refuses_duplicates_regardless_of_case(api_client, field, value):
    UserFactory(username="ada", email="ada@example.org")
    data = _signup_data(username="babbage", email="babbage@example.org")
    response = api_client.post(REGISTER, {**data, field: value})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]
    assert "already" in error["fields"][field][0] or "taken" in error["fields"][field][0]


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("84736251904", "entirely numeric"),
        ("ada-lovelace", "too similar"),
    ],
)
def test_register_applies_the_password_rules(api_client, password, expected):
    response = api_client.post(REGISTER, _signup_data(password=password, username="ada-lovelace"))
    assert response.status_code == 400
    messages = " ".join(response.json()["error"]["fields"]["password"])
    assert expected in messages
    assert not User.objects.filter(username="ada-lovelace").exists()


def test_register_reports_every_invalid_field_at_once(api_client):
    response = api_client.post(
        REGISTER,
        _signup_data(email="not-an-email", expertise_areas=["Not A Slug"], password="12345678"),
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"email", "expertise_areas", "password"}


def test_register_rejects_a_username_with_invalid_characters(api_client):
    response = api_client.post(REGISTER, _signup_data(username="no spaces!"))
    assert response.status_code == 400
    assert "username" in response.json()["error"]["fields"]


def test_register_normalises_expertise_areas(api_client):
    response = api_client.post(
        REGISTER, _signup_data(expertise_areas=["rlhf", "RLHF", "transformers", "rlhf"])
    )
    assert response.status_code == 201
    assert response.json()["expertise_areas"] == ["rlhf", "transformers"]


# --- Login ------------------------------------------------------------------------------


def test_login_with_email_returns_working_tokens_and_the_user(api_client, user):
    response = _login(api_client, user.email.upper())

    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["user"]["username"] == user.username
    me = _bearer(body["access"]).get(ME)
    assert me.status_code == 200
    assert me.json()["id"] == user.id
    user.refresh_from_db()
    assert user.last_login is not None


@pytest.mark.parametrize("field", ["email", "username"])
def test_login_accepts_the_username_too(api_client, user, field):
    response = _login(api_client, user.username, field=field)
    assert response.status_code == 200
    assert response.json()["user"]["id"] == user.id


def test_wrong_password_is_401_in_the_error_shape(api_client, user):
    response = _login(api_client, user.email, "not-my-password")

    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "invalid_credentials",
            "message": "The email address, username or password is not right.",
            "fields": {},
        }
    }
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_unknown_account_gets_the_same_answer_as_a_wrong_password(api_client, user):
    wrong = _login(api_client, user.email, "not-my-password")
    unknown = _login(api_client, "nobody@example.org", "whatever")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


def test_inactive_account_cannot_sign_in(api_client):
    user = UserFactory(is_active=False)
    assert _login(api_client, user.email).status_code == 401


def test_login_without_identifier_says_what_is_missing(api_client):
    response = api_client.post(LOGIN, {"password": "x"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "email": ["Enter your email address or username."]
    }


def test_a_stale_token_does_not_block_signing_in(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer expired.or.garbage")
    assert _login(api_client, user.email).status_code == 200


def test_login_is_locked_after_five_failures_with_429_and_retry_after(api_client, user):
    for _ in range(5):
        assert _login(api_client, user.email, "wrong").status_code == 401

    response = _login(api_client, user.email)  # the right password, too late

    assert response.status_code == 429
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60
    error = response.json()["error"]
    assert error["code"] == "locked_out"
    assert error["message"] == "Too many failed sign-in attempts. Try again in 15 minutes."
    assert error["retry_after"] == int(response["Retry-After"])


# --- Refresh and logout -------------------------------------------------------------------


def test_refresh_rotates_and_a_used_refresh_token_is_refused(api_client, user):
    first = _login(api_client, user.email).json()

    rotated = api_client.post(REFRESH, {"refresh": first["refresh"]})
    assert rotated.status_code == 200
    pair = rotated.json()
    assert set(pair) == {"access", "refresh"}
    assert pair["refresh"] != first["refresh"]
    assert _bearer(pair["access"]).get(ME).status_code == 200

    reused = api_client.post(REFRESH, {"refresh": first["refresh"]})
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "token_not_valid"
    assert "already been used" in reused.json()["error"]["message"]

    assert api_client.post(REFRESH, {"refresh": pair["refresh"]}).status_code == 200


def test_refresh_refuses_an_access_token(api_client, user):
    access = _login(api_client, user.email).json()["access"]
    response = api_client.post(REFRESH, {"refresh": access})
    assert response.status_code == 401
    assert "not a refresh token" in response.json()["error"]["message"]


def test_refresh_refuses_garbage_and_expired_tokens(api_client, user):
    assert api_client.post(REFRESH, {"refresh": "garbage"}).status_code == 401

    expired = RefreshToken.for_user(user)
    expired.set_exp(lifetime=-timedelta(seconds=5))
    response = api_client.post(REFRESH, {"refresh": str(expired)})
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Your session has expired. Sign in again."


def test_refresh_refuses_a_deactivated_account(api_client, user):
    refresh = _login(api_client, user.email).json()["refresh"]
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert api_client.post(REFRESH, {"refresh": refresh}).status_code == 401


def test_logout_revokes_the_refresh_token(api_client, user):
    refresh = _login(api_client, user.email).json()["refresh"]

    assert api_client.post(LOGOUT, {"refresh": refresh}).status_code == 204
    assert api_client.post(REFRESH, {"refresh": refresh}).status_code == 401
    # Signing out twice is harmless.
    assert api_client.post(LOGOUT, {"refresh": refresh}).status_code == 204


def test_logout_refuses_a_forged_token(api_client):
    response = api_client.post(LOGOUT, {"refresh": "not-a-token"})
    assert response.status_code == 401


# --- Me -----------------------------------------------------------------------------------


def test_me_without_credentials_is_401(api_client):
    response = api_client.get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_expired_access_token_is_refused(user):
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(minutes=1))

    response = _bearer(str(token)).get(ME)

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "token_not_valid"
    assert error["message"] == "Given token not valid for any token type"


def test_access_token_of_a_deactivated_account_is_refused(user):
    access = str(AccessToken.for_user(user))
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert _bearer(access).get(ME).status_code == 401


def test_patch_me_changes_the_profile(auth_client, user):
    response = auth_client.patch(
        ME,
        {
            "full_name": "Grace Hopper",
            "bio": "Compilers.",
            "expertise_areas": ["compilers"],
            "email": "grace@example.org",
        },
    )
    assert response.status_code == 200, response.json()
    user.refresh_from_db()
    assert (user.full_name, user.bio, user.expertise_areas, user.email) == (
        "Grace Hopper",
        "Compilers.",
        ["compilers"],
        "grace@example.org",
    )
    assert response.json()["email"] == "grace@example.org"


def test_patch_me_ignores_privileged_fields(auth_client, user):
    username = user.username
    response = auth_client.patch(
        ME,
        {
            "role": "admin",
            "reputation": 99_999,
            "is_staff": True,
            "is_superuser": True,
            "username": "someone-else",
            "full_name": "Still Me",
        },
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.role, user.reputation, user.is_staff, user.is_superuser, user.username) == (
        Role.LEARNER,
        1,
        False,
        False,
        username,
    )
    assert user.full_name == "Still Me"
    assert response.json()["role"] == "learner"


def test_patch_me_refuses_an_email_someone_else_uses(auth_client):
    UserFactory(email="taken@example.org")
    response = auth_client.patch(ME, {"email": "TAKEN@example.org"})
    assert response.status_code == 400
    assert "email" in response.json()["error"]["fields"]


def test_patch_me_keeps_own_email_in_another_case(auth_client, user):
    response = auth_client.patch(ME, {"email": user.email.upper()})
    assert response.status_code == 200


def test_put_on_me_is_not_allowed(auth_client):
    response = auth_client.put(ME, {"full_name": "x"})
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


# --- Schema -------------------------------------------------------------------------------


def test_schema_documents_every_auth_endpoint_with_errors(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path, method, codes in [
        (REGISTER, "post", {"201", "400", "429"}),
        (LOGIN, "post", {"200", "400", "401", "429"}),
        (REFRESH, "post", {"200", "401"}),
        (LOGOUT, "post", {"204", "401"}),
        (ME, "get", {"200", "401"}),
        (ME, "patch", {"200", "400", "401"}),
        ("/api/auth/api-keys", "post", {"201", "400", "401", "429"}),
        ("/api/auth/api-keys/{key_id}", "delete", {"204", "404"}),
        ("/api/auth/users", "get", {"200", "401", "403"}),
    ]:
        responses = paths[path][method]["responses"]
        assert codes <= set(responses), (path, method, set(responses))
    login_ok = paths[LOGIN]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert login_ok["$ref"].endswith("/LoginOutput")
    assert "key" not in response.json()["components"]["schemas"]["ApiKey"]["properties"]


def test_a_refused_profile_change_changes_nothing(auth_client, user):
    UserFactory(email="taken@example.org")
    before = (user.full_name, user.email)

    response = auth_client.patch(ME, {"full_name": "Half Saved", "email": "taken@example.org"})

    assert response.status_code == 400
    user.refresh_from_db()
    assert (user.full_name, user.email) == before


def test_profile_service_leaves_the_instance_untouched_on_error(user):
    before = (user.full_name, user.email)
    with pytest.raises(ValidationError) as error:
        user_update_profile(user=user, full_name="Changed", email="not-an-email")
    assert "email" in error.value.message_dict
    assert (user.full_name, user.email) == before
