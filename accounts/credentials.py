"""What a live connection signed in with, and whether that still holds.

A socket authenticates once, with a JWT access token, an API key or the session cookie,
and may then stay open for hours. Whatever it signed in with is kept as a `Credential`:
its kind, the user, and the user's `credential_stamp` at that moment (a fingerprint of
the password and the session generation). It stops holding when the stamp moves
(password changed, signed out everywhere), the API key is revoked, or the account is
deactivated or suspended. JWTs carry the same stamp in their `cs` claim, so the REST API
applies the same rule to every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken

from .authentication import StampedJWTAuthentication
from .services import ApiKeyRejected, api_key_authenticate

if TYPE_CHECKING:
    from .models import User

API_KEY_PREFIX = "Api-Key "
_JWT = StampedJWTAuthentication()


@dataclass(frozen=True)
class Credential:
    kind: Literal["jwt", "api_key", "session"]
    user_id: int
    stamp: str  # the user's credential_stamp when the credential was checked
    api_key_id: int | None = None


def credential_from_token(token: str) -> tuple[User, Credential] | None:
    """The user and credential of a JWT access token or an API key, or None if refused.

    The same checks as the REST API's (accounts.authentication), so a token a request
    would be refused with never opens a socket.
    """
    if token.startswith(API_KEY_PREFIX):
        token = token[len(API_KEY_PREFIX) :]
    if token.startswith("lai_"):
        try:
            api_key = api_key_authenticate(raw_key=token)  # refuses disabled and suspended
        except ApiKeyRejected:
            return None
        user = api_key.user
        return user, Credential("api_key", user.pk, user.credential_stamp, api_key.pk)
    try:
        user = _JWT.get_user(_JWT.get_validated_token(token.encode()))
    except (InvalidToken, AuthenticationFailed):
        return None
    return user, Credential("jwt", user.pk, user.credential_stamp)


def credential_from_session(user: User | None) -> Credential | None:
    """The credential of a user the session cookie signed in (Django checked the session)."""
    if user is None or not user.is_authenticated or not user.may_sign_in:
        return None
    return Credential("session", user.pk, user.credential_stamp)


def credential_holds(credential: Credential, user: User | None, *, api_key_active: bool) -> bool:
    """Whether a credential checked earlier still signs `user` in (no query)."""
    return (
        user is not None
        and user.pk == credential.user_id
        and user.may_sign_in
        and user.credential_stamp == credential.stamp
        and (credential.kind != "api_key" or api_key_active)
    )
