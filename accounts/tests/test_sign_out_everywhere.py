"""Signing out everywhere and changing the password end every other session, JWT and socket."""

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import User
from accounts.roles import Role
from accounts.services import (
    auth_tokens_issue,
    user_access_changed,
    user_password_changed,
    user_set_role,
    user_sign_out_everywhere,
)
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.tokens import SESSION_ENDED, STAMP_CLAIM

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login"
REFRESH = "/api/auth/refresh"
LOGOUT_ALL = "/api/auth/logout-all"
ME = "/api/auth/me"
NEW_PASSWORD = "another-long-passphrase-31"


def _bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def _browser(user: User) -> Client:
    """A browser signed in with the password, as on the sign-in page."""
    browser = Client()
    response = browser.post(
        reverse("accounts:login"), {"identifier": user.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    return browser


def _signed_in(browser: Client) -> bool:
    # An accounts page behind login_required: 200 when signed in, a redirect otherwise.
    return browser.get(reverse("accounts:password_change")).status_code == 200


def _assert_session_ended(response) -> None:
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "token_not_valid"
    assert error["message"] == SESSION_ENDED


# --- POST /api/auth/logout-all --------------------------------------------------------


def test_logout_all_ends_every_token_and_browser_session(user):
    tokens = APIClient().post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}).json()
    other_tokens = auth_tokens_issue(user=user)  # another device
    browser = _browser(user)
    caller = _bearer(tokens["access"])

    response = caller.post(LOGOUT_ALL)

    assert response.status_code == 204
    _assert_session_ended(caller.get(ME))
    _assert_session_ended(_bearer(other_tokens["access"]).get(ME))
    for refresh in (tokens["refresh"], other_tokens["refresh"]):
        _assert_session_ended(APIClient().post(REFRESH, {"refresh": refresh}))
    assert not _signed_in(browser)
    # Signing in again works and gives tokens that work.
    fresh = APIClient().post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}).json()
    assert _bearer(fresh["access"]).get(ME).status_code == 200


def test_logout_all_needs_a_signed_in_user(api_client):
    response = api_client.post(LOGOUT_ALL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_logout_all_ends_tokens_made_before_the_stamp_claim_existed(user):
    # simplejwt's own tokens carry no stamp; they hold only until the first sign-out.
    legacy = str(AccessToken.for_user(user))
    assert _bearer(legacy).get(ME).status_code == 200

    assert _bearer(legacy).post(LOGOUT_ALL).status_code == 204

    _assert_session_ended(_bearer(legacy).get(ME))


def test_logout_all_blacklists_the_outstanding_refresh_tokens(user):
    for _ in range(2):
        auth_tokens_issue(user=user)
    someone_else = auth_tokens_issue(user=UserFactory())

    user_sign_out_everywhere(user=user)
    user_sign_out_everywhere(user=user)  # twice is harmless

    mine = OutstandingToken.objects.filter(user=user)
    assert mine.count() == 2
    assert BlacklistedToken.objects.filter(token__in=mine).count() == 2
    assert APIClient().post(REFRESH, {"refresh": someone_else["refresh"]}).status_code == 200


def test_tokens_carry_the_stamp_and_refresh_keeps_it(user):
    tokens = auth_tokens_issue(user=user)

    assert AccessToken(tokens["access"])[STAMP_CLAIM] == user.credential_stamp
    assert RefreshToken(tokens["refresh"])[STAMP_CLAIM] == user.credential_stamp
    pair = APIClient().post(REFRESH, {"refresh": tokens["refresh"]}).json()
    assert AccessToken(pair["access"])[STAMP_CLAIM] == user.credential_stamp
    assert _bearer(pair["access"]).get(ME).status_code == 200


# --- The profile page's "Sign out everywhere" button ----------------------------------


def test_own_profile_offers_sign_out_everywhere_and_others_do_not(client, user):
    other = UserFactory()
    client.force_login(user)

    own = client.get(reverse("accounts:profile", args=[user.username])).content.decode()
    theirs = client.get(reverse("accounts:profile", args=[other.username])).content.decode()

    assert "Sign out everywhere" in own
    assert reverse("accounts:logout_everywhere") in own
    assert "csrfmiddlewaretoken" in own
    assert "Sign out everywhere" not in theirs


def test_sign_out_everywhere_page_logs_out_this_browser_and_every_other(user):
    browser = _browser(user)
    other_browser = _browser(user)
    tokens = auth_tokens_issue(user=user)

    response = browser.post(reverse("accounts:logout_everywhere"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert "You have been signed out on every device." in response.content.decode()
    assert not _signed_in(browser)
    assert not _signed_in(other_browser)
    _assert_session_ended(_bearer(tokens["access"]).get(ME))


def test_sign_out_everywhere_page_only_takes_a_post(client, user):
    client.force_login(user)
    assert client.get(reverse("accounts:logout_everywhere")).status_code == 405
    assert _signed_in(client)


def test_sign_out_everywhere_page_is_csrf_protected(user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.post(reverse("accounts:logout_everywhere")).status_code == 403
    assert _signed_in(browser)


# --- Password changes -------------------------------------------------------------------


def test_password_change_page_keeps_this_browser_and_ends_every_other_session(
    user, access_changes, django_capture_on_commit_callbacks
):
    browser = _browser(user)
    other_browser = _browser(user)
    tokens = auth_tokens_issue(user=user)

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            reverse("accounts:password_change"),
            {
                "old_password": DEFAULT_PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )

    assert response.status_code == 302
    assert access_changes == [user.pk]  # open sockets hear of it at once
    assert _signed_in(browser)
    assert not _signed_in(other_browser)
    _assert_session_ended(_bearer(tokens["access"]).get(ME))
    _assert_session_ended(APIClient().post(REFRESH, {"refresh": tokens["refresh"]}))
    user.refresh_from_db()
    assert user.session_generation == 1


def test_a_password_set_outside_the_site_ends_earlier_tokens(user):
    # As `manage.py changepassword` does: set_password and save, no service involved.
    tokens = auth_tokens_issue(user=user)
    user.set_password(NEW_PASSWORD)
    user.save()

    _assert_session_ended(_bearer(tokens["access"]).get(ME))
    _assert_session_ended(APIClient().post(REFRESH, {"refresh": tokens["refresh"]}))


def test_admin_password_form_ends_the_persons_sessions_and_keeps_the_admins(user):
    admin = UserFactory()
    user_set_role(user=admin, role=Role.ADMIN, by=None)
    admin_browser = _browser(admin)
    person_browser = _browser(user)
    tokens = auth_tokens_issue(user=user)

    response = admin_browser.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302, response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert user.session_generation == 1
    assert not _signed_in(person_browser)
    _assert_session_ended(_bearer(tokens["access"]).get(ME))
    assert _signed_in(admin_browser)


def test_admin_changing_their_own_password_in_the_admin_stays_signed_in():
    admin = UserFactory()
    user_set_role(user=admin, role=Role.ADMIN, by=None)
    browser = _browser(admin)

    response = browser.post(
        reverse("admin:auth_user_password_change", args=[admin.pk]),
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302, response.context["form"].errors
    assert _signed_in(browser)


# --- The services -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "service", [user_sign_out_everywhere, user_password_changed], ids=lambda f: f.__name__
)
def test_signing_out_bumps_both_counters_and_announces_after_commit(
    service, user, access_changes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        service(user=user)
        assert access_changes == []  # not before the commit

    assert access_changes == [user.pk]
    assert (user.access_version, user.session_generation) == (1, 1)
    user.refresh_from_db()
    assert (user.access_version, user.session_generation) == (1, 1)


def test_access_change_without_sign_out_keeps_sessions(
    user, access_changes, django_capture_on_commit_callbacks
):
    browser = _browser(user)
    tokens = auth_tokens_issue(user=user)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        user_access_changed(user=user)

    assert (user.access_version, user.session_generation) == (1, 0)
    assert access_changes == [user.pk]
    assert _signed_in(browser)
    assert _bearer(tokens["access"]).get(ME).status_code == 200


def test_a_rolled_back_sign_out_is_not_announced(
    user, access_changes, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        user_sign_out_everywhere(user=user)
        raise RuntimeError("the surrounding work failed")

    assert access_changes == []
    user.refresh_from_db()
    assert (user.access_version, user.session_generation) == (0, 0)
