"""Writes for accounts: sign-up, profiles, roles, access (activation, suspension, sign-out
everywhere), JWT refresh tokens and API keys."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth.models import Group, Permission, update_last_login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenBackendExpiredToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from collaboration.realtime import publish

from .models import ApiKey, User
from .permissions import can_manage_users, is_moderator
from .roles import Role, role_at_least
from .selectors import api_key_list
from .tokens import SESSION_ENDED, refresh_token_for, token_stamp_valid

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
    if role != previous:
        user_access_changed(user=user)
    logger.info(
        "role of %s changed from %s to %s by %s",
        user.username,
        previous,
        role,
        by.username if by is not None else "the system",
    )
    return user


# --- Access: activation, suspension, sign-out everywhere -------------------------

MAX_SUSPENSION_REASON = User._meta.get_field("suspension_reason").max_length


@transaction.atomic
def user_access_changed(*, user: User, sign_out: bool = False) -> None:
    """Record that what `user` may do may have narrowed, and tell open sockets at once.

    Bumps `access_version`, which every open socket compares before it commits, and
    announces the change after commit so they re-decide now rather than at their next
    poll. With `sign_out`, also bumps `session_generation`, which changes the session
    hash and the credential stamp: every browser session, JWT and socket made before
    ends; outstanding refresh tokens are blacklisted as well, so the token list says so.

    Call it inside the transaction that made the change, so the bump commits with it and
    the announcement waits for that commit. Counters are bumped in SQL, so concurrent
    calls never lose one.
    """
    bumps: dict[str, object] = {"access_version": F("access_version") + 1}
    if sign_out:
        bumps["session_generation"] = F("session_generation") + 1
    User.objects.filter(pk=user.pk).update(**bumps)
    user.refresh_from_db(fields=["access_version", "session_generation"])
    if sign_out:
        _refresh_tokens_blacklist_all(user=user)
    publish.on_commit(publish.access_changed, user_id=user.pk)


def _refresh_tokens_blacklist_all(*, user: User) -> int:
    """Blacklist every unexpired refresh token of `user` not blacklisted yet.

    The one-to-one BlacklistedToken row makes this idempotent: a token blacklisted by a
    concurrent sign-out or refresh is skipped instead of failing the transaction.
    """
    token_ids = list(
        OutstandingToken.objects.filter(
            user_id=user.pk, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
        ).values_list("pk", flat=True)
    )
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token_id=token_id) for token_id in token_ids], ignore_conflicts=True
    )
    return len(token_ids)


@transaction.atomic
def user_sign_out_everywhere(*, user: User) -> None:
    """End every session, token and socket of `user`, on every device, this one included."""
    user_access_changed(user=user, sign_out=True)
    logger.info("%s signed out everywhere", user.username)


@transaction.atomic
def user_password_changed(*, user: User) -> None:
    """The password of `user` was just set and saved: end every other session and token.

    The caller keeps its own browser signed in by calling Django's
    `update_session_auth_hash` after this (the session hash depends on the generation).
    """
    user_access_changed(user=user, sign_out=True)
    logger.info("password of %s changed; other sessions ended", user.username)


def _check_may_manage_account(*, user: User, by: User | None, action: str) -> None:
    """Rules shared by deactivation and suspension; `by` None is the system itself."""
    if by is None:
        return
    if by.pk == user.pk:
        raise PermissionDenied(f"You cannot {action} your own account; ask another admin.")
    if user.is_superuser and not by.is_superuser:
        raise PermissionDenied(f"Only a superuser can {action} a superuser's account.")


@transaction.atomic
def user_set_active(*, user: User, is_active: bool, by: User | None) -> User:
    """Deactivate an account (it can no longer sign in anywhere) or reactivate it.

    Admins only, never on their own account. `by` None is the system itself.
    """
    if by is not None and not can_manage_users(by):
        raise PermissionDenied("Only admins can deactivate or reactivate accounts.")
    _check_may_manage_account(
        user=user, by=by, action="deactivate" if not is_active else "reactivate"
    )
    # Conditional, so of two admins making the same change at once only one bumps.
    changed = (
        User.objects.filter(pk=user.pk).exclude(is_active=is_active).update(is_active=is_active)
    )
    user.is_active = is_active
    if not changed:
        return user
    user_access_changed(user=user)
    logger.info(
        "%s %s by %s",
        user.username,
        "reactivated" if is_active else "deactivated",
        by.username if by is not None else "the system",
    )
    return user


class AccountSuspended(ValidationError):
    """The right password for an account that is suspended now.

    A ValidationError, so the sign-in forms (ours and the admin's), which call
    `authenticate()` from `clean()`, show the message instead of failing.
    """

    def __init__(self, *, user: User):
        self.until = user.suspended_until
        self.reason = user.suspension_reason
        super().__init__(suspension_message(user=user), code="account_suspended")


def suspension_message(*, user: User) -> str:
    """What a suspended person reads: until when, and why."""
    until = date_format(timezone.localtime(user.suspended_until), "j F Y, H:i T")
    message = f"Your account is suspended until {until}."
    if user.suspension_reason:
        message += f" Reason: {user.suspension_reason}"
        if not user.suspension_reason.endswith((".", "!", "?")):
            message += "."
    return message


def _check_may_suspend(*, user: User, by: User | None, action: str) -> None:
    if by is None:
        return
    if not is_moderator(by):
        raise PermissionDenied(f"Only moderators and admins can {action} accounts.")
    _check_may_manage_account(user=user, by=by, action=action)
    if not can_manage_users(by) and role_at_least(user.role, Role.MODERATOR):
        # Moderators look after members; moderators and admins answer to admins.
        raise PermissionDenied(
            f"Moderators can only {action} accounts below the moderator role; ask an admin."
        )


@transaction.atomic
def user_suspend(*, user: User, until: datetime, reason: str, by: User | None) -> User:
    """Keep `user` from signing in or taking part until `until`, for `reason`.

    Moderators may suspend accounts below the moderator role, admins any account but a
    superuser's (only superusers may), nobody their own. Every session, token, API key
    and socket of the person stops working at once (each checks `may_sign_in`), and
    works again when the suspension ends or is lifted. Suspending again replaces the
    end and the reason.
    """
    _check_may_suspend(user=user, by=by, action="suspend")
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    if until <= timezone.now():
        errors["until"] = ["Choose an end in the future."]
    if not reason:
        errors["reason"] = ["Say why, in a sentence the person will read."]
    elif len(reason) > MAX_SUSPENSION_REASON:
        errors["reason"] = [f"Keep the reason to {MAX_SUSPENSION_REASON} characters or fewer."]
    if errors:
        raise ValidationError(errors)
    User.objects.filter(pk=user.pk).update(suspended_until=until, suspension_reason=reason)
    user.suspended_until, user.suspension_reason = until, reason
    user_access_changed(user=user)
    logger.info(
        "%s suspended until %s by %s",
        user.username,
        until.isoformat(),
        by.username if by is not None else "the system",
    )
    return user


@transaction.atomic
def user_unsuspend(*, user: User, by: User | None) -> User:
    """Lift a suspension now; the same people may do it as may suspend. Harmless twice."""
    _check_may_suspend(user=user, by=by, action="lift the suspension of")
    if user.suspended_until is None and not user.suspension_reason:
        return user
    User.objects.filter(pk=user.pk).update(suspended_until=None, suspension_reason="")
    user.suspended_until, user.suspension_reason = None, ""
    user_access_changed(user=user)
    logger.info(
        "suspension of %s lifted by %s",
        user.username,
        by.username if by is not None else "the system",
    )
    return user


# --- JWT sessions ------------------------------------------------------------


class TokenInvalid(Exception):
    """A refresh token that cannot be used; the message says why, for the person."""

    def __init__(self, message: str, *, code: str = "token_not_valid"):
        super().__init__(message)
        self.code = code


TOKEN_EXPIRED = "Your session has expired. Sign in again."
TOKEN_NOT_VALID = "This refresh token is not valid. Sign in again."
TOKEN_USED = "This refresh token has already been used or was revoked. Sign in again."


def auth_tokens_issue(*, user: User) -> dict[str, str]:
    """A new access and refresh token pair for a user who just proved who they are."""
    refresh = refresh_token_for(user)
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
    """Trade a refresh token for a new pair; the old one can never be used again.

    Refused, with the reason, when the account is disabled or suspended, or the token
    was made before the password changed or the person signed out everywhere.
    """
    payload, used = _refresh_payload(refresh)
    user = User.objects.filter(pk=payload.get(jwt_settings.USER_ID_CLAIM)).first()
    if user is None or not user.is_active:
        raise TokenInvalid("This account is disabled or no longer exists.")
    if user.is_suspended:
        raise TokenInvalid(suspension_message(user=user), code="account_suspended")
    # Before the used check: after "sign out everywhere" the token is also blacklisted,
    # and "this session has ended" is the more useful answer.
    if not token_stamp_valid(payload, user):
        raise TokenInvalid(SESSION_ENDED)
    if used or not _blacklist(raw=refresh, payload=payload, user=user):
        raise TokenInvalid(TOKEN_USED)
    refreshed = refresh_token_for(user)
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

    def __init__(self, message: str, *, code: str = "api_key_not_valid"):
        super().__init__(message)
        self.code = code


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
    if api_key.user.is_suspended:
        raise ApiKeyRejected(suspension_message(user=api_key.user), code="account_suspended")

    now = timezone.now()
    stale = now - API_KEY_TOUCH_INTERVAL
    if api_key.last_used_at is None or api_key.last_used_at <= stale:
        ApiKey.objects.filter(pk=api_key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale)
        ).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


def user_from_api_key(raw_key: str) -> User | None:
    """The user an API key signs in (active, not suspended), or None. For callers outside DRF."""
    try:
        return api_key_authenticate(raw_key=raw_key).user
    except ApiKeyRejected:
        return None
