"""Git over REST: releases (tags) of a document, exporting a revision as Markdown, and
importing uploads as documents. Views are thin: they parse, call contributions.git, and
render. A document the user may not read answers 404 like one that does not exist."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response

from collaboration.models import Document
from collaboration.selectors import document_find, document_visible_queryset
from config.api import error_responses

from ..errors import (
    ImportRefused,
)
from ..git import exporting, importing
from ..git.sync import release_create
from ..models import Release
from . import git_serializers as s
from .errors import ContributionsApi

DOCUMENT_REF = OpenApiParameter(
    "ref", OpenApiTypes.STR, OpenApiParameter.PATH, description="The document's id or slug."
)


def _readable(request: Request, ref: str) -> Document:
    document = document_find(ref=ref, queryset=document_visible_queryset(request.user))
    if document is None:
        raise exceptions.NotFound("No such document, or you may not read it.")
    return document


@extend_schema(tags=["git"], parameters=[DOCUMENT_REF])
class ReleaseListCreateApi(ContributionsApi):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        summary="Releases (Git tags) of a document, newest first",
        responses={200: s.ReleaseSerializer(many=True), **error_responses(404)},
    )
    def get(self, request: Request, ref: str) -> Response:
        document = _readable(request, ref)
        releases = Release.objects.filter(document=document).select_related("created_by")
        return Response(s.ReleaseSerializer(releases, many=True).data)

    @extend_schema(
        summary="Cut a release: tag the document's current text (editors)",
        description="Brings the repository up to date (every revision), then tags the head: "
        "an annotated tag when `message` is given, else a lightweight one.",
        request=s.ReleaseCreateSerializer,
        responses={201: s.ReleaseSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, ref: str) -> Response:
        document = _readable(request, ref)
        data = s.ReleaseCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        release = release_create(
            document=document,
            user=request.user,
            name=data.validated_data["name"],
            message=data.validated_data["message"],
        )
        return Response(s.ReleaseSerializer(release).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["git"], parameters=[DOCUMENT_REF])
class ExportMarkdownApi(ContributionsApi):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        summary="A revision of the document as a Markdown file (download)",
        parameters=[s.ExportQuerySerializer],
        responses={
            (200, "text/markdown"): OpenApiResponse(
                OpenApiTypes.STR, description="The text, with Content-Disposition: attachment."
            ),
            **error_responses(400, 404),
        },
    )
    def get(self, request: Request, ref: str) -> HttpResponse:
        document = _readable(request, ref)
        query = s.ExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filename, text = exporting.markdown_at(
            document=document, revision=query.validated_data.get("revision")
        )
        response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


@extend_schema(tags=["git"])
class ImportApi(ContributionsApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Import a Markdown file or a zipped Git repository as documents",
        description="`content_base64` holds the file: a .md file (one document), or a .zip of "
        "Markdown files (one document each) or of a Git repository (each Markdown file a "
        "document, each commit that changed it a revision, credited to the account whose "
        "email matches the commit's author, else to you). Nothing is created if any part "
        "is refused (not UTF-8, too large, unsafe paths).",
        request=s.ImportInputSerializer,
        responses={201: s.ImportResultSerializer, **error_responses(400, 401, 415)},
    )
    def post(self, request: Request) -> Response:
        data = s.ImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        try:
            files = importing.read_upload(name=fields["filename"], data=fields["content_base64"])
            documents = importing.import_files(
                owner=request.user, files=files, visibility=fields["visibility"]
            )
        except ImportRefused as exc:  # the file is what the page calls "file"
            raise exceptions.ValidationError({"content_base64": [exc.message]}) from None
        body = s.ImportResultSerializer({"documents": documents}).data
        return Response(body, status=status.HTTP_201_CREATED)


ROUTES = [
    ("documents/<str:ref>/releases", ReleaseListCreateApi, "document-releases"),
    ("documents/<str:ref>/export", ExportMarkdownApi, "document-export"),
    ("imports", ImportApi, "imports"),
]
