"""Suggestions over REST (suggestion mode): a document's suggestions, suggesting a change,
accepting or rejecting one, and all of a person's at once. Views parse, call
contributions.proposals.suggestions and render. A document or suggestion the person may not
read answers 404 like one that does not exist; readers who may not edit the document may
suggest and withdraw their own, and get 403 on accepting."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response

from collaboration.models import Document
from collaboration.selectors import document_find, document_visible_queryset
from config.api import Pagination, error_responses

from ..errors import NotFound
from ..proposals import lifecycle, suggestions
from . import suggestion_serializers as s
from .errors import ContributionsApi

DOCUMENT_REF = OpenApiParameter(
    "ref", OpenApiTypes.STR, OpenApiParameter.PATH, description="The document's id or slug."
)
SUGGESTION_ID = OpenApiParameter("suggestion_id", OpenApiTypes.INT, OpenApiParameter.PATH)
# "id": drf-spectacular names the route's `pk` so (SCHEMA_COERCE_PATH_PK).
PROPOSAL_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="A suggestions proposal."
)
STATE = OpenApiParameter(
    "state",
    OpenApiTypes.STR,
    enum=list(suggestions.STATE_FILTERS),
    description="Which suggestions (default: pending).",
)


def _readable_document(request: Request, ref: str) -> Document:
    document = document_find(ref=ref, queryset=document_visible_queryset(request.user))
    if document is None:
        raise NotFound("No such document, or you may not read it.")
    return document


def _one(suggestion, code: int = status.HTTP_200_OK) -> Response:
    return Response(s.SuggestionSerializer(suggestion).data, status=code)


@extend_schema(tags=["suggestions"], parameters=[DOCUMENT_REF])
class DocumentSuggestionsApi(ContributionsApi):
    permission_classes = [IsAuthenticatedOrReadOnly]
    pagination_class = Pagination  # (also what the schema describes the list with)

    @extend_schema(
        summary="A document's suggestions, in text order (pending ones by default)",
        description="Pending suggestions are those of open proposals, with their range in "
        "the current text (`revision`).",
        parameters=[STATE],
        responses={200: s.SuggestionSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request: Request, ref: str) -> Response:
        document = _readable_document(request, ref)
        query = s.SuggestionFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = suggestions.suggestion_list(
            document=document, user=request.user, state=query.validated_data["state"]
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(found, request, view=self)
        return paginator.get_paginated_response(s.SuggestionSerializer(page, many=True).data)

    @extend_schema(
        summary="Suggest replacing document[start:end] by text (any signed-in reader)",
        description="The range is in the text of `revision` and is moved to the current "
        "text. The suggestion joins your open suggestions proposal on the document (made "
        "when you have none). An edit at the edge of one of your pending suggestions "
        "extends it (200) rather than adding one (201); with `replaces`, that suggestion "
        "becomes this range and text (200). 409 `revision_too_old` when the "
        "revision is older than the kept history, 409 `outdated` when someone edited the "
        "passage meanwhile.",
        request=s.SuggestionCreateSerializer,
        responses={
            201: OpenApiResponse(s.SuggestionSerializer, description="A new suggestion."),
            200: OpenApiResponse(s.SuggestionSerializer, description="One of yours, extended."),
            **error_responses(400, 401, 403, 404, 409),
        },
    )
    def post(self, request: Request, ref: str) -> Response:
        document = _readable_document(request, ref)
        data = s.SuggestionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        suggestion, created = suggestions.suggestion_create(
            document=document,
            user=request.user,
            start=values["start"],
            end=values["end"],
            text=values["text"],
            revision=values["revision"],
            replaces=values.get("replaces"),
        )
        return _one(suggestion, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class _SuggestionAction(ContributionsApi):
    permission_classes = [IsAuthenticated]


@extend_schema(tags=["suggestions"], parameters=[SUGGESTION_ID])
class SuggestionAcceptApi(_SuggestionAction):
    @extend_schema(
        summary="Accept: commit the replacement, credited to its author (editors)",
        description="One revision with source `suggestion`, authored by the suggester. "
        "409 `outdated` when the passage was edited since (it is then marked outdated).",
        request=None,
        responses={200: s.SuggestionSerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request: Request, suggestion_id: int) -> Response:
        suggestion = suggestions.suggestion_find(user=request.user, suggestion_id=suggestion_id)
        return _one(suggestions.suggestion_accept(suggestion=suggestion, user=request.user))


@extend_schema(tags=["suggestions"], parameters=[SUGGESTION_ID])
class SuggestionRejectApi(_SuggestionAction):
    @extend_schema(
        summary="Reject (editors), or withdraw your own",
        request=None,
        responses={200: s.SuggestionSerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request: Request, suggestion_id: int) -> Response:
        suggestion = suggestions.suggestion_find(user=request.user, suggestion_id=suggestion_id)
        return _one(suggestions.suggestion_reject(suggestion=suggestion, user=request.user))


def _decided(result: suggestions.Decided) -> Response:
    return Response(s.DecidedSerializer(result).data)


@extend_schema(tags=["suggestions"], parameters=[PROPOSAL_ID])
class SuggestionsAcceptAllApi(_SuggestionAction):
    @extend_schema(
        summary="Accept every pending suggestion of a suggestions proposal (editors)",
        description="Each becomes its own revision, in text order; those whose passage "
        "was edited meanwhile are marked outdated instead (counted in `outdated`).",
        request=None,
        responses={200: s.DecidedSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        proposal = lifecycle.find(user=request.user, proposal_id=pk)
        return _decided(suggestions.accept_all(proposal=proposal, user=request.user))


@extend_schema(tags=["suggestions"], parameters=[PROPOSAL_ID])
class SuggestionsRejectAllApi(_SuggestionAction):
    @extend_schema(
        summary="Reject every pending suggestion of a suggestions proposal (editors), or "
        "withdraw all of yours",
        request=None,
        responses={200: s.DecidedSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        proposal = lifecycle.find(user=request.user, proposal_id=pk)
        return _decided(suggestions.reject_all(proposal=proposal, user=request.user))


ROUTES = [
    ("documents/<str:ref>/suggestions", DocumentSuggestionsApi, "document-suggestions"),
    ("suggestions/<int:suggestion_id>/accept", SuggestionAcceptApi, "suggestion-accept"),
    ("suggestions/<int:suggestion_id>/reject", SuggestionRejectApi, "suggestion-reject"),
    (
        "proposals/<int:pk>/suggestions/accept-all",
        SuggestionsAcceptAllApi,
        "suggestions-accept-all",
    ),
    (
        "proposals/<int:pk>/suggestions/reject-all",
        SuggestionsRejectAllApi,
        "suggestions-reject-all",
    ),
]
