"""A person's standing: `GET /api/users/{username}/reputation` (the ledger),
`/badges` and `/privileges`. Public, like a Stack Overflow profile; an inactive or unknown
account is a 404. Lines and badges about items the reader may not see say nothing of
those items (see user_serializers).
"""

from __future__ import annotations

from django.db.models import Count
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import Pagination, error_responses

from .. import privileges
from ..badges import LEVELS
from ..selectors.reputation import ledger_lines
from ..selectors.targets import target_links
from ..selectors.users import badge_awards, person_find
from .errors import CommunityErrorsMixin
from .user_serializers import (
    BadgeAwardSerializer,
    BadgeCountsSerializer,
    PrivilegesSerializer,
    ReputationLineSerializer,
)

USERNAME = OpenApiParameter(
    "username",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The person's username (any case).",
)


def _person(username: str):
    person = person_find(username=username)
    if person is None:
        raise exceptions.NotFound("There is no such person.")
    return person


class _ExtrasPagination(Pagination):
    """The standard page, plus fields about the whole list (set by the view)."""

    extra_schema: dict = {}

    def get_paginated_response(self, data) -> Response:
        response = super().get_paginated_response(data)
        response.data.update(self.extras)
        return response

    def get_paginated_response_schema(self, schema: dict) -> dict:
        envelope = super().get_paginated_response_schema(schema)
        envelope["properties"].update(self.extra_schema)
        envelope["required"] = [*envelope.get("required", []), *self.extra_schema]
        return envelope


class LedgerPagination(_ExtrasPagination):
    extra_schema = {
        "reputation": {
            "type": "integer",
            "description": "The person's reputation now: the start value plus every line.",
        }
    }


class BadgePagination(_ExtrasPagination):
    extra_schema = {
        "counts": {
            "type": "object",
            "description": "How many awards of each level the person holds.",
            "properties": {level: {"type": "integer"} for level in LEVELS},
            "required": list(LEVELS),
        }
    }


class _PersonListApi(CommunityErrorsMixin, generics.ListAPIView):
    permission_classes = [AllowAny]
    filter_backends: list = []

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        context["links"] = self.links
        return context

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self.links = target_links(self.request.user, [(o.target_type, o.target_id) for o in page])
        return page


@extend_schema(
    tags=["people"],
    parameters=[USERNAME],
    summary="A person's reputation ledger",
    description="Every change of the person's reputation, newest first: votes, accepts, "
    "and the lines that undid them. `reputation` is the total now.",
    responses={200: ReputationLineSerializer(many=True), **error_responses(404)},
)
class UserReputationApi(_PersonListApi):
    serializer_class = ReputationLineSerializer
    pagination_class = LedgerPagination

    def get_queryset(self):
        self.person = _person(self.kwargs["username"])
        self.paginator.extras = {"reputation": self.person.reputation}
        return ledger_lines(person=self.person)


@extend_schema(
    tags=["people"],
    parameters=[USERNAME],
    summary="A person's badges",
    description="Every badge award, newest first. Per-item badges (a good answer) name the "
    "item when you may see it.",
    responses={200: BadgeAwardSerializer(many=True), **error_responses(404)},
)
class UserBadgesApi(_PersonListApi):
    serializer_class = BadgeAwardSerializer
    pagination_class = BadgePagination

    def get_queryset(self):
        person = _person(self.kwargs["username"])
        awards = badge_awards(person=person)
        counts = {level: 0 for level in LEVELS}
        counts.update(awards.order_by().values_list("level").annotate(n=Count("pk")))
        self.paginator.extras = {"counts": BadgeCountsSerializer(counts).data}
        return awards


@extend_schema(
    tags=["people"],
    parameters=[USERNAME],
    summary="What a person may do, and what it takes",
    responses={200: PrivilegesSerializer, **error_responses(404)},
)
class UserPrivilegesApi(CommunityErrorsMixin, APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request, username: str) -> Response:
        person = _person(username)
        body = {
            "username": person.username,
            "reputation": person.reputation,
            "privileges": {
                privilege.name: {
                    "granted": privileges.has_privilege(person, privilege),
                    "threshold": privilege.threshold,
                    "description": privilege.doing,
                }
                for privilege in privileges.ALL
            },
        }
        return Response(PrivilegesSerializer(body).data)


ROUTES = [
    ("users/<str:username>/reputation", UserReputationApi, "user-reputation"),
    ("users/<str:username>/badges", UserBadgesApi, "user-badges"),
    ("users/<str:username>/privileges", UserPrivilegesApi, "user-privileges"),
]
