"""Checks over REST: check any Markdown now (`POST /api/checks`; code blocks are parsed but
never run in a request), and a document's stored runs (`GET/POST
/api/documents/{ref}/checks`; POST queues a run of the current revision). A document the
person may not read answers 404 like one that does not exist; readers who may not edit
get 403 on POST."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response

from collaboration.models import Document
from collaboration.selectors import document_find, document_visible_queryset
from config.api import error_responses

from ..checks import WEIGHTS, run_checks, selectors
from ..checks.context import context_for
from ..tasks.checks import request_document_check
from . import check_serializers as s
from .errors import ContributionsApi

DOCUMENT_REF = OpenApiParameter(
    "ref", OpenApiTypes.STR, OpenApiParameter.PATH, description="The document's id or slug."
)


def _readable(request: Request, ref: str) -> Document:
    document = document_find(ref=ref, queryset=document_visible_queryset(request.user))
    if document is None:
        raise exceptions.NotFound("No such document, or you may not read it.")
    return document


@extend_schema(tags=["checks"])
class CheckMarkdownApi(ContributionsApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Check Markdown now: structure, links, math, readability, spelling, code",
        description="Every check runs except running code: ```python run blocks answer "
        "`not_run` (they run on the sandbox worker, for stored documents). Links to other "
        "documents resolve among those you may read.",
        request=s.CheckMarkdownInputSerializer,
        responses={200: s.CheckReportSerializer, **error_responses(400, 401, 404)},
    )
    def post(self, request: Request) -> Response:
        data = s.CheckMarkdownInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ref = data.validated_data.get("document") or ""
        document = _readable(request, ref) if ref else None
        context = context_for(reader=request.user, document=document)
        report = run_checks(data.validated_data["markdown"], context=context)
        return Response(s.CheckReportSerializer({**report.as_dict(), "weights": WEIGHTS}).data)


def _document_checks(document: Document) -> dict:
    history = selectors.run_history(document=document)
    return {
        "latest": history[0] if history else None,
        "history": history,
        "blocks": selectors.block_badges(document=document),
        "weights": WEIGHTS,
    }


@extend_schema(tags=["checks"], parameters=[DOCUMENT_REF])
class DocumentChecksApi(ContributionsApi):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        summary="A document's check runs (latest first) and its runnable blocks' verdicts",
        responses={200: s.DocumentChecksSerializer, **error_responses(404)},
    )
    def get(self, request: Request, ref: str) -> Response:
        document = _readable(request, ref)
        return Response(s.DocumentChecksSerializer(_document_checks(document)).data)

    @extend_schema(
        summary="Queue a check run of the document's current revision (editors)",
        description="The same revision again answers its stored run (200). A new run is "
        "queued (202) at most once per CHECKS_DEBOUNCE_SECONDS; a request meanwhile joins "
        "the queued run, which checks the newest revision when it starts.",
        request=None,
        responses={
            202: OpenApiResponse(s.CheckRunSerializer, description="Queued."),
            200: OpenApiResponse(s.CheckRunSerializer, description="Stored or already queued."),
            **error_responses(401, 403, 404),
        },
    )
    def post(self, request: Request, ref: str) -> Response:
        document = _readable(request, ref)
        run, queued = request_document_check(document=document, user=request.user)
        code = status.HTTP_202_ACCEPTED if queued else status.HTTP_200_OK
        return Response(s.CheckRunSerializer(run).data, status=code)


ROUTES = [
    ("checks", CheckMarkdownApi, "checks"),
    ("documents/<str:ref>/checks", DocumentChecksApi, "document-checks"),
]
