"""Suspension and deactivation: refused everywhere at once, and who may do it."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import LoginThrottle, User
from accounts.permissions import is_contributor
from accounts.roles import Role
from accounts.services import (
    api_key_create,
    auth_tokens_issue,
    user_from_api_key,
    user_set_active,
    user_set_role,
    user_suspend,
    user_unsuspend,
)
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login"
REFRESH = "/api/auth/refresh"
ME = "/api/auth/me"
UNTIL = datetime(2099, 1, 31, 18, 0, tzinfo=UTC)
UNTIL_TEXT = "31 January 2099, 18:00 UTC"
REASON = "Repeated spam in document comments."


def _with_role(role: str, **extra) -> User:
    user = UserFactory(**extra)
    if role != Role.LEARNER:
        user_set_role(user=user, role=role, by=None)
    return user


def _api_as(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {auth_tokens_issue(user=user)['access']}")
    return client


def _bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def _suspend(user: User) -> User:
    return user_suspend(user=user, until=UNTIL, reason=REASON, by=None)


def _login(identifier: str, password: str = DEFAULT_PASSWORD):
    return APIClient().post(LOGIN, {"email": identifier, "password": password})


def _signed_in(browser: Client) -> bool:
    return browser.get(reverse("accounts:password_change")).status_code == 200


def _suspend_url(user: User) -> str:
    return f"/api/auth/users/{user.pk}/suspend"


def _unsuspend_url(user: User) -> str:
    return f"/api/auth/users/{user.pk}/unsuspend"


def _active_url(user: User) -> str:
    return f"/api/auth/users/{user.pk}/active"


def _suspend_body(**overrides) -> dict:
    return {"until": UNTIL.isoformat(), "reason": REASON, **overrides}


# --- What a suspended person meets ------------------------------------------------------


def test_api_login_of_a_suspended_account_is_403_with_the_end_and_the_reason(user):
    _suspend(user)

    response = _login(user.email)

    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": "account_suspended",
            "message": f"Your account is suspended until {UNTIL_TEXT}. Reason: {REASON}",
            "fields": {},
        }
    }


def test_a_wrong_password_does_not_reveal_the_suspension(user):
    _suspend(user)
    response = _login(user.email, "not-my-password")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_suspended_sign_ins_with_the_right_password_do_not_lock_the_account(user, settings):
    _suspend(user)
    for _ in range(settings.MAX_LOGIN_ATTEMPTS + 1):
        assert _login(user.email).status_code == 403
    assert not LoginThrottle.objects.filter(locked_until__isnull=False).exists()


def test_sign_in_page_shows_the_suspension_as_a_form_error(client, user):
    _suspend(user)

    response = client.post(
        reverse("accounts:login"), {"identifier": user.username, "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert errors == [f"Your account is suspended until {UNTIL_TEXT}. Reason: {REASON}"]
    assert UNTIL_TEXT in response.content.decode()
    assert not _signed_in(client)


def test_admin_login_refuses_a_suspended_staff_member(client):
    moderator = _with_role(Role.MODERATOR)
    _suspend(moderator)

    response = client.post(
        reverse("admin:login"), {"username": moderator.username, "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 200
    assert f"suspended until {UNTIL_TEXT}" in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302


def test_existing_jwts_of_a_suspended_account_are_refused(user):
    tokens = auth_tokens_issue(user=user)
    _suspend(user)

    me = _bearer(tokens["access"]).get(ME)
    refreshed = APIClient().post(REFRESH, {"refresh": tokens["refresh"]})

    for response in (me, refreshed):
        assert response.status_code == 401
        error = response.json()["error"]
        assert error["code"] == "account_suspended"
        assert UNTIL_TEXT in error["message"] and REASON in error["message"]


def test_api_keys_of_a_suspended_account_are_refused(user):
    _, raw_key = api_key_create(user=user, name="script")
    _suspend(user)

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    response = client.get(ME)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "account_suspended"
    assert user_from_api_key(raw_key) is None


def test_sessions_of_a_suspended_account_act_as_signed_out(client, user):
    client.force_login(user)
    assert _signed_in(client)
    _suspend(user)

    assert not _signed_in(client)
    assert client.get(ME).status_code == 401
    assert not is_contributor(User.objects.get(pk=user.pk))


def test_lifting_the_suspension_restores_sign_in_and_earlier_sessions(client, user):
    tokens = auth_tokens_issue(user=user)
    client.force_login(user)
    _suspend(user)

    user_unsuspend(user=user, by=None)

    assert _login(user.email).status_code == 200
    assert _bearer(tokens["access"]).get(ME).status_code == 200
    assert _signed_in(client)


def test_a_suspension_that_ended_no_longer_refuses(user):
    _suspend(user)
    User.objects.filter(pk=user.pk).update(suspended_until=timezone.now() - timedelta(seconds=1))
    assert _login(user.email).status_code == 200


def test_deactivated_accounts_lose_their_tokens_and_sessions(client, user):
    tokens = auth_tokens_issue(user=user)
    client.force_login(user)

    user_set_active(user=user, is_active=False, by=None)

    assert _bearer(tokens["access"]).get(ME).status_code == 401
    assert APIClient().post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401
    assert not _signed_in(client)
    assert _login(user.email).status_code == 401


# --- POST /api/auth/users/{id}/suspend and /unsuspend -------------------------------------


def test_moderator_suspends_a_learner_and_gets_the_account_back():
    moderator, learner = _with_role(Role.MODERATOR), UserFactory()

    response = _api_as(moderator).post(_suspend_url(learner), _suspend_body())

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == learner.pk
    assert datetime.fromisoformat(body["suspended_until"]) == UNTIL
    assert body["suspension_reason"] == REASON
    assert _login(learner.email).status_code == 403


def test_moderator_lifts_a_suspension():
    moderator, learner = _with_role(Role.MODERATOR), UserFactory()
    _suspend(learner)

    response = _api_as(moderator).post(_unsuspend_url(learner))

    assert response.status_code == 200
    assert response.json()["suspended_until"] is None
    assert response.json()["suspension_reason"] == ""
    assert _login(learner.email).status_code == 200
    # Lifting again is not an error.
    assert _api_as(moderator).post(_unsuspend_url(learner)).status_code == 200


def test_the_user_list_shows_suspensions():
    moderator, learner = _with_role(Role.MODERATOR), UserFactory(username="zed")
    _suspend(learner)

    rows = _api_as(moderator).get("/api/auth/users", {"search": "zed"}).json()["results"]

    assert [(row["username"], row["suspension_reason"]) for row in rows] == [("zed", REASON)]


@pytest.mark.parametrize("url", [_suspend_url, _unsuspend_url])
def test_learners_and_experts_cannot_suspend(url):
    target = UserFactory()
    for role in (Role.LEARNER, Role.EXPERT):
        response = _api_as(_with_role(role)).post(url(target), _suspend_body())
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
    assert APIClient().post(url(target), _suspend_body()).status_code == 401
    target.refresh_from_db()
    assert target.suspended_until is None


@pytest.mark.parametrize("target_role", [Role.MODERATOR, Role.ADMIN])
def test_a_moderator_cannot_suspend_a_moderator_or_an_admin(target_role):
    moderator, target = _with_role(Role.MODERATOR), _with_role(target_role)

    response = _api_as(moderator).post(_suspend_url(target), _suspend_body())

    assert response.status_code == 403
    assert "below the moderator role" in response.json()["error"]["message"]
    target.refresh_from_db()
    assert not target.is_suspended


def test_an_admin_may_suspend_a_moderator_but_only_a_superuser_a_superuser():
    admin, moderator = _with_role(Role.ADMIN), _with_role(Role.MODERATOR)
    superuser = UserFactory(is_superuser=True, is_staff=True)

    assert _api_as(admin).post(_suspend_url(moderator), _suspend_body()).status_code == 200
    refused = _api_as(admin).post(_suspend_url(superuser), _suspend_body())
    assert refused.status_code == 403
    assert "Only a superuser" in refused.json()["error"]["message"]
    other_superuser = UserFactory(is_superuser=True, is_staff=True)
    allowed = _api_as(other_superuser).post(_suspend_url(superuser), _suspend_body())
    assert allowed.status_code == 200


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.ADMIN])
def test_nobody_suspends_themselves(role):
    me = _with_role(role)
    response = _api_as(me).post(_suspend_url(me), _suspend_body())
    assert response.status_code == 403
    assert "your own account" in response.json()["error"]["message"]
    me.refresh_from_db()
    assert me.suspended_until is None


def test_superusers_cannot_suspend_themselves_either():
    me = UserFactory(is_superuser=True, is_staff=True)
    with pytest.raises(PermissionDenied):
        user_suspend(user=me, until=UNTIL, reason=REASON, by=me)


def test_suspend_refuses_an_end_in_the_past_and_a_missing_reason():
    moderator, learner = _with_role(Role.MODERATOR), UserFactory()
    past = (timezone.now() - timedelta(minutes=1)).isoformat()

    client = _api_as(moderator)

    in_the_past = client.post(_suspend_url(learner), _suspend_body(until=past))
    without_reason = client.post(_suspend_url(learner), _suspend_body(reason=" "))

    assert in_the_past.status_code == without_reason.status_code == 400
    assert in_the_past.json()["error"]["fields"] == {"until": ["Choose an end in the future."]}
    assert set(without_reason.json()["error"]["fields"]) == {"reason"}
    with pytest.raises(ValidationError) as error:
        user_suspend(user=learner, until=timezone.now(), reason=REASON, by=moderator)
    assert error.value.message_dict == {"until": ["Choose an end in the future."]}
    learner.refresh_from_db()
    assert learner.suspended_until is None


def test_suspend_refuses_an_until_that_is_not_a_date():
    moderator, learner = _with_role(Role.MODERATOR), UserFactory()
    response = _api_as(moderator).post(_suspend_url(learner), _suspend_body(until="next week"))
    assert response.status_code == 400
    assert "until" in response.json()["error"]["fields"]


@pytest.mark.parametrize("url", [_suspend_url, _unsuspend_url, _active_url])
def test_an_unknown_account_is_404(url):
    admin = _with_role(Role.ADMIN)
    ghost = User(pk=424242)
    response = _api_as(admin).post(url(ghost), {**_suspend_body(), "is_active": False})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- POST /api/auth/users/{id}/active ---------------------------------------------------


def test_admin_deactivates_and_reactivates_an_account():
    admin, learner = _with_role(Role.ADMIN), UserFactory()

    off = _api_as(admin).post(_active_url(learner), {"is_active": False})

    assert off.status_code == 200
    assert off.json()["is_active"] is False
    assert _login(learner.email).status_code == 401
    on = _api_as(admin).post(_active_url(learner), {"is_active": True})
    assert on.json()["is_active"] is True
    assert _login(learner.email).status_code == 200


def test_moderators_cannot_deactivate_accounts():
    moderator, learner = _with_role(Role.MODERATOR), UserFactory()
    response = _api_as(moderator).post(_active_url(learner), {"is_active": False})
    assert response.status_code == 403
    learner.refresh_from_db()
    assert learner.is_active


def test_admins_cannot_deactivate_themselves_or_a_superuser():
    admin = _with_role(Role.ADMIN)
    superuser = UserFactory(is_superuser=True, is_staff=True)

    own = _api_as(admin).post(_active_url(admin), {"is_active": False})
    theirs = _api_as(admin).post(_active_url(superuser), {"is_active": False})

    assert own.status_code == theirs.status_code == 403
    assert "your own account" in own.json()["error"]["message"]
    assert User.objects.filter(pk__in=[admin.pk, superuser.pk], is_active=True).count() == 2


def test_active_needs_is_active():
    admin, learner = _with_role(Role.ADMIN), UserFactory()
    response = _api_as(admin).post(_active_url(learner), {})
    assert response.status_code == 400
    assert "is_active" in response.json()["error"]["fields"]


# --- The services bump access_version and announce it after commit ------------------------


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda user: _suspend(user), id="user_suspend"),
        pytest.param(
            lambda user: (_suspend(user), user_unsuspend(user=user, by=None)), id="user_unsuspend"
        ),
        pytest.param(
            lambda user: user_set_active(user=user, is_active=False, by=None), id="user_set_active"
        ),
        pytest.param(
            lambda user: user_set_role(user=user, role=Role.EXPERT, by=None), id="user_set_role"
        ),
    ],
)
def test_access_changes_bump_the_version_and_announce_after_commit(
    change, user, access_changes, django_capture_on_commit_callbacks
):
    before = user.access_version

    with django_capture_on_commit_callbacks(execute=True):
        change(user)
        assert access_changes == []  # not before the commit

    assert access_changes and set(access_changes) == {user.pk}
    user.refresh_from_db()
    assert user.access_version == before + len(access_changes)
    # Access changes that do not sign out leave sessions alone.
    assert user.session_generation == 0


def test_no_change_no_bump(user, access_changes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user_set_active(user=user, is_active=True, by=None)
        user_set_role(user=user, role=Role.LEARNER, by=None)
        user_unsuspend(user=user, by=None)

    assert access_changes == []
    user.refresh_from_db()
    assert user.access_version == 0


def test_a_refused_suspension_changes_nothing(user, access_changes):
    learner = UserFactory()
    with pytest.raises(PermissionDenied):
        user_suspend(user=user, until=UNTIL, reason=REASON, by=learner)
    user.refresh_from_db()
    assert (user.suspended_until, user.access_version, access_changes) == (None, 0, [])
