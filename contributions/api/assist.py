"""The writing assistant over HTTP: `GET /api/assist` says whether it is on; `POST
/api/documents/{ref}/assist` `{action: improve | explain, start, end, revision}` answers
a stream of server-sent events (`progress`, `delta`, then `done` or `error`; see
contributions.assist.service). Refusals come before the stream, as JSON errors: 404 when
the assistant is not set up (or the document is not readable), 429 past the hourly rate."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from collaboration.selectors import document_find, document_visible_queryset
from config.api import error_responses

from ..assist import config, prompts, service
from ..errors import NotFound
from .errors import ContributionsApi


class AssistInputSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=prompts.ACTIONS)
    start = serializers.IntegerField(min_value=0)
    end = serializers.IntegerField(min_value=0)
    revision = serializers.IntegerField(min_value=0)


class AssistStatusSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    actions = serializers.ListField(child=serializers.CharField())


@extend_schema(tags=["assist"])
class AssistStatusApi(ContributionsApi):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Whether the writing assistant is on", responses={200: AssistStatusSerializer}
    )
    def get(self, request: Request) -> Response:
        on = config.enabled()
        return Response({"enabled": on, "actions": list(prompts.ACTIONS) if on else []})


@extend_schema(
    tags=["assist"],
    parameters=[
        OpenApiParameter(
            "ref", OpenApiTypes.STR, OpenApiParameter.PATH, description="Document id or slug."
        )
    ],
)
class AssistApi(ContributionsApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Ask the writing assistant about a passage (a stream of server-sent events)",
        description="`improve` ends with a suggestion (suggestion mode) in `done.suggestion`; "
        "`explain` with the explanation in `done.text`.",
        request=AssistInputSerializer,
        responses={
            (200, "text/event-stream"): OpenApiResponse(OpenApiTypes.STR),
            **error_responses(400, 401, 404, 429),
        },
    )
    def post(self, request: Request, ref: str):
        if not config.enabled():
            raise NotFound("The writing assistant is not set up on this site.")
        document = document_find(ref=ref, queryset=document_visible_queryset(request.user))
        if document is None:
            raise NotFound("No such document, or you may not read it.")
        data = AssistInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            prepared = service.prepare(document=document, user=request.user, **data.validated_data)
        except service.RateLimited as exc:
            raise exceptions.Throttled(wait=exc.retry_after, detail=exc.message) from None
        response = StreamingHttpResponse(
            service.stream(prepared), content_type="text/event-stream; charset=utf-8"
        )
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # proxies: pass each event on at once
        return response


ROUTES = [
    ("assist", AssistStatusApi, "assist"),
    ("documents/<str:ref>/assist", AssistApi, "document-assist"),
]
