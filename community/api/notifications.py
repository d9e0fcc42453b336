"""Notifications over REST: the inbox with its unread count, marking read, how each kind
reaches you (live, email at once, daily digest), and what you watch.

Everything here is about the signed-in person only: another person's notification is a
404 like one that does not exist. The same notifications arrive live as `notification`
frames on the user's topic, with the same ids.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import error_responses

from ..models import WatchTarget
from ..selectors import notifications as selectors
from ..services import notifications as services
from ..services import watches
from . import notification_serializers as s
from .errors import CommunityErrorsMixin

NOTIFICATION_ID = OpenApiParameter("notification_id", OpenApiTypes.INT, OpenApiParameter.PATH)


def _valid(serializer_class, data) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise exceptions.ValidationError(serializer.errors)
    return serializer.validated_data


class _Mine(CommunityErrorsMixin, APIView):
    permission_classes = [IsAuthenticated]


@extend_schema(tags=["notifications"])
class NotificationListApi(CommunityErrorsMixin, GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.NotificationSerializer
    filter_backends: list = []

    @extend_schema(
        summary="Your notifications, newest first, with your unread count",
        parameters=[s.NotificationQuerySerializer],
        responses={200: s.NotificationPageSerializer, **error_responses(400, 401)},
    )
    def get(self, request: Request) -> Response:
        query = _valid(s.NotificationQuerySerializer, request.query_params)
        rows = selectors.inbox(
            user=request.user, unread=query["unread"], kind=query.get("kind") or None
        )
        page = self.paginate_queryset(rows)
        response = self.get_paginated_response(s.NotificationSerializer(page, many=True).data)
        response.data["unread_count"] = selectors.unread_count(request.user)
        return response


@extend_schema(tags=["notifications"])
class NotificationReadApi(_Mine):
    @extend_schema(
        summary="Mark one notification read",
        parameters=[NOTIFICATION_ID],
        request=None,
        responses={200: s.ReadSerializer, **error_responses(401, 404)},
    )
    def post(self, request: Request, notification_id: int) -> Response:
        notification = services.mark_read(user=request.user, notification_id=notification_id)
        return Response(
            {
                "notification": s.NotificationSerializer(notification).data,
                "unread_count": selectors.unread_count(request.user),
            }
        )


@extend_schema(tags=["notifications"])
class NotificationReadAllApi(_Mine):
    @extend_schema(
        summary="Mark all your notifications read (up to `before_id` when given)",
        request=s.ReadAllInputSerializer,
        responses={200: s.ReadAllSerializer, **error_responses(400, 401)},
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.ReadAllInputSerializer, request.data)
        marked = services.mark_all_read(user=request.user, before_id=data.get("before_id"))
        return Response({"marked": marked, "unread_count": selectors.unread_count(request.user)})


def _preferences(user) -> list[dict]:
    return s.PreferenceSerializer(selectors.preferences(user), many=True).data


@extend_schema(tags=["notifications"])
class NotificationPreferencesApi(_Mine):
    @extend_schema(
        summary="How each kind of notification reaches you",
        responses={200: s.PreferenceSerializer(many=True), **error_responses(401)},
    )
    def get(self, request: Request) -> Response:
        return Response(_preferences(request.user))

    @extend_schema(
        summary="Change how some kinds reach you (a partial map)",
        request=s.PreferencesInputSerializer,
        responses={200: s.PreferenceSerializer(many=True), **error_responses(400, 401)},
    )
    def put(self, request: Request) -> Response:
        data = _valid(s.PreferencesInputSerializer, request.data)
        services.preferences_update(user=request.user, changes=data["deliveries"])
        return Response(_preferences(request.user))


def _watch_list(user) -> list[dict]:
    return [
        {
            "target_type": item.watch.target_type,
            "target_id": item.watch.document_id or item.watch.tag_id or item.watch.question_id,
            "tag": item.watch.tag.slug if item.watch.tag_id else None,
            "title": item.title,
            "url": item.url,
            "level": item.watch.level,
            "unread": item.unread,
        }
        for item in selectors.watch_list(user)
    ]


def _target(request: Request, data: dict):
    if data["target_type"] == WatchTarget.TAG:
        ref = data.get("tag") or data.get("target_id")
    else:
        ref = data.get("target_id")
    return watches.watch_target(request.user, data["target_type"], ref)


@extend_schema(tags=["notifications"])
class WatchesApi(_Mine):
    @extend_schema(
        summary="What you watch, track or muted, with unread counts",
        responses={200: s.WatchSerializer(many=True), **error_responses(401)},
    )
    def get(self, request: Request) -> Response:
        return Response(s.WatchSerializer(_watch_list(request.user), many=True).data)

    @extend_schema(
        summary="Set your watch level on a document, tag or question",
        request=s.WatchInputSerializer,
        responses={200: s.WatchSerializer(many=True), **error_responses(400, 401, 404)},
    )
    def put(self, request: Request) -> Response:
        data = _valid(s.WatchInputSerializer, request.data)
        watches.watch_set(user=request.user, target=_target(request, data), level=data["level"])
        return Response(s.WatchSerializer(_watch_list(request.user), many=True).data)

    @extend_schema(
        summary="Back to normal on a document, tag or question",
        parameters=[s.WatchQuerySerializer],
        responses={200: s.WatchSerializer(many=True), **error_responses(400, 401, 404)},
    )
    def delete(self, request: Request) -> Response:
        data = _valid(s.WatchQuerySerializer, request.query_params)
        watches.watch_clear(user=request.user, target=_target(request, data))
        return Response(s.WatchSerializer(_watch_list(request.user), many=True).data)


ROUTES = [
    ("notifications", NotificationListApi, "notification-list"),
    ("notifications/<int:notification_id>/read", NotificationReadApi, "notification-read"),
    ("notifications/read-all", NotificationReadAllApi, "notification-read-all"),
    ("notifications/preferences", NotificationPreferencesApi, "notification-preferences"),
    ("watches", WatchesApi, "watches"),
]
