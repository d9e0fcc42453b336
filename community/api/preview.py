"""POST /api/preview: Markdown rendered exactly as a posted question or answer will be."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import error_responses

from ..rendering import render_post
from . import question_serializers as s


@extend_schema(tags=["questions"])
class PreviewApi(APIView):
    """Signed-in only (it costs a render), and no longer than a post may be."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Preview Markdown as a question or answer",
        request=s.PreviewInputSerializer,
        responses={200: s.PreviewSerializer, **error_responses(400, 401)},
    )
    def post(self, request: Request) -> Response:
        data = s.PreviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response({"html": str(render_post(data.validated_data["content"]))})


ROUTES = [("preview", PreviewApi, "preview")]
