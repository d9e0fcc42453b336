"""GET /api/search?q=&mode=&type=&tag=&owner=&page=: ranked search over the document
sections, questions and answers the caller may read (collaboration.semantic.retrieval)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import error_responses

from ..search import normalise_query
from ..semantic.retrieval import MODES, TYPES, search
from .serializers import UserRefSerializer


class SectionRefSerializer(serializers.Serializer):
    anchor = serializers.CharField(read_only=True, help_text="The heading's id in the page.")
    title = serializers.CharField(read_only=True)


class SearchResultSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=TYPES,
        read_only=True,
        help_text="section: a part of a document (or its whole text when it has no "
        "headings); question; answer.",
    )
    id = serializers.IntegerField(
        read_only=True, help_text="The document's id (sections), the question's or the answer's."
    )
    slug = serializers.CharField(
        read_only=True, allow_null=True, help_text="The document's slug (sections only)."
    )
    title = serializers.CharField(
        read_only=True, help_text="The document's title, or the question's (answers too)."
    )
    section = SectionRefSerializer(
        read_only=True, allow_null=True, help_text="The heading the result starts at, if any."
    )
    url = serializers.CharField(read_only=True, help_text="Where the result is on the site.")
    snippet = serializers.CharField(
        read_only=True,
        help_text="HTML: the text around the matches, escaped, with the matches in <mark>. "
        "No other markup ever appears.",
    )
    rank = serializers.FloatField(read_only=True, help_text="Higher is a better match.")
    tags = serializers.SerializerMethodField()
    owner = UserRefSerializer(
        read_only=True, allow_null=True, help_text="The document's owner, or the post's author."
    )
    updated_at = serializers.DateTimeField(read_only=True)

    def get_tags(self, hit) -> list[str]:
        return [tag.slug for tag in hit.tags]


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        required=True,
        allow_blank=True,
        help_text="What to look for: words, or a question in your own words. Quotes for a "
        "phrase, a leading minus to leave a word out (keyword matching, PostgreSQL).",
    )
    mode = serializers.ChoiceField(
        choices=MODES,
        required=False,
        default="hybrid",
        help_text="keyword: the words you typed; semantic: the meaning (embeddings); "
        "hybrid (default): both, and titles like your query, fused.",
    )
    type = serializers.ChoiceField(
        choices=TYPES,
        required=False,
        allow_blank=True,
        help_text="Only document sections, questions or answers.",
    )
    tag = serializers.CharField(required=False, allow_blank=True, help_text="A tag slug.")
    owner = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="A username: the document's owner or the post's author.",
    )

    def validate_q(self, value: str) -> str:
        value = normalise_query(value)
        if not value:
            raise serializers.ValidationError("Enter something to search for.")
        return value


class SearchApi(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = SearchResultSerializer
    filter_backends: list = []

    @extend_schema(
        summary="Search the documents, questions and answers you can read",
        description="The response also says which `mode` answered and, when search by "
        "meaning was unavailable and words were matched instead, a `notice` saying so.",
        parameters=[
            SearchQuerySerializer,
            OpenApiParameter("page", OpenApiTypes.INT, OpenApiParameter.QUERY),
            OpenApiParameter("page_size", OpenApiTypes.INT, OpenApiParameter.QUERY),
        ],
        responses={200: SearchResultSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = SearchQuerySerializer(data=request.query_params)
        if not params.is_valid():
            raise exceptions.ValidationError(params.errors)
        data = params.validated_data
        outcome = search(
            user=request.user,
            query=data["q"],
            mode=data["mode"],
            tag=data.get("tag") or None,
            owner=data.get("owner") or None,
            types=[data["type"]] if data.get("type") else None,
        )
        page = self.paginate_queryset(outcome.hits)
        response = self.get_paginated_response(SearchResultSerializer(page, many=True).data)
        response.data["mode"] = outcome.mode
        response.data["notice"] = outcome.notice
        return response
