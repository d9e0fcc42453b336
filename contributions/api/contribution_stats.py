"""Contribution tracking over REST: a person's contribution statistics
(`GET /api/users/{username}/contributions`, public like the rest of a profile: work on
non-public documents counts only when you ask about yourself), and turning an accepted
answer into a proposed change (`POST /api/answers/{id}/propose`)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import person_find
from config.api import error_responses

from ..proposals import frames
from ..proposals.from_answer import proposal_from_answer
from ..proposals.stats import contribution_stats
from .errors import ContributionsApi

USERNAME = OpenApiParameter(
    "username", OpenApiTypes.STR, OpenApiParameter.PATH, description="Any case."
)
ANSWER_ID = OpenApiParameter("answer_id", OpenApiTypes.INT, OpenApiParameter.PATH)


class ContributionStatsSerializer(serializers.Serializer):
    username = serializers.CharField()
    proposals_opened = serializers.IntegerField(help_text="Proposals opened, in any state.")
    proposals_merged = serializers.IntegerField()
    reviews_given = serializers.IntegerField()
    proposals_reviewed = serializers.IntegerField(help_text="Distinct proposals reviewed.")
    lines_written = serializers.IntegerField(help_text="Lines added by merged proposals.")
    edits = serializers.IntegerField(
        help_text="Committed revisions credited to the person (live, API, merges)."
    )
    characters_written = serializers.IntegerField(help_text="Characters those edits inserted.")
    documents_touched = serializers.IntegerField(
        help_text="Documents edited or with a merged proposal of theirs (author or co-author)."
    )
    public_only = serializers.BooleanField(
        help_text="True unless you ask about yourself: only work on public documents counts."
    )


class ProposalFromAnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    document_id = serializers.IntegerField()
    branch_id = serializers.IntegerField(allow_null=True)
    kind = serializers.CharField()
    title = serializers.CharField()
    state = serializers.CharField()
    author = serializers.CharField()
    url = serializers.CharField(help_text="The proposal's page.")
    origin = serializers.CharField(help_text='"answer:<id>".')
    credited = serializers.ListField(
        child=serializers.CharField(), help_text="Usernames credited beside the author."
    )
    created = serializers.BooleanField(
        help_text="False when the answer's proposal already in progress is answered."
    )


@extend_schema(tags=["people"], parameters=[USERNAME])
class UserContributionsApi(ContributionsApi):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="A person's contribution statistics",
        responses={200: ContributionStatsSerializer, **error_responses(404)},
    )
    def get(self, request: Request, username: str) -> Response:
        person = person_find(username=username)
        if person is None:
            raise exceptions.NotFound("There is no such person.")
        stats = contribution_stats(person=person, viewer=request.user)
        body = {"username": person.username, **stats.as_dict()}
        return Response(ContributionStatsSerializer(body).data)


@extend_schema(tags=["proposals"], parameters=[ANSWER_ID])
class AnswerProposeApi(ContributionsApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Propose an accepted answer for the question's document",
        description="Opens a proposal whose branch is the document with the answer at the "
        "end of the question's section (or under a new heading titled like the question), "
        "crediting the asker and the answerer. When the answer's proposal is already in "
        "progress, answers that one (200) instead of making a second. 409 when the answer "
        "is not the accepted one or the question is about no document.",
        request=None,
        responses={
            201: OpenApiResponse(ProposalFromAnswerSerializer, description="Created."),
            200: OpenApiResponse(ProposalFromAnswerSerializer, description="Already there."),
            **error_responses(400, 401, 404, 409),
        },
    )
    def post(self, request: Request, answer_id: int) -> Response:
        outcome = proposal_from_answer(user=request.user, answer_id=answer_id)
        proposal = outcome.proposal
        body = {
            **frames.summary(proposal),
            "origin": proposal.origin,
            "credited": list(proposal.credited.values_list("username", flat=True)),
            "created": outcome.created,
        }
        code = status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK
        return Response(ProposalFromAnswerSerializer(body).data, status=code)


ROUTES = [
    ("users/<str:username>/contributions", UserContributionsApi, "user-contributions"),
    ("answers/<int:answer_id>/propose", AnswerProposeApi, "answer-propose"),
]
