"""Accounts API: sign-up, JWT sign-in and sign-out (everywhere too), the signed-in user's
profile, API keys, and accounts for moderators and admins (roles, suspension, activation).

Views only parse input, call one service or selector and render the result.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.lockout import LoginLocked, authenticate_with_lockout
from accounts.models import ApiKey, User
from accounts.permissions import IsAdminRole, IsModerator
from accounts.throttles import AuthRateThrottle
from config.api import error_responses

from . import serializers as s

TAG_AUTH = "auth"
TAG_KEYS = "api keys"
TAG_USERS = "users"


class LockedOut(exceptions.APIException):
    """429 for a locked sign-in; `wait` makes DRF send Retry-After."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self, locked: LoginLocked):
        super().__init__(locked.message, self.default_code)
        self.wait = locked.retry_after


class AccountSuspendedError(exceptions.APIException):
    """403 for the right password of a suspended account; the message says until when, why."""

    status_code = status.HTTP_403_FORBIDDEN
    default_code = "account_suspended"


class PublicAuthApi(APIView):
    """Base of the endpoints used before one is signed in.

    They ignore any credentials sent along: a stale Bearer token must not stop
    someone from signing in again, and without session authentication a
    leftover session cookie cannot trigger a CSRF refusal. They still name the
    Bearer scheme so a refused sign-in is a 401, not a 403.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, AuthRateThrottle]

    def get_authenticate_header(self, request):
        return 'Bearer realm="api"'


# --- Sign-up and sign-in ------------------------------------------------------------


class RegisterApi(PublicAuthApi):
    @extend_schema(
        tags=[TAG_AUTH],
        summary="Create an account",
        description="Usernames and email addresses are unique regardless of case. The password "
        "must pass the site's password rules. New accounts have the learner role.",
        request=s.RegisterInputSerializer,
        responses={201: s.UserSerializer, **error_responses(400, 415, 429)},
        auth=[],
    )
    def post(self, request):
        serializer = s.RegisterInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_create(**serializer.validated_data)
        return Response(s.UserSerializer(user).data, status=status.HTTP_201_CREATED)


class LoginApi(PublicAuthApi):
    @extend_schema(
        tags=[TAG_AUTH],
        summary="Sign in for a JWT pair",
        description=(
            "Send `email` (an email address or a username) or `username`, and `password`. "
            "After too many wrong passwords within 15 minutes, for one account (5) or from "
            "one client address across all accounts (50), sign-in to that account or from "
            "that address is refused for 15 minutes (all defaults) with 429 `locked_out` and "
            "a Retry-After header, even with the right password. Only wrong passwords count: "
            "successful sign-ins, however many at once, do not. "
            "The right password of a suspended account answers 403 "
            "`account_suspended`, with the end of the suspension and its reason in the message."
        ),
        request=s.LoginInputSerializer,
        responses={200: s.LoginOutputSerializer, **error_responses(400, 401, 403, 415, 429)},
        auth=[],
    )
    def post(self, request):
        serializer = s.LoginInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user = authenticate_with_lockout(
                request=request,
                identifier=serializer.validated_data["identifier"],
                password=serializer.validated_data["password"],
            )
        except LoginLocked as locked:
            raise LockedOut(locked) from locked
        except services.AccountSuspended as suspended:
            raise AccountSuspendedError(suspended.message) from suspended
        if user is None:
            raise exceptions.AuthenticationFailed(
                "The email address, username or password is not right.",
                code="invalid_credentials",
            )
        tokens = services.auth_tokens_issue(user=user)
        return Response(s.LoginOutputSerializer({**tokens, "user": user}).data)


class RefreshApi(PublicAuthApi):
    @extend_schema(
        tags=[TAG_AUTH],
        summary="Trade a refresh token for a new JWT pair",
        description="Each refresh token works once: the response carries a new one, and "
        "the one sent is revoked. Sending a used refresh token again answers 401, as does a "
        "token made before the password changed or a sign-out everywhere (`token_not_valid`), "
        "or one of a suspended account (`account_suspended`).",
        request=s.RefreshInputSerializer,
        responses={200: s.TokenPairSerializer, **error_responses(400, 401, 415, 429)},
        auth=[],
    )
    def post(self, request):
        serializer = s.RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            tokens = services.auth_token_refresh(refresh=serializer.validated_data["refresh"])
        except services.TokenInvalid as exc:
            raise exceptions.AuthenticationFailed(str(exc), code=exc.code) from exc
        return Response(s.TokenPairSerializer(tokens).data)


class LogoutApi(PublicAuthApi):
    # Signing out is not something to rate-limit tightly.
    throttle_classes = list(api_settings.DEFAULT_THROTTLE_CLASSES)

    @extend_schema(
        tags=[TAG_AUTH],
        summary="Sign out: revoke a refresh token",
        description="Access tokens already issued stay valid until they expire (minutes).",
        request=s.RefreshInputSerializer,
        responses={
            204: OpenApiResponse(description="Signed out."),
            **error_responses(400, 401, 415),
        },
        auth=[],
    )
    def post(self, request):
        serializer = s.RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.auth_token_revoke(refresh=serializer.validated_data["refresh"])
        except services.TokenInvalid as exc:
            raise exceptions.AuthenticationFailed(str(exc), code=exc.code) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=[TAG_AUTH],
        summary="Sign out everywhere",
        description="Ends every session of the signed-in user at once: every JWT (access "
        "and refresh, this request's included), every browser session and every open "
        "live connection. Sign in again afterwards. API keys keep working; revoke them "
        "separately.",
        request=None,
        responses={
            204: OpenApiResponse(description="Signed out everywhere."),
            **error_responses(401, 403),
        },
    )
    def post(self, request):
        services.user_sign_out_everywhere(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- The signed-in user -----------------------------------------------------------------


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=[TAG_AUTH],
        summary="The signed-in user's account",
        responses={200: s.UserSerializer, **error_responses(401)},
    )
    def get(self, request):
        return Response(s.UserSerializer(request.user).data)

    @extend_schema(
        tags=[TAG_AUTH],
        summary="Change the signed-in user's profile",
        description="Only `full_name`, `bio`, `expertise_areas` and `email` can be changed. "
        "Other fields (role, reputation, username, staff status...) are read-only: "
        "they are ignored if sent.",
        request=s.MeUpdateInputSerializer,
        responses={200: s.UserSerializer, **error_responses(400, 401, 403, 415)},
    )
    def patch(self, request):
        serializer = s.MeUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, **serializer.validated_data)
        return Response(s.UserSerializer(user).data)


# --- API keys -----------------------------------------------------------------------------


class ApiKeyListCreateApi(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.ApiKeySerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.api_key_list(user=self.request.user)

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request.method == "POST":
            throttles.append(AuthRateThrottle())
        return throttles

    @extend_schema(
        tags=[TAG_KEYS],
        summary="List your active API keys",
        description="The keys themselves are never shown again; `prefix` identifies each one.",
        responses={200: s.ApiKeySerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=[TAG_KEYS],
        summary="Create an API key",
        description="The response is the only time the key is shown. Send it as "
        "`Authorization: Api-Key <key>`. Requests authenticated by an API key cannot "
        "create keys.",
        request=s.ApiKeyCreateInputSerializer,
        responses={201: s.ApiKeyCreatedSerializer, **error_responses(400, 401, 403, 415, 429)},
    )
    def post(self, request, *args, **kwargs):
        if isinstance(request.auth, ApiKey):
            # A leaked key must not be able to mint keys that outlive its revocation.
            raise exceptions.PermissionDenied(
                "An API key cannot create API keys. Sign in with your password to create one."
            )
        serializer = s.ApiKeyCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        api_key, raw_key = services.api_key_create(
            user=request.user, name=serializer.validated_data["name"]
        )
        api_key.key = raw_key  # shown once, never stored
        return Response(s.ApiKeyCreatedSerializer(api_key).data, status=status.HTTP_201_CREATED)


class ApiKeyRevokeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=[TAG_KEYS],
        summary="Revoke an API key",
        description="The key stops working at once. Revoking a key twice is not an error.",
        responses={204: OpenApiResponse(description="Revoked."), **error_responses(401, 404)},
    )
    def delete(self, request, key_id: int):
        api_key = selectors.api_key_get(user=request.user, key_id=key_id)
        if api_key is None:
            raise exceptions.NotFound("You have no API key with this id.")
        services.api_key_revoke(api_key=api_key)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Users (moderators and admins) -------------------------------------------------------------


class UserListApi(generics.ListAPIView):
    permission_classes = [IsModerator]
    serializer_class = s.UserAdminListSerializer
    filter_backends: list = []

    def get_queryset(self):
        filters = s.UserListFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.user_list(**filters.validated_data)

    @extend_schema(
        tags=[TAG_USERS],
        summary="List accounts (moderators)",
        parameters=[s.UserListFilterSerializer],
        responses={
            200: s.UserAdminListSerializer(many=True),
            **error_responses(400, 401, 403, 404),
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class UserRoleApi(APIView):
    permission_classes = [IsAdminRole]

    @extend_schema(
        tags=[TAG_USERS],
        summary="Change an account's role (admins)",
        description="Moderators and admins become staff and join the Moderators or Admins "
        "group; other roles leave both. Admins cannot change their own role.",
        request=s.RoleInputSerializer,
        responses={200: s.UserAdminListSerializer, **error_responses(400, 401, 403, 404, 415)},
    )
    def post(self, request, user_id: int):
        serializer = s.RoleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_set_role(
            user=_user_or_404(user_id), role=serializer.validated_data["role"], by=request.user
        )
        return Response(s.UserAdminListSerializer(user).data)


def _user_or_404(user_id: int) -> User:
    user = selectors.user_get(user_id=user_id)
    if user is None:
        raise exceptions.NotFound("There is no account with this id.")
    return user


class UserSuspendApi(APIView):
    permission_classes = [IsModerator]

    @extend_schema(
        tags=[TAG_USERS],
        summary="Suspend an account until a given time (moderators)",
        description="Until `until` the person cannot sign in and every session, token, API "
        "key and live connection of theirs is refused; sign-in attempts are told the end "
        "and the `reason`. Moderators may suspend accounts below the moderator role, admins "
        "any account but a superuser's; nobody their own. Suspending again replaces the end "
        "and the reason.",
        request=s.SuspendInputSerializer,
        responses={200: s.UserAdminListSerializer, **error_responses(400, 401, 403, 404, 415)},
    )
    def post(self, request, user_id: int):
        serializer = s.SuspendInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_suspend(
            user=_user_or_404(user_id), by=request.user, **serializer.validated_data
        )
        return Response(s.UserAdminListSerializer(user).data)


class UserUnsuspendApi(APIView):
    permission_classes = [IsModerator]

    @extend_schema(
        tags=[TAG_USERS],
        summary="Lift an account's suspension (moderators)",
        description="The person may sign in again at once. The same people may lift a "
        "suspension as may impose it. Lifting when there is none is not an error.",
        request=None,
        responses={200: s.UserAdminListSerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request, user_id: int):
        user = services.user_unsuspend(user=_user_or_404(user_id), by=request.user)
        return Response(s.UserAdminListSerializer(user).data)


class UserActiveApi(APIView):
    permission_classes = [IsAdminRole]

    @extend_schema(
        tags=[TAG_USERS],
        summary="Deactivate or reactivate an account (admins)",
        description="A deactivated account cannot sign in, and its sessions, tokens, API "
        "keys and live connections stop working at once. Admins cannot change their own "
        "account, and only a superuser can change a superuser's.",
        request=s.ActiveInputSerializer,
        responses={200: s.UserAdminListSerializer, **error_responses(400, 401, 403, 404, 415)},
    )
    def post(self, request, user_id: int):
        serializer = s.ActiveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_set_active(
            user=_user_or_404(user_id),
            is_active=serializer.validated_data["is_active"],
            by=request.user,
        )
        return Response(s.UserAdminListSerializer(user).data)
