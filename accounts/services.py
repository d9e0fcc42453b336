"""Writes for accounts: sign-up, profiles, roles, JWT refresh tokens and API keys."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.contrib.auth.models import Group, Permission, update_last_login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenBackendExpiredToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from .models import ApiKey, User
from .permissions import can_manage_users
from .roles import Role, role_at_least
from .selectors import api_key_list

logger = logging.getLogger(__name__)

# --- Users -------------------------------------------------------------------

MAX_EXPERTISE_AREAS = 20


def _clean_expertise_areas(areas: Iterable[str]) -> list[str]:
    """Lower-case, de-duplicated slugs in the order given."""
    cleaned: list[str] = []
    for area in areas:
        slug = area.strip().lower()
        if slug and slug not in cleaned:
            cleaned.append(slug)
    if len(cleaned) > MAX_EXPERTISE_AREAS:
        raise ValidationError(
            {"expertise_areas": [f"Choose at most {MAX_EXPERTISE_AREAS} areas of expertise."]}
        )
    return cleaned


def _email_taken(email: str, *, exclude: User | None = None) -> bool:
    users = User.objects.filter(email__iexact=email)
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return users.exists()


EMAIL_TAKEN = "An account with this email address already exists."
USERNAME_TAKEN = "This username is taken. Choose another one."


@transaction.atomic
def user_create(
    *,
    username: str,
    email: str,
    password: str,
    full_name: str = "",
    bio: str = "",
    expertise_areas: Iterable[str] = (),
) -> User:
    """Sign up a learner. Usernames and emails are unique regardless of case."""
    user = User(
        username=username.strip(),
        email=User.objects.normalize_email(email.strip()),
        full_name=full_name.strip(),
        bio=bio,
        role=Role.LEARNER,
    )
    errors: dict[str, list[str]] = {}
    try:
        user.expertise_areas = _clean_expertise_areas(expertise_areas)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        # Field validators (username characters, email syntax, lengths); the
        # case-insensitive uniqueness checks below give clearer messages than
        # Django's constraint errors would.
        user.clean_fields(exclude=["password", "expertise_areas"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if "username" not in errors and User.objects.filter(username__iexact=user.username).exists():
        errors["username"] = [USERNAME_TAKEN]
    if "email" not in errors and _email_taken(user.email):
        errors["email"] = [EMAIL_TAKEN + " Sign in instead, or use another address."]
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)

    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        # Someone took the name or address between our check and the insert.
        raise ValidationError(
            {"username": [USERNAME_TAKEN]}
            if User.objects.filter(username__iexact=user.username).exists()
            else {"email": [EMAIL_TAKEN]}
        ) from exc
    logger.info("user signed up: %s", user.username)
    return user


@transaction.atomic
def user_update_profile(
    *,
    user: User,
    full_name: str | None = None,
    bio: str | None = None,
    expertise_areas: Iterable[str] | None = None,
    email: str | None = None,
) -> User:
    """Change what people may change about themselves; None leaves a field as it is.

    Role, reputation and staff status are not parameters on purpose: they change
    only through user_set_role and the scoring services. On a ValidationError the
    `user` instance is left exactly as it was.
    """
    changes: dict[str, object] = {}
    if full_name is not None:
        changes["full_name"] = full_name.strip()
    if bio is not None:
        changes["bio"] = bio
    if expertise_areas is not None:
        changes["expertise_areas"] = _clean_expertise_areas(expertise_areas)
    if email is not None:
        email = User.objects.normalize_email(email.strip())
        if _email_taken(email, exclude=user):
            raise ValidationError({"email": [EMAIL_TAKEN]})
        changes["email"] = email
    if not changes:
        return user

    before = {field: getattr(user, field) for field in changes}
    for field, value in changes.items():
        setattr(user, field, value)
    try:
        user.clean_fields(exclude=[f.name for f in User._meta.fields if f.name not in changes])
        with transaction.atomic():
            user.save(update_fields=list(changes))
    except (ValidationError, IntegrityError) as exc:
        for field, value in before.items():
            setattr(user, field, value)
        if isinstance(exc, IntegrityError):  # the address was taken since we checked
            raise ValidationError({"email": [EMAIL_TAKEN]}) from exc
        raise
    return user


# --- Roles -------------------------------------------------------------------

MODERATORS_GROUP = "Moderators"
ADMINS_GROUP = "Admins"
ROLE_GROUPS = {Role.MODERATOR: MODERATORS_GROUP, Role.ADMIN: ADMINS_GROUP}
# Moderators look after content, plus sign-in lock-outs (to lift one for a
# locked-out person); everything about accounts themselves is for admins.
MODERATED_APP_LABELS = ("collaboration", "community", "contributions")
MODERATED_ACCOUNTS_MODELS = ("loginthrottle",)


def ensure_role_groups(*, using: str = "default") -> dict[str, Group]:
    """Create the Moderators and Admins groups and grant them every permission that exists now.

    Idempotent and additive (permissions an operator added by hand stay). Run it
    after each migrate, because a new model's permissions only exist from then on;
    user_set_role also runs it, so a role change never lands in a missing group.
    """
    permissions = Permission.objects.using(using)
    moderators, _ = Group.objects.using(using).get_or_create(name=MODERATORS_GROUP)
    admins, _ = Group.objects.using(using).get_or_create(name=ADMINS_GROUP)
    moderators.permissions.add(
        *permissions.filter(
            Q(content_type__app_label__in=MODERATED_APP_LABELS)
            | Q(
                content_type__app_label="accounts",
                content_type__model__in=MODERATED_ACCOUNTS_MODELS,
            )
        )
    )
    admins.permissions.add(*permissions.all())
    return {Role.MODERATOR: moderators, Role.ADMIN: admins}


def role_groups_sync_after_migrate(sender, using: str = "default", **kwargs) -> None:
    """post_migrate receiver: `post_migrate.connect(role_groups_sync_after_migrate)` in ready().

    post_migrate fires once per app, after that app's permissions were created,
    so running on every signal picks up each content app's new models.
    """
    ensure_role_groups(using=using)


@transaction.atomic
def user_set_role(*, user: User, role: str, by: User | None) -> User:
    """Give `user` a role and keep staff status and group membership in line with it.

    Moderators and admins are staff (they work in the admin site); moderators get
    the Moderators group (content models), admins the Admins group (everything).
    `by` is the admin making the change, or None for the system itself
    (management commands, data seeding).
    """
    if role not in Role.values:
        choices = ", ".join(Role.values)
        raise ValidationError({"role": [f"“{role}” is not a role. Choose one of: {choices}."]})
    if by is not None:
        if not can_manage_users(by):
            raise PermissionDenied("Only admins can change roles.")
        if by.pk == user.pk and not by.is_superuser:
            raise PermissionDenied("You cannot change your own role; ask another admin.")
        if user.is_superuser and not by.is_superuser:
            raise PermissionDenied("Only a superuser can change a superuser's role.")

    groups = ensure_role_groups()
    previous = user.role
    user.role = role
    user.is_staff = user.is_superuser or role_at_least(role, Role.MODERATOR)
    user.save(update_fields=["role", "is_staff"])
    user.groups.remove(*groups.values())
    if role in groups:
        user.groups.add(groups[role])
    logger.info(
        "role of %s changed from %s to %s by %s",
        user.username,
        previous,
        role,
        by.username if by is not None else "the system",
    )
    return user


# --- JWT sessions ------------------------------------------------------------


class TokenInvalid(Exception):
    """A refresh token that cannot be used; the message says why, for the person."""


TOKEN_EXPIRED = "Your session has expired. Sign in again."
TOKEN_NOT_VALID = "This refresh token is not valid. Sign in again."
TOKEN_USED = "This refresh token has already been used or was revoked. Sign in again."


def auth_tokens_issue(*, user: User) -> dict[str, str]:
    """A new access and refresh token pair for a user who just proved who they are."""
    refresh = RefreshToken.for_user(user)
    if jwt_settings.UPDATE_LAST_LOGIN:
        update_last_login(None, user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def _refresh_payload(raw: str) -> tuple[dict, bool]:
    """The verified claims of a refresh token, and whether it was already used or revoked."""
    try:
        payload = token_backend.decode(raw, verify=True)
    except TokenBackendExpiredToken as exc:
        raise TokenInvalid(TOKEN_EXPIRED) from exc
    except TokenBackendError as exc:
        raise TokenInvalid(TOKEN_NOT_VALID) from exc
    jti = payload.get(jwt_settings.JTI_CLAIM)
    if payload.get(jwt_settings.TOKEN_TYPE_CLAIM) != "refresh" or not jti or "exp" not in payload:
        raise TokenInvalid("This is not a refresh token. Send the refresh token from sign-in.")
    used = BlacklistedToken.objects.filter(token__jti=jti).exists()
    return payload, used


def _blacklist(*, raw: str, payload: dict, user: User | None) -> bool:
    """Blacklist a token; False if it already was (by a concurrent request, say).

    The one-to-one BlacklistedToken row is the arbiter: of two requests racing
    to use the same refresh token, exactly one inserts it.
    """
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=payload[jwt_settings.JTI_CLAIM],
        defaults={
            "user": user,
            "token": raw,
            "created_at": timezone.now(),
            "expires_at": datetime_from_epoch(payload["exp"]),
        },
    )
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError:
        return False
    return True


@transaction.atomic
def auth_token_refresh(*, refresh: str) -> dict[str, str]:
    """Trade a refresh token for a new pair; the old one can never be used again."""
    payload, used = _refresh_payload(refresh)
    if used:
        raise TokenInvalid(TOKEN_USED)
    user = User.objects.filter(pk=payload.get(jwt_settings.USER_ID_CLAIM)).first()
    if user is None or not user.is_active:
        raise TokenInvalid("This account is disabled or no longer exists.")
    if not _blacklist(raw=refresh, payload=payload, user=user):
        raise TokenInvalid(TOKEN_USED)
    refreshed = RefreshToken.for_user(user)
    return {"access": str(refreshed.access_token), "refresh": str(refreshed)}


@transaction.atomic
def auth_token_revoke(*, refresh: str) -> None:
    """Sign out: blacklist the refresh token. Revoking it twice is not an error."""
    payload, used = _refresh_payload(refresh)
    if used:
        return
    user = User.objects.filter(pk=payload.get(jwt_settings.USER_ID_CLAIM)).first()
    _blacklist(raw=refresh, payload=payload, user=user)


# --- API keys ----------------------------------------------------------------

API_KEY_SCHEME = "lai"
MAX_ACTIVE_API_KEYS = 25
API_KEY_TOUCH_INTERVAL = timedelta(minutes=1)


class ApiKeyRejected(Exception):
    """The presented API key does not authenticate anyone; the message says why."""


def _api_key_hash(raw_key: str) -> str:
    # The key carries 256 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(raw_key.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, user: User, name: str) -> tuple[ApiKey, str]:
    """A new key for `user`. Returns the row and the key itself, which is never stored."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["Give the key a name, so you can recognise it later."]})
    # Lock the user row so two parallel requests cannot both pass the limit.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if api_key_list(user=user).count() >= MAX_ACTIVE_API_KEYS:
        raise ValidationError(
            f"You already have {MAX_ACTIVE_API_KEYS} active API keys. "
            "Revoke one you no longer use before creating another."
        )
    prefix = secrets.token_hex(4)  # 8 characters, never "_", so the key splits cleanly
    raw_key = f"{API_KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        user=user, name=name, prefix=prefix, key_hash=_api_key_hash(raw_key)
    )
    logger.info("API key %s created for %s", prefix, user.username)
    return api_key, raw_key


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Stop a key from working, at once and for good. Revoking twice is harmless."""
    if api_key.revoked_at is None:
        now = timezone.now()
        ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=now)
        api_key.revoked_at = now
        logger.info("API key %s of %s revoked", api_key.prefix, api_key.user_id)
    return api_key


def api_key_authenticate(*, raw_key: str) -> ApiKey:
    """The active key matching `raw_key`, with its user; raises ApiKeyRejected otherwise.

    Looks the key up by the SHA-256 of the whole key, so response time says
    nothing about how much of a guessed secret was right. Records the use at
    most once a minute, to keep busy scripts from writing on every request.
    """
    raw_key = raw_key.strip()
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_SCHEME or len(parts[1]) != 8 or not parts[2]:
        raise ApiKeyRejected("This is not an API key. Keys look like lai_1a2b3c4d_….")
    digest = _api_key_hash(raw_key)
    api_key = ApiKey.objects.select_related("user").filter(key_hash=digest).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, digest):
        raise ApiKeyRejected("This API key is not valid.")
    if api_key.revoked_at is not None:
        raise ApiKeyRejected("This API key has been revoked.")
    if not api_key.user.is_active:
        raise ApiKeyRejected("The account this API key belongs to is disabled.")

    now = timezone.now()
    stale = now - API_KEY_TOUCH_INTERVAL
    if api_key.last_used_at is None or api_key.last_used_at <= stale:
        ApiKey.objects.filter(pk=api_key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale)
        ).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


def user_from_api_key(raw_key: str) -> User | None:
    """The active user an API key belongs to, or None. For callers outside DRF (WebSockets)."""
    try:
        return api_key_authenticate(raw_key=raw_key).user
    except ApiKeyRejected:
        return None
