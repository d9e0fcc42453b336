"""Roles: predicates, DRF permission classes, and user_set_role keeping staff and groups in sync."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIClient

from accounts.models import User
from accounts.permissions import (
    HasRole,
    IsAdminRole,
    IsModerator,
    can_manage_users,
    can_moderate_content,
    has_role,
    is_admin,
    is_moderator,
)
from accounts.roles import Role
from accounts.services import ADMINS_GROUP, MODERATORS_GROUP, ensure_role_groups, user_set_role
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

USERS = "/api/auth/users"


def _client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _fresh(user) -> User:
    # has_perm caches permissions on the instance; read the account anew.
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize(
    ("role", "moderator", "admin"),
    [
        (Role.LEARNER, False, False),
        (Role.CONTRIBUTOR, False, False),
        (Role.REVIEWER, False, False),
        (Role.EXPERT, False, False),
        (Role.MODERATOR, True, False),
        (Role.ADMIN, True, True),
    ],
)
def test_roles_include_the_powers_of_lower_roles(role, moderator, admin):
    user = UserFactory.build(role=role)
    assert is_moderator(user) is moderator
    assert can_moderate_content(user) is moderator
    assert is_admin(user) is admin
    assert can_manage_users(user) is admin
    assert has_role(user, Role.LEARNER)
    assert has_role(user, role)


def test_expert_has_reviewer_powers_but_not_moderator():
    expert = UserFactory.build(role=Role.EXPERT)
    assert has_role(expert, Role.REVIEWER)
    assert not has_role(expert, Role.MODERATOR)


def test_superuser_counts_as_admin_whatever_the_role():
    superuser = UserFactory.build(role=Role.LEARNER, is_superuser=True)
    assert is_admin(superuser) and can_manage_users(superuser)


def test_inactive_and_anonymous_users_have_no_role():
    assert not has_role(UserFactory.build(role=Role.ADMIN, is_active=False), Role.LEARNER)
    assert not has_role(AnonymousUser(), Role.LEARNER)
    assert not has_role(None, Role.LEARNER)


def test_has_role_factory_builds_one_class_per_role():
    assert HasRole(Role.REVIEWER) is HasRole("reviewer")
    assert HasRole(Role.REVIEWER).role == Role.REVIEWER
    with pytest.raises(ValueError):
        HasRole("overlord")


def test_permission_classes_check_the_role():
    class Request:
        def __init__(self, user):
            self.user = user

    learner, moderator, admin = (
        UserFactory.build(role=r) for r in ("learner", "moderator", "admin")
    )
    assert not IsModerator().has_permission(Request(learner), None)
    assert IsModerator().has_permission(Request(moderator), None)
    assert not IsAdminRole().has_permission(Request(moderator), None)
    assert IsAdminRole().has_permission(Request(admin), None)
    assert HasRole(Role.EXPERT)().message == "This needs the expert role or a higher one."


# --- user_set_role --------------------------------------------------------------------


@pytest.fixture
def admin_user():
    return UserFactory(role=Role.ADMIN, is_staff=True)


def test_promoting_to_moderator_grants_staff_and_content_permissions(admin_user):
    user = UserFactory()

    user_set_role(user=user, role=Role.MODERATOR, by=admin_user)

    user = _fresh(user)
    assert user.role == Role.MODERATOR
    assert user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == [MODERATORS_GROUP]
    content_perm = Permission.objects.filter(content_type__app_label="collaboration").first()
    assert content_perm is not None
    assert user.has_perm(f"collaboration.{content_perm.codename}")
    assert user.has_perm("accounts.change_loginthrottle")  # to lift a lock-out
    assert not user.has_perm("accounts.change_user")
    assert not user.has_perm("accounts.view_apikey")


def test_promoting_to_admin_grants_user_management(admin_user):
    user = UserFactory(role=Role.MODERATOR)
    user_set_role(user=user, role=Role.MODERATOR, by=admin_user)

    user_set_role(user=user, role=Role.ADMIN, by=admin_user)

    user = _fresh(user)
    assert user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == [ADMINS_GROUP]
    assert user.has_perm("accounts.change_user")


def test_demoting_removes_staff_and_groups(admin_user):
    user = UserFactory()
    user_set_role(user=user, role=Role.ADMIN, by=admin_user)

    user_set_role(user=user, role=Role.EXPERT, by=admin_user)

    user = _fresh(user)
    assert user.role == Role.EXPERT
    assert not user.is_staff
    assert not user.groups.exists()
    assert not user.has_perm("accounts.change_user")


def test_demoting_keeps_unrelated_groups(admin_user):
    user = UserFactory()
    translators = Group.objects.create(name="Translators")
    user.groups.add(translators)
    user_set_role(user=user, role=Role.MODERATOR, by=admin_user)
    user_set_role(user=user, role=Role.LEARNER, by=admin_user)
    assert list(_fresh(user).groups.all()) == [translators]


def test_a_demoted_superuser_stays_staff():
    superuser = UserFactory(is_superuser=True, is_staff=True, role=Role.ADMIN)
    user_set_role(user=superuser, role=Role.LEARNER, by=None)
    assert _fresh(superuser).is_staff


def test_only_admins_change_roles():
    moderator = UserFactory(role=Role.MODERATOR)
    user = UserFactory()
    with pytest.raises(PermissionDenied, match="Only admins"):
        user_set_role(user=user, role=Role.MODERATOR, by=moderator)
    assert _fresh(user).role == Role.LEARNER


def test_admins_cannot_change_their_own_role(admin_user):
    with pytest.raises(PermissionDenied, match="your own role"):
        user_set_role(user=admin_user, role=Role.LEARNER, by=admin_user)


def test_admins_cannot_change_a_superusers_role(admin_user):
    superuser = UserFactory(is_superuser=True)
    with pytest.raises(PermissionDenied, match="superuser"):
        user_set_role(user=superuser, role=Role.LEARNER, by=admin_user)


def test_unknown_role_is_a_validation_error(admin_user):
    with pytest.raises(ValidationError) as error:
        user_set_role(user=UserFactory(), role="overlord", by=admin_user)
    assert "role" in error.value.message_dict


def test_ensure_role_groups_is_idempotent_and_keeps_hand_added_permissions():
    groups = ensure_role_groups()
    extra = Permission.objects.get(codename="view_user")
    groups[Role.MODERATOR].permissions.add(extra)
    count = groups[Role.MODERATOR].permissions.count()

    again = ensure_role_groups()

    assert Group.objects.filter(name__in=[MODERATORS_GROUP, ADMINS_GROUP]).count() == 2
    assert again[Role.MODERATOR].permissions.count() == count
    assert again[Role.ADMIN].permissions.count() == Permission.objects.count()


def test_migrations_created_the_role_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= {MODERATORS_GROUP, ADMINS_GROUP}


# --- API: users list and role changes --------------------------------------------------


def test_moderators_list_users_filtered_by_role():
    moderator = UserFactory(role=Role.MODERATOR)
    UserFactory.create_batch(2, role=Role.EXPERT)
    UserFactory(role=Role.LEARNER)

    response = _client_for(moderator).get(USERS, {"role": "expert"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert {u["role"] for u in body["results"]} == {"expert"}
    assert "password" not in body["results"][0]


def test_users_list_search():
    moderator = UserFactory(role=Role.MODERATOR)
    UserFactory(username="turing", full_name="Alan Turing")
    response = _client_for(moderator).get(USERS, {"search": "alan"})
    assert [u["username"] for u in response.json()["results"]] == ["turing"]


def test_users_list_rejects_an_unknown_role_filter():
    moderator = UserFactory(role=Role.MODERATOR)
    response = _client_for(moderator).get(USERS, {"role": "overlord"})
    assert response.status_code == 400
    assert "role" in response.json()["error"]["fields"]


def test_learners_cannot_list_users(auth_client):
    response = auth_client.get(USERS)
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "This needs the moderator role or a higher one."


def test_admin_changes_a_role_through_the_api(admin_user):
    user = UserFactory()

    response = _client_for(admin_user).post(f"{USERS}/{user.id}/role", {"role": "moderator"})

    assert response.status_code == 200
    assert response.json()["role"] == "moderator"
    user = _fresh(user)
    assert user.is_staff and user.groups.filter(name=MODERATORS_GROUP).exists()


def test_moderator_cannot_change_roles_through_the_api():
    moderator = UserFactory(role=Role.MODERATOR)
    user = UserFactory()
    response = _client_for(moderator).post(f"{USERS}/{user.id}/role", {"role": "admin"})
    assert response.status_code == 403
    assert _fresh(user).role == Role.LEARNER


def test_admin_changing_own_role_through_the_api_gets_the_reason(admin_user):
    response = _client_for(admin_user).post(f"{USERS}/{admin_user.id}/role", {"role": "learner"})
    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "You cannot change your own role; ask another admin."
    )


def test_role_change_for_unknown_user_is_404(admin_user):
    response = _client_for(admin_user).post(f"{USERS}/999999/role", {"role": "learner"})
    assert response.status_code == 404
