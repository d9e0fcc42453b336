"""JWTs stamped with the user's credential stamp, so a password change or "sign out
everywhere" ends every token made before it without a lookup per token."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rest_framework_simplejwt.tokens import Token

    from .models import User

STAMP_CLAIM = "cs"
SESSION_ENDED = "This session has ended (password changed or signed out everywhere). Sign in again."


def refresh_token_for(user: User) -> RefreshToken:
    """A new refresh token carrying the user's credential stamp.

    Access tokens made from it (`.access_token`) copy every claim, the stamp included.
    """
    token = RefreshToken.for_user(user)
    token[STAMP_CLAIM] = user.credential_stamp
    # for_user listed the token before the claim was added; keep the outstanding-token
    # list holding the token the person actually has.
    OutstandingToken.objects.filter(jti=token[api_settings.JTI_CLAIM]).update(token=str(token))
    return token


def token_stamp_valid(claims: Token | Mapping[str, object], user: User) -> bool:
    """A JWT's `cs` claim against the user now. Tokens made before the claim existed
    hold only while the user never signed out everywhere (generation 0)."""
    stamp = claims.get(STAMP_CLAIM)
    if stamp is None:
        return user.session_generation == 0
    return stamp == user.credential_stamp
