"""GET /api/search?q=&tag=&owner=&page=: ranked full-text search over readable documents."""

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

from ..models import Document
from ..search import document_search, normalise_query
from .serializers import UserRefSerializer


class SearchResultSerializer(serializers.ModelSerializer):
    snippet = serializers.CharField(
        read_only=True,
        help_text="HTML: the text around the matches, escaped, with the matches in <mark>. "
        "No other markup ever appears.",
    )
    rank = serializers.FloatField(read_only=True, help_text="Higher is a better match.")
    tags = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    owner = UserRefSerializer(read_only=True)

    class Meta:
        model = Document
        fields = ["id", "slug", "title", "snippet", "rank", "tags", "owner", "updated_at"]
        read_only_fields = fields


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        required=True,
        allow_blank=True,
        help_text="Words to find in titles, headings, text and tags. Quotes for a phrase, "
        "a leading minus to leave a word out (PostgreSQL).",
    )
    tag = serializers.CharField(required=False, allow_blank=True, help_text="A tag slug.")
    owner = serializers.CharField(required=False, allow_blank=True, help_text="A username.")

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
        summary="Search the documents you can read",
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
        results = document_search(
            user=request.user,
            query=data["q"],
            tag=data.get("tag") or None,
            owner=data.get("owner") or None,
        )
        page = self.paginate_queryset(results)
        return self.get_paginated_response(SearchResultSerializer(page, many=True).data)
