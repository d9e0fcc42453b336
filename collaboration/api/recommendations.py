"""GET /api/recommendations: documents recommended to the signed-in user, with reasons."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import error_responses

from ..models import Document
from ..recommendations import recommend_documents

MAX_LIMIT = 50


class RecommendedDocumentSerializer(serializers.ModelSerializer):
    tags = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = Document
        fields = ["id", "slug", "title", "tags", "updated_at"]
        read_only_fields = fields


class RecommendationSerializer(serializers.Serializer):
    document = RecommendedDocumentSerializer(read_only=True)
    score = serializers.FloatField(read_only=True, help_text="Higher is a better match.")
    reason = serializers.CharField(
        read_only=True,
        help_text='Why, in a few words: "Because you know Attention", "Because you read '
        'Backpropagation", "Readers of Gradient descent also read this", "Popular this week".',
    )


class RecommendationQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_LIMIT, default=10, help_text="At most 50."
    )


class RecommendationListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["documents"],
        summary="Documents recommended for you",
        description="Ranked from your expertise areas, the tags of what you read and edited, "
        "and what people who read the same documents read. Only documents you can read; "
        "never your own or ones you read in the last 30 days.",
        parameters=[RecommendationQuerySerializer],
        responses={200: RecommendationSerializer(many=True), **error_responses(400, 401)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = RecommendationQuerySerializer(data=request.query_params)
        if not params.is_valid():
            raise exceptions.ValidationError(params.errors)
        recommendations = recommend_documents(
            user=request.user, limit=params.validated_data["limit"]
        )
        return Response(RecommendationSerializer(recommendations, many=True).data)
