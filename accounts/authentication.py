"""DRF authentication: JWTs that end with the session, and API keys
(`Authorization: Api-Key lai_<prefix>_<secret>`)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework_simplejwt.authentication import JWTAuthentication

from .services import ApiKeyRejected, api_key_authenticate, suspension_message
from .tokens import SESSION_ENDED, token_stamp_valid


class StampedJWTAuthentication(JWTAuthentication):
    """simplejwt's Bearer authentication, refusing tokens the person can no longer use.

    A token stops working when its credential stamp (claim `cs`) no longer matches the
    user's (password changed, signed out everywhere) or while the account is suspended,
    so revoking access takes effect on the next request, not when the token expires.
    """

    def get_user(self, validated_token):
        user = super().get_user(validated_token)  # refuses unknown and inactive users
        if user.is_suspended:
            raise exceptions.AuthenticationFailed(
                suspension_message(user=user), code="account_suspended"
            )
        if not token_stamp_valid(validated_token, user):
            raise exceptions.AuthenticationFailed(SESSION_ENDED, code="token_not_valid")
        return user


class StampedJWTAuthenticationScheme(SimpleJWTScheme):
    """Describes StampedJWTAuthentication as the Bearer scheme (spectacular matches by class)."""

    target_class = "accounts.authentication.StampedJWTAuthentication"


KEYWORD = "Api-Key"


class ApiKeyAuthentication(BaseAuthentication):
    """Sets request.user to the key's owner and request.auth to the ApiKey row.

    Requests without an `Api-Key` authorization header are left to the other
    authenticators; a header with a bad, revoked or disabled key is refused
    with 401 rather than silently treated as anonymous.
    """

    keyword = KEYWORD

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the API key as `Authorization: Api-Key <key>`, with no spaces in the key.",
                code="bad_authorization_header",
            )
        try:
            raw_key = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(
                "This is not an API key.", code="api_key_not_valid"
            ) from exc
        try:
            api_key = api_key_authenticate(raw_key=raw_key)
        except ApiKeyRejected as exc:
            raise exceptions.AuthenticationFailed(str(exc), code=exc.code) from exc
        return api_key.user, api_key

    def authenticate_header(self, request) -> str:
        # Without this DRF would answer a refused key with 403 instead of 401.
        return f'{self.keyword} realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Describes the Api-Key scheme in the OpenAPI schema (drf-spectacular finds it by class)."""

    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`, with a key from POST /api/auth/api-keys.",
        }
