"""Questions and answers over REST: ask, answer, edit with history, accept, close, reopen.

Views stay thin: parse with an input serializer, call one service or selector, render
with an output serializer. A question the user may not see (deleted, hidden, or about a
document they may not read) answers 404 like one that does not exist; one they may see
but not change answers 403 (`forbidden`, or `insufficient_reputation` with the
`threshold`), or 409 when its state forbids the change (closed, locked, deleted).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import ApiErrorSerializer, error_responses

from ..models import Question, TargetType
from ..selectors import questions as selectors
from ..services import answers as answer_services
from ..services import questions as question_services
from . import question_serializers as s
from .errors import CommunityErrorsMixin
from .preview import ROUTES as PREVIEW_ROUTES

QUESTION_ID = OpenApiParameter("question_id", OpenApiTypes.INT, OpenApiParameter.PATH)
ANSWER_ID = OpenApiParameter("answer_id", OpenApiTypes.INT, OpenApiParameter.PATH)
REFUSED = {
    403: OpenApiResponse(
        ApiErrorSerializer,
        description="Not allowed: `forbidden`, or `insufficient_reputation` with "
        "`error.threshold`, the reputation the right needs.",
    ),
    404: OpenApiResponse(ApiErrorSerializer, description="No such item, or not visible to you."),
}
CONFLICT = {
    409: OpenApiResponse(
        ApiErrorSerializer,
        description="The item's state forbids it now (closed, locked or deleted).",
    )
}


def _query(serializer_class, request: Request) -> dict[str, Any]:
    params = serializer_class(data=request.query_params)
    if not params.is_valid():
        raise exceptions.ValidationError(params.errors)
    return params.validated_data


def _question_response(request: Request, question_id: int, http_status: int = 200) -> Response:
    question = selectors.question_get_visible(user=request.user, question_id=question_id)
    votes = selectors.my_votes(
        user=request.user, target_type=TargetType.QUESTION, ids=[question.pk]
    )
    context = {"user": request.user, "votes": votes}
    return Response(s.QuestionDetailSerializer(question, context=context).data, status=http_status)


def _answer_response(request: Request, answer_id: int, http_status: int = 200) -> Response:
    answer = selectors.answer_get_visible(user=request.user, answer_id=answer_id)
    votes = selectors.my_votes(user=request.user, target_type=TargetType.ANSWER, ids=[answer.pk])
    context = {"user": request.user, "votes": votes, "question": answer.question}
    return Response(s.AnswerSerializer(answer, context=context).data, status=http_status)


class QuestionsApi(CommunityErrorsMixin, GenericAPIView):
    """Paginated lists (GenericAPIView brings the paginator)."""

    filter_backends: list = []


class QuestionActionApi(CommunityErrorsMixin, APIView):
    """Everything else: one item, or an action on it."""


# --- questions -----------------------------------------------------------------------------


@extend_schema(tags=["questions"])
class QuestionListCreateApi(QuestionsApi):
    serializer_class = s.QuestionListSerializer

    @extend_schema(
        summary="Questions you can see, filtered and sorted",
        parameters=[s.QuestionQuerySerializer],
        responses={200: s.QuestionListSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request: Request) -> Response:
        query = _query(s.QuestionQuerySerializer, request)
        document = None
        if query.get("document"):
            document = selectors.document_ref_find(user=request.user, ref=query["document"])
        questions = selectors.question_list(
            user=request.user,
            tag=query.get("tag") or None,
            difficulty=query.get("difficulty") or None,
            document=document,
            status=query["status"],
            q=query.get("q") or None,
            author=query.get("author") or None,
            sort=query["sort"],
        )
        if query.get("document") and document is None:
            questions = Question.objects.none()  # unknown or unreadable: nothing about it
        page = self.paginate_queryset(questions)
        data = s.QuestionListSerializer(page, many=True, context={"user": request.user}).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary="Ask a question",
        request=s.QuestionCreateInputSerializer,
        responses={201: s.QuestionDetailSerializer, **error_responses(400, 401), **REFUSED},
    )
    def post(self, request: Request) -> Response:
        data = s.QuestionCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        question = question_services.question_create(
            author=request.user,
            title=fields["title"],
            content=fields["content"],
            tags=fields["tags"],
            difficulty_level=fields["difficulty_level"],
            document=fields.get("document_id"),
            document_section=fields["document_section"],
        )
        return _question_response(request, question.pk, status.HTTP_201_CREATED)


@extend_schema(tags=["questions"])
class QuestionSimilarApi(QuestionActionApi):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Questions like the title being typed (at most 5, best first)",
        description="PostgreSQL: full-text match on title and text, ranked; SQLite: shared "
        "title words. Only questions you can see.",
        parameters=[s.SimilarQuerySerializer],
        responses={200: s.SimilarQuestionSerializer(many=True), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        query = _query(s.SimilarQuerySerializer, request)
        found = selectors.question_similar(user=request.user, title=query["title"])
        return Response(s.SimilarQuestionSerializer(found, many=True).data)


@extend_schema(tags=["questions"], parameters=[QUESTION_ID])
class QuestionDetailApi(QuestionActionApi):
    http_method_names = ["get", "patch", "delete", "head", "options"]

    @extend_schema(
        summary="A question with its rendered text",
        responses={200: s.QuestionDetailSerializer, **error_responses(404)},
    )
    def get(self, request: Request, question_id: int) -> Response:
        return _question_response(request, question_id)

    @extend_schema(
        summary="Edit a question (own; others' with the edit privilege)",
        description="Writes a new revision; an edit that changes nothing writes none.",
        request=s.QuestionUpdateInputSerializer,
        responses={200: s.QuestionDetailSerializer, **error_responses(400), **REFUSED, **CONFLICT},
    )
    def patch(self, request: Request, question_id: int) -> Response:
        data = s.QuestionUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if "document_id" in fields:
            fields["document"] = fields.pop("document_id")
        question_services.question_update(question_id=question_id, user=request.user, **fields)
        return _question_response(request, question_id)

    @extend_schema(
        summary="Delete a question (own while unanswered; moderators always)",
        responses={204: None, **REFUSED, **CONFLICT},
    )
    def delete(self, request: Request, question_id: int) -> Response:
        question_services.question_delete(question_id=question_id, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["questions"], parameters=[QUESTION_ID])
class QuestionRevisionListApi(QuestionsApi):
    serializer_class = s.QuestionRevisionSerializer

    @extend_schema(
        summary="Every revision of a question, the original (1) first",
        responses={200: s.QuestionRevisionSerializer(many=True), **error_responses(404)},
    )
    def get(self, request: Request, question_id: int) -> Response:
        question = selectors.question_get_visible(user=request.user, question_id=question_id)
        page = self.paginate_queryset(selectors.question_revisions(question=question))
        return self.get_paginated_response(s.QuestionRevisionSerializer(page, many=True).data)


@extend_schema(tags=["questions"], parameters=[QUESTION_ID])
class QuestionCloseApi(QuestionActionApi):
    @extend_schema(
        summary="Close a question (close privilege)",
        description="A closed question takes no new answers. A `duplicate` names the other "
        "question in `duplicate_of`.",
        request=s.CloseInputSerializer,
        responses={200: s.QuestionDetailSerializer, **error_responses(400), **REFUSED, **CONFLICT},
    )
    def post(self, request: Request, question_id: int) -> Response:
        data = s.CloseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        question_services.question_close(
            question_id=question_id, user=request.user, **data.validated_data
        )
        return _question_response(request, question_id)


@extend_schema(tags=["questions"], parameters=[QUESTION_ID])
class QuestionReopenApi(QuestionActionApi):
    @extend_schema(
        summary="Reopen a closed question (close privilege)",
        request=None,
        responses={200: s.QuestionDetailSerializer, **REFUSED, **CONFLICT},
    )
    def post(self, request: Request, question_id: int) -> Response:
        question_services.question_reopen(question_id=question_id, user=request.user)
        return _question_response(request, question_id)


# --- answers -------------------------------------------------------------------------------


@extend_schema(tags=["questions"], parameters=[QUESTION_ID])
class AnswerListCreateApi(QuestionsApi):
    serializer_class = s.AnswerSerializer

    @extend_schema(
        summary="Answers to a question: the accepted one first, then by score, then oldest",
        responses={200: s.AnswerSerializer(many=True), **error_responses(404)},
    )
    def get(self, request: Request, question_id: int) -> Response:
        question = selectors.question_get_visible(user=request.user, question_id=question_id)
        page = self.paginate_queryset(selectors.answers_of(user=request.user, question=question))
        votes = selectors.my_votes(
            user=request.user, target_type=TargetType.ANSWER, ids=[a.pk for a in page]
        )
        context = {"user": request.user, "votes": votes, "question": question}
        return self.get_paginated_response(
            s.AnswerSerializer(page, many=True, context=context).data
        )

    @extend_schema(
        summary="Answer a question",
        description="A closed or locked question takes no new answers (409).",
        request=s.AnswerCreateInputSerializer,
        responses={201: s.AnswerSerializer, **error_responses(400, 401), **REFUSED, **CONFLICT},
    )
    def post(self, request: Request, question_id: int) -> Response:
        data = s.AnswerCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answer = answer_services.answer_create(
            question_id=question_id, author=request.user, content=data.validated_data["content"]
        )
        return _answer_response(request, answer.pk, status.HTTP_201_CREATED)


@extend_schema(tags=["questions"], parameters=[ANSWER_ID])
class AnswerDetailApi(QuestionActionApi):
    http_method_names = ["get", "patch", "delete", "head", "options"]

    @extend_schema(
        summary="An answer with its rendered text",
        responses={200: s.AnswerSerializer, **error_responses(404)},
    )
    def get(self, request: Request, answer_id: int) -> Response:
        return _answer_response(request, answer_id)

    @extend_schema(
        summary="Edit an answer (own; others' with the edit privilege)",
        request=s.AnswerUpdateInputSerializer,
        responses={200: s.AnswerSerializer, **error_responses(400), **REFUSED, **CONFLICT},
    )
    def patch(self, request: Request, answer_id: int) -> Response:
        data = s.AnswerUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answer_services.answer_update(answer_id=answer_id, user=request.user, **data.validated_data)
        return _answer_response(request, answer_id)

    @extend_schema(
        summary="Delete an answer (own unless accepted; moderators always)",
        responses={204: None, **REFUSED, **CONFLICT},
    )
    def delete(self, request: Request, answer_id: int) -> Response:
        answer_services.answer_delete(answer_id=answer_id, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["questions"], parameters=[ANSWER_ID])
class AnswerRevisionListApi(QuestionsApi):
    serializer_class = s.AnswerRevisionSerializer

    @extend_schema(
        summary="Every revision of an answer, the original (1) first",
        responses={200: s.AnswerRevisionSerializer(many=True), **error_responses(404)},
    )
    def get(self, request: Request, answer_id: int) -> Response:
        answer = selectors.answer_get_visible(user=request.user, answer_id=answer_id)
        page = self.paginate_queryset(selectors.answer_revisions(answer=answer))
        return self.get_paginated_response(s.AnswerRevisionSerializer(page, many=True).data)


@extend_schema(tags=["questions"], parameters=[ANSWER_ID])
class AnswerAcceptApi(QuestionActionApi):
    @extend_schema(
        summary="Accept an answer (the asker only)",
        description="Moves the accept from another answer if there is one. The answer's "
        "author gains REPUTATION_ANSWER_ACCEPTED and the asker REPUTATION_ACCEPTED_ANSWER "
        "(nothing for your own answer). Accepting the accepted answer changes nothing.",
        request=None,
        responses={200: s.AnswerSerializer, **REFUSED, **CONFLICT},
    )
    def post(self, request: Request, answer_id: int) -> Response:
        answer_services.answer_accept(answer_id=answer_id, user=request.user)
        return _answer_response(request, answer_id)


@extend_schema(tags=["questions"], parameters=[ANSWER_ID])
class AnswerUnacceptApi(QuestionActionApi):
    @extend_schema(
        summary="Take the accept back (the asker only); its reputation is reversed",
        request=None,
        responses={200: s.AnswerSerializer, **REFUSED, **CONFLICT},
    )
    def post(self, request: Request, answer_id: int) -> Response:
        answer_services.answer_unaccept(answer_id=answer_id, user=request.user)
        return _answer_response(request, answer_id)


ROUTES = [
    ("questions", QuestionListCreateApi, "question-list"),
    ("questions/similar", QuestionSimilarApi, "question-similar"),
    ("questions/<int:question_id>", QuestionDetailApi, "question-detail"),
    ("questions/<int:question_id>/revisions", QuestionRevisionListApi, "question-revisions"),
    ("questions/<int:question_id>/answers", AnswerListCreateApi, "question-answers"),
    ("questions/<int:question_id>/close", QuestionCloseApi, "question-close"),
    ("questions/<int:question_id>/reopen", QuestionReopenApi, "question-reopen"),
    ("answers/<int:answer_id>", AnswerDetailApi, "answer-detail"),
    ("answers/<int:answer_id>/revisions", AnswerRevisionListApi, "answer-revisions"),
    ("answers/<int:answer_id>/accept", AnswerAcceptApi, "answer-accept"),
    ("answers/<int:answer_id>/unaccept", AnswerUnacceptApi, "answer-unaccept"),
    *PREVIEW_ROUTES,
]
