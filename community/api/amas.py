"""Expert AMA sessions over REST: schedule, change, cancel, start and end a session; ask,
up-vote, hide, merge and answer questions; FAQ entries from the answers.

Views stay thin: parse with an input serializer, call one service or selector, render with
an output serializer. Sessions are public; an unknown session or a question the person may
not see (hidden, not theirs) answers 404; a refusal 403 with its reason; a change the
session's state forbids (asking after the end, editing a started session) 409.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import ApiErrorSerializer, error_responses

from ..models import AmaSession
from ..selectors import amas as selectors
from ..selectors.questions import document_ref_find
from ..services import amas as services
from ..services import amas_faq as faq_services
from ..services import amas_questions as question_services
from . import ama_serializers as s
from .errors import CommunityErrorsMixin

AMA_ID = OpenApiParameter("ama_id", OpenApiTypes.INT, OpenApiParameter.PATH)
QUESTION_ID = OpenApiParameter("question_id", OpenApiTypes.INT, OpenApiParameter.PATH)
REFUSED = {
    403: OpenApiResponse(ApiErrorSerializer, description="Not allowed (with the reason)."),
    404: OpenApiResponse(ApiErrorSerializer, description="No such session or question."),
}
CONFLICT = {
    409: OpenApiResponse(
        ApiErrorSerializer,
        description="The session's or the question's state forbids it now (ended, started, "
        "hidden, merged).",
    )
}

ACTION_ERRORS = {**error_responses(400, 401), **REFUSED, **CONFLICT}


def _valid(serializer_class, data) -> dict[str, Any]:
    parsed = serializer_class(data=data)
    if not parsed.is_valid():
        raise exceptions.ValidationError(parsed.errors)
    return parsed.validated_data


def _ama_context(user, sessions: list[AmaSession]) -> dict[str, Any]:
    return {
        "user": user,
        "documents": {ama.pk: selectors.ama_documents(user=user, ama=ama) for ama in sessions},
    }


def _ama_response(request: Request, ama_id: int, http_status: int = 200) -> Response:
    ama = selectors.ama_get(ama_id=ama_id)
    context = _ama_context(request.user, [ama])
    return Response(s.AmaSerializer(ama, context=context).data, status=http_status)


def _question_response(
    request: Request, ama_id: int, question_id: int, http_status: int = 200
) -> Response:
    ama = selectors.ama_get(ama_id=ama_id)
    question = selectors.question_get(user=request.user, ama=ama, question_id=question_id)
    context = {
        "user": request.user,
        "votes": selectors.my_votes(user=request.user, ids=[question.pk]),
    }
    return Response(s.AmaQuestionSerializer(question, context=context).data, status=http_status)


class AmaListApi(CommunityErrorsMixin, GenericAPIView):
    """Paginated lists (GenericAPIView brings the paginator)."""

    filter_backends: list = []


class AmaActionApi(CommunityErrorsMixin, APIView):
    """One item, or an action on it."""


# --- sessions ------------------------------------------------------------------------------


@extend_schema(tags=["amas"])
class AmaListCreateApi(AmaListApi):
    serializer_class = s.AmaSerializer

    @extend_schema(
        summary="AMA sessions: upcoming, live or past, by host",
        parameters=[s.AmaQuerySerializer],
        responses={200: s.AmaSerializer(many=True), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        query = _valid(s.AmaQuerySerializer, request.query_params)
        sessions = selectors.ama_list(
            state=query.get("state") or None,
            when=query.get("when") or None,
            host=query.get("host") or None,
        )
        page = self.paginate_queryset(sessions)
        data = s.AmaSerializer(page, many=True, context=_ama_context(request.user, page)).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary="Schedule an AMA (experts)",
        description="Creates the session and its public chat room (`room_id`), the host "
        "moderating it. Times are ISO 8601; the start not in the past, the end after it and "
        "within 24 hours.",
        request=s.AmaCreateInputSerializer,
        responses={201: s.AmaSerializer, **error_responses(400, 401), **REFUSED},
    )
    def post(self, request: Request) -> Response:
        fields = _valid(s.AmaCreateInputSerializer, request.data)
        ama = services.ama_schedule(
            host=request.user,
            topic=fields["topic"],
            description=fields["description"],
            starts_at=fields["start"],
            ends_at=fields["end"],
            document_ids=fields["document_ids"],
        )
        return _ama_response(request, ama.pk, status.HTTP_201_CREATED)


@extend_schema(tags=["amas"], parameters=[AMA_ID])
class AmaDetailApi(AmaActionApi):
    http_method_names = ["get", "patch", "delete", "head", "options"]

    @extend_schema(
        summary="One AMA session",
        responses={200: s.AmaSerializer, **error_responses(404)},
    )
    def get(self, request: Request, ama_id: int) -> Response:
        return _ama_response(request, ama_id)

    @extend_schema(
        summary="Change a scheduled session (host, moderators)",
        request=s.AmaUpdateInputSerializer,
        responses={200: s.AmaSerializer, **error_responses(400, 401), **REFUSED, **CONFLICT},
    )
    def patch(self, request: Request, ama_id: int) -> Response:
        fields = _valid(s.AmaUpdateInputSerializer, request.data)
        selectors.ama_get(ama_id=ama_id)
        services.ama_update(
            ama_id=ama_id,
            user=request.user,
            topic=fields.get("topic"),
            description=fields.get("description"),
            starts_at=fields.get("start"),
            ends_at=fields.get("end"),
            document_ids=fields.get("document_ids"),
        )
        return _ama_response(request, ama_id)

    @extend_schema(
        summary="Cancel a scheduled session (host, moderators)",
        responses={204: None, **error_responses(401), **REFUSED, **CONFLICT},
    )
    def delete(self, request: Request, ama_id: int) -> Response:
        selectors.ama_get(ama_id=ama_id)
        services.ama_cancel(ama_id=ama_id, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["amas"], parameters=[AMA_ID])
class AmaStartApi(AmaActionApi):
    @extend_schema(
        summary="Start the session now (host)",
        request=None,
        responses={200: s.AmaSerializer, **error_responses(401), **REFUSED, **CONFLICT},
    )
    def post(self, request: Request, ama_id: int) -> Response:
        selectors.ama_get(ama_id=ama_id)
        services.ama_start(ama_id=ama_id, user=request.user)
        return _ama_response(request, ama_id)


@extend_schema(tags=["amas"], parameters=[AMA_ID])
class AmaEndApi(AmaActionApi):
    @extend_schema(
        summary="End the live session now (host, moderators)",
        request=None,
        responses={200: s.AmaSerializer, **error_responses(401), **REFUSED, **CONFLICT},
    )
    def post(self, request: Request, ama_id: int) -> Response:
        selectors.ama_get(ama_id=ama_id)
        services.ama_end(ama_id=ama_id, user=request.user)
        return _ama_response(request, ama_id)


class FollowingSerializer(serializers.Serializer):
    following = serializers.BooleanField()


@extend_schema(tags=["amas"], parameters=[AMA_ID])
class AmaRemindApi(AmaActionApi):
    @extend_schema(
        summary='"Remind me": a notification when the session starts soon',
        request=s.AmaFollowInputSerializer,
        responses={200: FollowingSerializer, **error_responses(400, 401, 404)},
    )
    def post(self, request: Request, ama_id: int) -> Response:
        fields = _valid(s.AmaFollowInputSerializer, request.data)
        selectors.ama_get(ama_id=ama_id)
        services.ama_follow(ama_id=ama_id, user=request.user, follow=fields["follow"])
        return Response({"following": fields["follow"]})


# --- questions -----------------------------------------------------------------------------


@extend_schema(tags=["amas"], parameters=[AMA_ID])
class AmaQuestionListCreateApi(AmaListApi):
    serializer_class = s.AmaQuestionSerializer

    @extend_schema(
        summary="The question queue: by votes, then oldest first",
        description="Hidden questions are listed for the host and moderators, and for their "
        "author (with `status` hidden); merged ones never (their votes moved).",
        responses={200: s.AmaQuestionSerializer(many=True), **error_responses(404)},
    )
    def get(self, request: Request, ama_id: int) -> Response:
        ama = selectors.ama_get(ama_id=ama_id)
        page = self.paginate_queryset(selectors.question_queue(user=request.user, ama=ama))
        votes = selectors.my_votes(user=request.user, ids=[q.pk for q in page])
        context = {"user": request.user, "votes": votes}
        return self.get_paginated_response(
            s.AmaQuestionSerializer(page, many=True, context=context).data
        )

    @extend_schema(
        summary="Ask a question (before or during the session)",
        request=s.QuestionInputSerializer,
        responses={
            201: s.AmaQuestionSerializer,
            **error_responses(400, 401),
            **REFUSED,
            **CONFLICT,
        },
    )
    def post(self, request: Request, ama_id: int) -> Response:
        fields = _valid(s.QuestionInputSerializer, request.data)
        selectors.ama_get(ama_id=ama_id)
        question = question_services.question_ask(
            ama_id=ama_id, author=request.user, content=fields["content"]
        )
        return _question_response(request, ama_id, question.pk, status.HTTP_201_CREATED)


@extend_schema(tags=["amas"], parameters=[AMA_ID, QUESTION_ID])
class AmaQuestionDetailApi(AmaActionApi):
    http_method_names = ["get", "patch", "delete", "head", "options"]

    @extend_schema(
        summary="One question of the queue",
        responses={200: s.AmaQuestionSerializer, **error_responses(404)},
    )
    def get(self, request: Request, ama_id: int, question_id: int) -> Response:
        return _question_response(request, ama_id, question_id)

    @extend_schema(
        summary="Edit your own waiting question",
        request=s.QuestionInputSerializer,
        responses={
            200: s.AmaQuestionSerializer,
            **error_responses(400, 401),
            **REFUSED,
            **CONFLICT,
        },
    )
    def patch(self, request: Request, ama_id: int, question_id: int) -> Response:
        fields = _valid(s.QuestionInputSerializer, request.data)
        ama = selectors.ama_get(ama_id=ama_id)
        selectors.question_get(user=request.user, ama=ama, question_id=question_id)
        question_services.question_edit(
            ama_id=ama_id, question_id=question_id, user=request.user, content=fields["content"]
        )
        return _question_response(request, ama_id, question_id)

    @extend_schema(
        summary="Withdraw your own waiting question",
        responses={204: None, **error_responses(401), **REFUSED, **CONFLICT},
    )
    def delete(self, request: Request, ama_id: int, question_id: int) -> Response:
        ama = selectors.ama_get(ama_id=ama_id)
        selectors.question_get(user=request.user, ama=ama, question_id=question_id)
        question_services.question_delete(ama_id=ama_id, question_id=question_id, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _question_action(summary: str, request_serializer, description: str = ""):
    return extend_schema(
        summary=summary,
        description=description,
        request=request_serializer,
        responses={
            200: s.AmaQuestionSerializer,
            **error_responses(400, 401),
            **REFUSED,
            **CONFLICT,
        },
    )


class _QuestionActionApi(AmaActionApi):
    """Looks the question up as the person sees it (404 otherwise) before acting."""

    def check_question(self, request: Request, ama_id: int, question_id: int) -> None:
        ama = selectors.ama_get(ama_id=ama_id)
        selectors.question_get(user=request.user, ama=ama, question_id=question_id)


@extend_schema(tags=["amas"], parameters=[AMA_ID, QUESTION_ID])
class AmaQuestionVoteApi(_QuestionActionApi):
    @_question_action(
        "Up-vote a question (1) or take your up-vote back (0)",
        s.AmaVoteInputSerializer,
        "Idempotent; not on your own question. Answers the question with its new `score` and "
        "`my_vote`.",
    )
    def post(self, request: Request, ama_id: int, question_id: int) -> Response:
        fields = _valid(s.AmaVoteInputSerializer, request.data)
        self.check_question(request, ama_id, question_id)
        question_services.question_vote(
            ama_id=ama_id, question_id=question_id, user=request.user, value=int(fields["value"])
        )
        return _question_response(request, ama_id, question_id)


@extend_schema(tags=["amas"], parameters=[AMA_ID, QUESTION_ID])
class AmaQuestionHideApi(_QuestionActionApi):
    @_question_action("Hide a question from the queue (host, moderators)", None)
    def post(self, request: Request, ama_id: int, question_id: int) -> Response:
        self.check_question(request, ama_id, question_id)
        question_services.question_hide(
            ama_id=ama_id, question_id=question_id, user=request.user, hidden=True
        )
        return _question_response(request, ama_id, question_id)


@extend_schema(tags=["amas"], parameters=[AMA_ID, QUESTION_ID])
class AmaQuestionUnhideApi(_QuestionActionApi):
    @_question_action("Show a hidden question again (host, moderators)", None)
    def post(self, request: Request, ama_id: int, question_id: int) -> Response:
        self.check_question(request, ama_id, question_id)
        question_services.question_hide(
            ama_id=ama_id, question_id=question_id, user=request.user, hidden=False
        )
        return _question_response(request, ama_id, question_id)


@extend_schema(tags=["amas"], parameters=[AMA_ID, QUESTION_ID])
class AmaQuestionMergeApi(_QuestionActionApi):
    @_question_action(
        "Merge a duplicate into another question (host, moderators)",
        s.MergeInputSerializer,
        "The duplicate's up-voters become the target's (once each) and the target's score is "
        "recounted. Answers the target.",
    )
    def post(self, request: Request, ama_id: int, question_id: int) -> Response:
        fields = _valid(s.MergeInputSerializer, request.data)
        self.check_question(request, ama_id, question_id)
        target = question_services.question_merge(
            ama_id=ama_id, question_id=question_id, into_id=fields["into"], user=request.user
        )
        return _question_response(request, ama_id, target.pk)


@extend_schema(tags=["amas"], parameters=[AMA_ID, QUESTION_ID])
class AmaQuestionAnsweringApi(_QuestionActionApi):
    @extend_schema(
        summary='Mark the question "answering now" (host, live sessions)',
        request=s.AnsweringInputSerializer,
        responses={200: s.AmaSerializer, **error_responses(400, 401), **REFUSED, **CONFLICT},
    )
    def post(self, request: Request, ama_id: int, question_id: int) -> Response:
        fields = _valid(s.AnsweringInputSerializer, request.data)
        self.check_question(request, ama_id, question_id)
        question_services.question_answering(
            ama_id=ama_id,
            question_id=question_id if fields["answering"] else None,
            user=request.user,
        )
        return _ama_response(request, ama_id)


@extend_schema(tags=["amas"], parameters=[AMA_ID, QUESTION_ID])
class AmaQuestionAnswerApi(_QuestionActionApi):
    @_question_action(
        "Answer a question in text (host; live or after the end)",
        s.AnswerInputSerializer,
        "Markdown, rendered safely in `answer_html`. Answering again replaces the answer.",
    )
    def post(self, request: Request, ama_id: int, question_id: int) -> Response:
        fields = _valid(s.AnswerInputSerializer, request.data)
        self.check_question(request, ama_id, question_id)
        question_services.question_answer(
            ama_id=ama_id, question_id=question_id, user=request.user, answer=fields["answer"]
        )
        return _question_response(request, ama_id, question_id)


# --- FAQ -----------------------------------------------------------------------------------


@extend_schema(tags=["amas"], parameters=[AMA_ID])
class AmaFaqApi(AmaActionApi):
    @extend_schema(
        summary="Turn chosen answers into FAQ entries on the linked documents",
        description="After the session (host, moderators). Idempotent per document and "
        "question: answers the entries, new and existing.",
        request=s.FaqInputSerializer,
        responses={
            200: s.FaqEntrySerializer(many=True),
            **error_responses(400, 401),
            **REFUSED,
            **CONFLICT,
        },
    )
    def post(self, request: Request, ama_id: int) -> Response:
        fields = _valid(s.FaqInputSerializer, request.data)
        selectors.ama_get(ama_id=ama_id)
        entries = faq_services.faq_from_answers(
            ama_id=ama_id,
            user=request.user,
            question_ids=fields["question_ids"],
            document_ids=fields.get("document_ids"),
        )
        return Response(
            s.FaqEntrySerializer(entries, many=True, context={"user": request.user}).data
        )


@extend_schema(tags=["amas"])
class DocumentFaqApi(AmaListApi):
    serializer_class = s.FaqEntrySerializer

    @extend_schema(
        summary="A document's FAQ entries, in order",
        parameters=[OpenApiParameter("ref", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses={200: s.FaqEntrySerializer(many=True), **error_responses(404)},
    )
    def get(self, request: Request, ref: str) -> Response:
        document = document_ref_find(user=request.user, ref=ref)
        if document is None:
            raise exceptions.NotFound("No such document.")
        page = self.paginate_queryset(selectors.faq_of_document(document=document))
        data = s.FaqEntrySerializer(page, many=True, context={"user": request.user}).data
        return self.get_paginated_response(data)


@extend_schema(tags=["amas"])
class FaqEntryDetailApi(AmaActionApi):
    http_method_names = ["delete", "options"]

    @extend_schema(
        summary="Remove a FAQ entry (the AMA's host, the document's owner, moderators)",
        parameters=[OpenApiParameter("entry_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={204: None, **error_responses(401), **REFUSED},
    )
    def delete(self, request: Request, entry_id: int) -> Response:
        faq_services.faq_remove(entry_id=entry_id, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


ROUTES = [
    ("amas", AmaListCreateApi, "ama-list"),
    ("amas/<int:ama_id>", AmaDetailApi, "ama-detail"),
    ("amas/<int:ama_id>/start", AmaStartApi, "ama-start"),
    ("amas/<int:ama_id>/end", AmaEndApi, "ama-end"),
    ("amas/<int:ama_id>/remind", AmaRemindApi, "ama-remind"),
    ("amas/<int:ama_id>/faq", AmaFaqApi, "ama-faq"),
    ("amas/<int:ama_id>/questions", AmaQuestionListCreateApi, "ama-questions"),
    ("amas/<int:ama_id>/questions/<int:question_id>", AmaQuestionDetailApi, "ama-question"),
    (
        "amas/<int:ama_id>/questions/<int:question_id>/vote",
        AmaQuestionVoteApi,
        "ama-question-vote",
    ),
    (
        "amas/<int:ama_id>/questions/<int:question_id>/hide",
        AmaQuestionHideApi,
        "ama-question-hide",
    ),
    (
        "amas/<int:ama_id>/questions/<int:question_id>/unhide",
        AmaQuestionUnhideApi,
        "ama-question-unhide",
    ),
    (
        "amas/<int:ama_id>/questions/<int:question_id>/merge",
        AmaQuestionMergeApi,
        "ama-question-merge",
    ),
    (
        "amas/<int:ama_id>/questions/<int:question_id>/answering",
        AmaQuestionAnsweringApi,
        "ama-question-answering",
    ),
    (
        "amas/<int:ama_id>/questions/<int:question_id>/answer",
        AmaQuestionAnswerApi,
        "ama-question-answer",
    ),
    ("documents/<str:ref>/faq", DocumentFaqApi, "document-faq"),
    ("faq/<int:entry_id>", FaqEntryDetailApi, "faq-entry"),
]
