"""The admin: role, activation, password and suspension changes go through the services;
keys and lock-outs have their actions."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.lockout import authenticate_with_lockout
from accounts.models import ApiKey, LoginThrottle, User
from accounts.roles import Role
from accounts.services import MODERATORS_GROUP, api_key_create, user_set_role, user_suspend
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _staff_client(role: str, **extra) -> tuple[Client, User]:
    user = UserFactory(**extra)
    user_set_role(user=user, role=role, by=None)
    client = Client()
    client.force_login(user)
    return client, user


def _change_form_data(user: User, **changes) -> dict:
    data = {
        "username": user.username,
        "email": user.email,
        "full_name": user.full_name,
        "bio": user.bio,
        "expertise_areas": "[]",
        "role": user.role,
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    data.update(changes)
    return data


def test_admin_role_change_in_the_admin_syncs_staff_and_groups():
    client, _ = _staff_client(Role.ADMIN)
    target = UserFactory()
    url = reverse("admin:accounts_user_change", args=[target.pk])

    response = client.post(url, _change_form_data(target, role=Role.MODERATOR))

    assert response.status_code == 302, response.context["adminform"].form.errors
    target = User.objects.get(pk=target.pk)
    assert target.role == Role.MODERATOR
    assert target.is_staff
    assert list(target.groups.values_list("name", flat=True)) == [MODERATORS_GROUP]


def test_user_admin_lists_role_and_searches_by_full_name():
    client, _ = _staff_client(Role.ADMIN)
    UserFactory(username="hopper", full_name="Grace Hopper", role=Role.EXPERT)

    response = client.get(reverse("admin:accounts_user_changelist"), {"q": "grace"})

    assert response.status_code == 200
    content = response.content.decode()
    assert "hopper" in content and "Expert" in content
    filtered = client.get(reverse("admin:accounts_user_changelist"), {"role__exact": "expert"})
    assert "hopper" in filtered.content.decode()


def test_admin_cannot_change_own_role_in_the_admin():
    client, me = _staff_client(Role.ADMIN)
    response = client.get(reverse("admin:accounts_user_change", args=[me.pk]))
    assert "role" not in response.context["adminform"].form.fields


def test_admin_adds_a_user():
    client, _ = _staff_client(Role.ADMIN)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newbie",
            "email": "newbie@example.org",
            "full_name": "New Person",
            "usable_password": "true",
            "password1": "a-long-new-password-77",
            "password2": "a-long-new-password-77",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.get(username="newbie").check_password("a-long-new-password-77")


def test_admin_add_refuses_an_email_in_another_case():
    client, _ = _staff_client(Role.ADMIN)
    UserFactory(email="taken@example.org")
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newbie",
            "email": "TAKEN@example.org",
            "usable_password": "true",
            "password1": "a-long-new-password-77",
            "password2": "a-long-new-password-77",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [
        "Another account already uses this email address."
    ]


def test_moderators_cannot_manage_users():
    client, _ = _staff_client(Role.MODERATOR)
    target = UserFactory()
    assert client.get(reverse("admin:accounts_user_change", args=[target.pk])).status_code == 403
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403


def test_learners_cannot_enter_the_admin():
    client = Client()
    client.force_login(UserFactory())
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302  # to the admin login page


def test_revoke_action_revokes_keys():
    client, _ = _staff_client(Role.ADMIN)
    api_key, _ = api_key_create(user=UserFactory(), name="leaked")

    response = client.post(
        reverse("admin:accounts_apikey_changelist"),
        {"action": "revoke", "_selected_action": [api_key.pk]},
    )

    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None


def test_api_key_admin_never_shows_the_hash_and_cannot_add():
    client, _ = _staff_client(Role.ADMIN)
    api_key, _ = api_key_create(user=UserFactory(), name="script")

    page = client.get(reverse("admin:accounts_apikey_change", args=[api_key.pk]))

    assert page.status_code == 200
    assert api_key.key_hash not in page.content.decode()
    assert client.get(reverse("admin:accounts_apikey_add")).status_code == 403
    assert ApiKey.objects.count() == 1


def test_moderator_clears_a_lockout_in_the_admin():
    client, _ = _staff_client(Role.MODERATOR)
    user = UserFactory()
    for _ in range(5):
        authenticate_with_lockout(request=None, identifier=user.username, password="wrong")
    throttle = LoginThrottle.objects.get(key=f"account:{user.username}")
    listing = client.get(reverse("admin:accounts_loginthrottle_changelist"), {"locked": "yes"})
    assert throttle.key in listing.content.decode()

    response = client.post(
        reverse("admin:accounts_loginthrottle_changelist"),
        {"action": "clear_lockout", "_selected_action": [throttle.pk]},
    )

    assert response.status_code == 302
    signed_in = authenticate_with_lockout(
        request=None, identifier=user.username, password=DEFAULT_PASSWORD
    )
    assert signed_in == user


# --- Activation and suspension go through the services -----------------------------------


def test_deactivating_in_the_change_form_bumps_access_and_ends_sign_in(
    access_changes, django_capture_on_commit_callbacks
):
    client, _ = _staff_client(Role.ADMIN)
    target = UserFactory()
    url = reverse("admin:accounts_user_change", args=[target.pk])
    data = _change_form_data(target)
    del data["is_active"]  # an unticked checkbox is not sent

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    target = User.objects.get(pk=target.pk)
    assert not target.is_active
    assert target.access_version == 1
    assert access_changes == [target.pk]
    assert (
        authenticate_with_lockout(
            request=None, identifier=target.username, password=DEFAULT_PASSWORD
        )
        is None
    )


def test_saving_the_change_form_without_changes_does_not_bump_access():
    client, _ = _staff_client(Role.ADMIN)
    target = UserFactory()
    url = reverse("admin:accounts_user_change", args=[target.pk])

    response = client.post(url, _change_form_data(target))

    assert response.status_code == 302
    assert User.objects.get(pk=target.pk).access_version == 0


def test_admins_cannot_deactivate_themselves_in_the_admin():
    client, me = _staff_client(Role.ADMIN)
    form = client.get(reverse("admin:accounts_user_change", args=[me.pk])).context["adminform"]
    assert "is_active" not in form.form.fields


def test_suspension_fields_are_shown_read_only():
    client, _ = _staff_client(Role.ADMIN)
    target = UserFactory()
    user_suspend(
        user=target, until=timezone.now() + timedelta(days=1), reason="Spam links.", by=None
    )

    response = client.get(reverse("admin:accounts_user_change", args=[target.pk]))

    form = response.context["adminform"].form
    assert "suspended_until" not in form.fields
    assert "suspension_reason" not in form.fields
    assert "Spam links." in response.content.decode()


def test_suspend_action_suspends_for_seven_days_and_skips_the_admin_themselves(
    access_changes, django_capture_on_commit_callbacks
):
    client, me = _staff_client(Role.ADMIN)
    target = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "suspend_for_7_days", "_selected_action": [target.pk, me.pk]},
            follow=True,
        )

    target = User.objects.get(pk=target.pk)
    assert target.is_suspended
    assert target.suspension_reason == "Suspended by a moderator"
    assert (
        timedelta(days=6, hours=23) < target.suspended_until - timezone.now() <= timedelta(days=7)
    )
    assert target.access_version == 1
    assert access_changes == [target.pk]
    assert not User.objects.get(pk=me.pk).is_suspended
    page = response.content.decode()
    assert "Suspended for 7 days: 1 account(s)." in page
    assert "You cannot suspend your own account" in page


def test_lift_suspension_action_and_the_suspended_filter():
    client, _ = _staff_client(Role.ADMIN)
    target = UserFactory(username="suspended-sam")
    user_suspend(user=target, until=timezone.now() + timedelta(days=1), reason="Spam.", by=None)
    changelist = reverse("admin:accounts_user_changelist")

    assert "suspended-sam" in client.get(changelist, {"suspended": "yes"}).content.decode()
    assert "suspended-sam" not in client.get(changelist, {"suspended": "no"}).content.decode()

    response = client.post(
        changelist, {"action": "lift_suspension", "_selected_action": [target.pk]}
    )

    assert response.status_code == 302
    target = User.objects.get(pk=target.pk)
    assert not target.is_suspended
    assert target.suspension_reason == ""
    assert (
        authenticate_with_lockout(
            request=None, identifier=target.username, password=DEFAULT_PASSWORD
        )
        == target
    )
