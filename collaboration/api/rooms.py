"""Rooms over REST: a room, its message history, and posting, editing and deleting.

The same rules as the socket (docs/realtime-protocol.md, "Rooms"): signed-in users only
(401 otherwise); a room the user may not read answers 404 exactly like one that does not
exist; posting, editing and deleting that the user may not do answer 403 (`forbidden`).
Writes are throttled per user at WS_CHAT_RATE_PER_SECOND, the rate of document chat
(429 with Retry-After).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from config.api import ApiErrorSerializer, error_responses, query_int

from ..models import Room, RoomMessage
from ..realtime import wire
from ..selectors.live import room_message_frame
from ..selectors.rooms import (
    ROOM_MAX_PAGE_SIZE,
    ROOM_PAGE_SIZE,
    RoomAccess,
    room_get_readable,
    room_last_entry_id,
    room_messages_page,
)
from ..services.rooms import room_message_delete, room_message_edit, room_message_post
from . import room_serializers as s

ROOM_ID = OpenApiParameter(
    "room_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The room's id."
)
MESSAGE_ID = OpenApiParameter(
    "message_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The message's id."
)
NOT_FOUND = {
    404: OpenApiResponse(
        ApiErrorSerializer, description="No such room (or message), or not readable by you."
    )
}
REFUSED = {
    403: OpenApiResponse(
        ApiErrorSerializer,
        description="`forbidden`: not yours to edit or delete, or the room is closed "
        "(archived) or you may not post in it.",
    )
}
THROTTLED = {
    429: OpenApiResponse(
        ApiErrorSerializer,
        description="Too many messages: wait `retry_after` seconds (also the Retry-After "
        "header). The limit is that of document chat, per user.",
    )
}


class RoomChatThrottle(UserRateThrottle):
    """Per-user writes at document chat's rate (WS_CHAT_RATE_PER_SECOND), in the cache."""

    scope = "room_chat"

    def get_rate(self) -> str:
        return f"{settings.WS_CHAT_RATE_PER_SECOND}/s"


class RoomApi(APIView):
    permission_classes = [IsAuthenticated]

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request.method not in ("GET", "HEAD", "OPTIONS"):
            throttles.append(RoomChatThrottle())
        return throttles

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, Room.DoesNotExist):
            exc = exceptions.NotFound("There is no such room.")
        elif isinstance(exc, RoomMessage.DoesNotExist):
            exc = exceptions.NotFound("There is no such message.")
        elif isinstance(exc, DjangoPermissionDenied):
            exc = exceptions.PermissionDenied(str(exc), code="forbidden")
        return super().handle_exception(exc)

    def readable_room(self, room_id: int) -> tuple[Room, RoomAccess]:
        found = room_get_readable(user=self.request.user, room_id=room_id)
        if found is None:
            raise exceptions.NotFound("There is no such room.")
        return found


@extend_schema(tags=["rooms"])
class RoomDetailApi(RoomApi):
    @extend_schema(
        summary="A room and what you may do in it",
        parameters=[ROOM_ID],
        responses={200: s.RoomSerializer, **NOT_FOUND, **error_responses(401)},
    )
    def get(self, request: Request, room_id: int) -> Response:
        room, access = self.readable_room(room_id)
        body = {
            "id": room.pk,
            "title": room.title,
            "kind": room.kind,
            "is_public": room.is_public,
            "archived": room.archived_at is not None,
            "topic": wire.topic_name(wire.ROOM, room.pk),
            "can_post": access.can_post,
            "can_moderate": access.can_moderate,
            "last_message_id": room_last_entry_id(room_id=room.pk),
        }
        return Response(s.RoomSerializer(body).data)


@extend_schema(tags=["rooms"])
class RoomMessageListApi(RoomApi):
    @extend_schema(
        summary="A room's messages, newest page first",
        description=(
            "Messages as they are now (edited text; deleted ones as placeholders without"
            " text), oldest first within the page. By default the newest page; pass the"
            " answer's `before` as ?before= to scroll back. ?after= reads forward instead"
            " (the oldest page of newer messages), for a client catching up over REST;"
            " the socket's backlog (subscribe with `since`) also replays edits and"
            " deletions."
        ),
        parameters=[
            ROOM_ID,
            OpenApiParameter("before", int, description="Only messages with a smaller id."),
            OpenApiParameter(
                "after", int, description="Only messages with a larger id (not with before)."
            ),
            OpenApiParameter(
                "limit", int, description=f"1..{ROOM_MAX_PAGE_SIZE}, default {ROOM_PAGE_SIZE}."
            ),
        ],
        responses={200: s.RoomMessagePageSerializer, **NOT_FOUND, **error_responses(400, 401)},
    )
    def get(self, request: Request, room_id: int) -> Response:
        room, _access = self.readable_room(room_id)
        before = query_int(request, "before", minimum=1)
        after = query_int(request, "after", minimum=0)
        limit = query_int(request, "limit", minimum=1, maximum=ROOM_MAX_PAGE_SIZE)
        if before is not None and after is not None:
            raise exceptions.ValidationError({"after": ["Use either before or after, not both."]})
        page = room_messages_page(
            room_id=room.pk, before=before, after=after, limit=limit or ROOM_PAGE_SIZE
        )
        body = {
            "results": page.results,
            "has_more": page.has_more,
            "before": page.results[0]["id"] if page.results else None,
            "after": page.results[-1]["id"] if page.results else after,
        }
        return Response(s.RoomMessagePageSerializer(body).data)

    @extend_schema(
        summary="Post a message",
        description="Stored, then sent to every socket subscribed to the room (yours too).",
        parameters=[ROOM_ID],
        request=s.RoomMessageInputSerializer,
        responses={
            201: s.RoomMessageSerializer,
            **NOT_FOUND,
            **REFUSED,
            **THROTTLED,
            **error_responses(400, 401),
        },
    )
    def post(self, request: Request, room_id: int) -> Response:
        self.readable_room(room_id)
        data = s.RoomMessageInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        stored = room_message_post(
            room_id=room_id,
            user=request.user,
            message=data.validated_data["message"],
            message_type=data.validated_data["message_type"],
        )
        frame = room_message_frame(stored)
        return Response(s.RoomMessageSerializer(frame).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["rooms"])
class RoomMessageDetailApi(RoomApi):
    @extend_schema(
        summary="Edit your message",
        description="Only its author, and not in a closed (archived) room. Everyone in the"
        " room gets a `room_message_edited` frame.",
        parameters=[ROOM_ID, MESSAGE_ID],
        request=s.RoomMessageEditSerializer,
        responses={
            200: s.RoomMessageSerializer,
            **NOT_FOUND,
            **REFUSED,
            **THROTTLED,
            **error_responses(400, 401),
        },
    )
    def patch(self, request: Request, room_id: int, message_id: int) -> Response:
        self.readable_room(room_id)
        data = s.RoomMessageEditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        stored = room_message_edit(
            room_id=room_id,
            message_id=message_id,
            user=request.user,
            message=data.validated_data["message"],
            message_type=data.validated_data.get("message_type"),
        )
        return Response(s.RoomMessageSerializer(room_message_frame(stored)).data)

    @extend_schema(
        summary="Delete a message",
        description="Your own, or anyone's if you moderate the room (or the site). It stays"
        " in the history as a placeholder without text; everyone in the room gets a"
        " `room_message_deleted` frame. Deleting it again changes nothing.",
        parameters=[ROOM_ID, MESSAGE_ID],
        request=None,
        responses={
            204: OpenApiResponse(description="Deleted."),
            **NOT_FOUND,
            **REFUSED,
            **THROTTLED,
            **error_responses(401),
        },
    )
    def delete(self, request: Request, room_id: int, message_id: int) -> Response:
        self.readable_room(room_id)
        room_message_delete(room_id=room_id, message_id=message_id, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


ROUTES = [
    ("rooms/<int:room_id>", RoomDetailApi, "room-detail"),
    ("rooms/<int:room_id>/messages", RoomMessageListApi, "room-messages"),
    ("rooms/<int:room_id>/messages/<int:message_id>", RoomMessageDetailApi, "room-message"),
]
