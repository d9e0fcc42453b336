"""Votes: `POST /api/{questions|answers|comments}/{id}/vote` with `{"value": 1 | -1 | 0}`.

Answers 200 `{target_type, target_id, score, my_vote}`. The rules (own posts, privileges,
locked or deleted posts, reputation) are `community.services.votes`'; refusals come back as
the project's error body (403 `insufficient_reputation` carries `error.threshold`).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import ApiErrorSerializer, error_responses

from ..models import TargetType
from ..services import votes
from .errors import CommunityErrorsMixin
from .vote_serializers import VoteInputSerializer, VoteResultSerializer

VOTE_ERRORS = {
    **error_responses(400, 401, 404),
    403: OpenApiResponse(
        ApiErrorSerializer,
        description="Your own post (`forbidden`), or a right you do not have yet: "
        "`insufficient_reputation` with the reputation needed in `error.threshold`.",
    ),
    409: OpenApiResponse(
        ApiErrorSerializer, description="The post is locked, deleted or hidden: no votes."
    ),
}


class _VoteApi(CommunityErrorsMixin, APIView):
    permission_classes = [IsAuthenticated]
    target_type: str
    id_kwarg: str

    def post(self, request: Request, **kwargs: int) -> Response:
        data = VoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = votes.vote(
            user=request.user,
            target_type=self.target_type,
            target_id=kwargs[self.id_kwarg],
            value=data.validated_data["value"],
        )
        return Response(VoteResultSerializer(result).data)


def _schema(kind: str, more: str = ""):
    return extend_schema(
        tags=["votes"],
        summary=f"Vote on {kind}",
        description="One vote per person per item: voting again replaces your vote, 0 takes "
        f"it back, the same value again changes nothing. Not on your own posts.{more}",
        request=VoteInputSerializer,
        responses={200: VoteResultSerializer, **VOTE_ERRORS},
    )


@_schema("a question", " Down-votes need the down-vote privilege.")
class QuestionVoteApi(_VoteApi):
    target_type = TargetType.QUESTION
    id_kwarg = "question_id"


@_schema(
    "an answer",
    " Down-votes need the down-vote privilege and cost you a little reputation.",
)
class AnswerVoteApi(_VoteApi):
    target_type = TargetType.ANSWER
    id_kwarg = "answer_id"


@_schema("a comment", " Comments take up-votes only (-1 is refused with 400).")
class CommentVoteApi(_VoteApi):
    target_type = TargetType.COMMENT
    id_kwarg = "comment_id"


ROUTES = [
    ("questions/<int:question_id>/vote", QuestionVoteApi, "question-vote"),
    ("answers/<int:answer_id>/vote", AnswerVoteApi, "answer-vote"),
    ("comments/<int:comment_id>/vote", CommentVoteApi, "comment-vote"),
]
