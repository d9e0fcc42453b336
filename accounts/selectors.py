"""Reads for accounts: users by identifier, user lists for moderators, a user's API keys."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import ApiKey, User


def user_get_by_identifier(*, identifier: str) -> User | None:
    """The account a sign-in identifier names: an email if it has an "@", else a username.

    Mirrors EmailOrUsernameBackend, so the lock-out counts the same account the
    password check will look at.
    """
    identifier = identifier.strip()
    if not identifier:
        return None
    field = "email__iexact" if "@" in identifier else "username__iexact"
    return User.objects.filter(**{field: identifier}).first()


def user_list(*, role: str | None = None, search: str | None = None) -> QuerySet[User]:
    users = User.objects.all()
    if role:
        users = users.filter(role=role)
    if search:
        users = users.filter(
            Q(username__icontains=search)
            | Q(email__icontains=search)
            | Q(full_name__icontains=search)
        )
    return users.order_by("username")


def api_key_list(*, user: User) -> QuerySet[ApiKey]:
    """The user's keys that still work, newest first; revoked ones stay visible in the admin."""
    return ApiKey.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at", "-id")


def user_get(*, user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()


def api_key_get(*, user: User, key_id: int) -> ApiKey | None:
    """One of the user's own keys (revoked ones included); another user's key is None."""
    return ApiKey.objects.filter(pk=key_id, user=user).first()


def person_find(*, username: str) -> User | None:
    """An active account by username (any case), as profiles find it."""
    if "\x00" in username:  # no username has one, and PostgreSQL refuses it in a query
        return None
    return User.objects.filter(username__iexact=username, is_active=True).first()
