"""Who may do what: role predicates for any code, and DRF permission classes built on them.

Roles rank learner < contributor < reviewer < expert < moderator < admin
(accounts/roles.py); a role includes every power of the roles below it.
Superusers count as admins. Inactive, suspended and anonymous users have no role at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.permissions import BasePermission

from .roles import Role, role_at_least

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from .models import User


def has_role(user: User | AnonymousUser | None, role: str) -> bool:
    """True if the user is signed in, may sign in (active, not suspended), and holds `role`
    or a higher one."""
    if user is None or not user.is_authenticated or not user.may_sign_in:
        return False
    return user.is_superuser or role_at_least(user.role, role)


def is_contributor(user: User | AnonymousUser | None) -> bool:
    return has_role(user, Role.CONTRIBUTOR)


def is_reviewer(user: User | AnonymousUser | None) -> bool:
    return has_role(user, Role.REVIEWER)


def is_expert(user: User | AnonymousUser | None) -> bool:
    return has_role(user, Role.EXPERT)


def is_moderator(user: User | AnonymousUser | None) -> bool:
    return has_role(user, Role.MODERATOR)


def is_admin(user: User | AnonymousUser | None) -> bool:
    return has_role(user, Role.ADMIN)


def can_moderate_content(user: User | AnonymousUser | None) -> bool:
    """Hide, edit or delete other people's documents, comments and contributions."""
    return is_moderator(user)


def can_manage_users(user: User | AnonymousUser | None) -> bool:
    """Change other people's roles and accounts."""
    return is_admin(user)


class RoleRequired(BasePermission):
    """Allows the request if the user holds `role` or a higher one.

    Anonymous requests are refused with 401 (DRF turns a failed permission into
    "not authenticated" when no one signed in), signed-in users with 403.
    """

    role: str = Role.LEARNER

    @property
    def message(self) -> str:
        return f"This needs the {Role(self.role).label.lower()} role or a higher one."

    def has_permission(self, request, view) -> bool:
        return has_role(request.user, self.role)


_has_role_classes: dict[str, type[RoleRequired]] = {}


def HasRole(role: str) -> type[RoleRequired]:
    """A permission class for `role`, e.g. `permission_classes = [HasRole(Role.REVIEWER)]`."""
    role = Role(role).value  # unknown roles fail here, at import time, not per request
    if role not in _has_role_classes:
        name = f"Has{role.capitalize()}Role"
        _has_role_classes[role] = type(name, (RoleRequired,), {"role": role})
    return _has_role_classes[role]


class IsContributor(RoleRequired):
    role = Role.CONTRIBUTOR


class IsReviewer(RoleRequired):
    role = Role.REVIEWER


class IsExpert(RoleRequired):
    role = Role.EXPERT


class IsModerator(RoleRequired):
    role = Role.MODERATOR


class IsAdminRole(RoleRequired):
    role = Role.ADMIN
