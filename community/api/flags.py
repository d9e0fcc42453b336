"""Flags and moderation over the API.

- `POST /api/flags`: anyone signed in flags an item they can see (404 for one they cannot,
  400 for their own, 409 for a second flag on the same item).
- `GET /api/flags?status=open`: the moderation queue, one entry per flagged item.
- `POST /api/moderation/actions`: a moderator acts on an item (the same services as the
  admin's actions). `GET /api/moderation/log`: the audit log.

Non-moderators get 403 on the moderator endpoints, like the accounts API's moderator
endpoints (`/api/auth/users`).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsModerator
from collaboration.permissions import is_moderator
from config.api import error_responses

from ..selectors import moderation as selectors
from ..services import moderation as services
from . import flag_serializers as s
from .errors import CommunityErrorsMixin

TAG = "moderation"
MODERATORS_ONLY = "This needs the moderator role or a higher one."


@extend_schema(tags=[TAG])
class FlagListCreateApi(CommunityErrorsMixin, generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.FlagGroupSerializer
    filter_backends: list = []

    @extend_schema(
        summary="The moderation queue: flagged items with their flags (moderators)",
        description="One entry per flagged item, the items with the most flags first, then "
        "those waiting longest. `status` picks which flags count (default `open`).",
        parameters=[s.FlagQueueFilterSerializer],
        responses={200: s.FlagGroupSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        if not is_moderator(request.user):
            raise exceptions.PermissionDenied(MODERATORS_ONLY)
        filters = s.FlagQueueFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data["status"]
        flag_status = None if wanted == "all" else wanted
        page = self.paginate_queryset(selectors.flag_queue(status=flag_status))
        groups = selectors.flag_groups(page, status=flag_status)
        return self.get_paginated_response(s.FlagGroupSerializer(groups, many=True).data)

    @extend_schema(
        summary="Flag a question, answer or comment",
        description="Once per item and person; not your own posts. When "
        "`SPAM_FLAGS_TO_HIDE` (3) people flag an item as spam it is hidden until a "
        "moderator decides.",
        request=s.FlagCreateInputSerializer,
        responses={
            201: s.FlagSerializer,
            **error_responses(400, 401, 403, 404, 409, 415),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.FlagCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        flag = services.flag_create(user=request.user, **data.validated_data)
        return Response(s.FlagSerializer(flag).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=[TAG])
class ModerationActionCreateApi(CommunityErrorsMixin, generics.GenericAPIView):
    permission_classes = [IsModerator]
    serializer_class = s.ModerationDecisionSerializer

    @extend_schema(
        summary="Act on a flagged or reported item (moderators)",
        description="`dismiss` the flags (an item they hid is shown again), `hide`/`unhide`, "
        "`delete`/`restore` (soft), `lock`/`unlock`, `warn` the author (they read the note "
        "on their profile), `suspend` the author for `days`. Every action writes an audit "
        "row; every action but dismiss marks the item's open flags as acted upon. 409 when "
        "the item is already in that state.",
        request=s.ModerationActionInputSerializer,
        responses={
            201: s.ModerationDecisionSerializer,
            **error_responses(400, 401, 403, 404, 409, 415),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.ModerationActionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decision = services.moderation_act(moderator=request.user, **data.validated_data)
        return Response(
            s.ModerationDecisionSerializer(decision).data, status=status.HTTP_201_CREATED
        )


@extend_schema(tags=[TAG])
class ModerationLogApi(CommunityErrorsMixin, generics.GenericAPIView):
    permission_classes = [IsModerator]
    serializer_class = s.ModerationActionSerializer
    filter_backends: list = []

    @extend_schema(
        summary="The audit log of moderator actions, newest first (moderators)",
        parameters=[s.ModerationLogFilterSerializer],
        responses={200: s.ModerationActionSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        filters = s.ModerationLogFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        log = selectors.moderation_log(
            action=f.get("action"),
            target_type=f.get("target_type"),
            target_id=f.get("target_id"),
            target_user_id=f.get("target_user"),
            moderator_id=f.get("moderator"),
        )
        page = self.paginate_queryset(log)
        return self.get_paginated_response(s.ModerationActionSerializer(page, many=True).data)


ROUTES = [
    ("flags", FlagListCreateApi, "flags"),
    ("moderation/actions", ModerationActionCreateApi, "moderation-actions"),
    ("moderation/log", ModerationLogApi, "moderation-log"),
]
