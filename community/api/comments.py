"""REST endpoints for comments on documents: threads, replies, edits, deletion, resolving.

Views stay thin: parse with an input serializer, call one service or selector, answer
with the representation the selector builds (the one live frames carry too). A
document or comment the person may not read answers 404, exactly like one that does
not exist.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from collaboration import permissions
from collaboration.models import Document
from collaboration.selectors import document_find
from config.api import ApiErrorSerializer

from ..models import CommentStatus, CommentType
from ..selectors import comments as selectors
from ..services import comments as services
from . import comment_serializers as s
from .errors import CommunityErrorsMixin

REF_PARAMETER = OpenApiParameter(
    "ref", OpenApiTypes.STR, OpenApiParameter.PATH, description="The document's id or slug."
)
COMMENT_PARAMETER = OpenApiParameter(
    "comment_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The comment's id."
)


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ApiErrorSerializer, description=description)


ERRORS = {
    400: _error("Invalid input; `error.fields` says which field and why."),
    401: _error("Not signed in."),
    403: _error(
        "Not allowed (`forbidden`), or not enough reputation (`insufficient_reputation`,"
        " with `error.threshold`)."
    ),
    404: _error("No such document or comment, or not one you may read."),
    409: _error(
        "The thread's state forbids it (`conflict`: locked, deleted, a reply where a thread"
        " is needed), or `revision_too_old`: the kept history no longer reaches that revision."
    ),
}


def _readable_document(request: Request, ref: str) -> Document:
    """The document named by id or slug if the person may read it; 404 otherwise."""
    documents = permissions.readable_documents(request.user).defer("content_checkpoint")
    document = document_find(ref=ref, queryset=documents)
    if document is None:
        raise exceptions.NotFound("There is no such document.")
    return document


def _comment_answer(request: Request, comment_id: int, http_status: int = 200) -> Response:
    comment = selectors.comment_get_for_user(comment_id=comment_id, user=request.user)
    return Response(
        selectors.comment_representation(comment, user=request.user), status=http_status
    )


class CommentApi(CommunityErrorsMixin, generics.GenericAPIView):
    """Comments on documents."""

    filter_backends: list = []


@extend_schema(tags=["comments"], parameters=[REF_PARAMETER])
class DocumentCommentListApi(CommentApi):
    """The threads of one document: read them, or start one."""

    serializer_class = s.ThreadSerializer

    @extend_schema(
        summary="Comment threads of a document, oldest first, with their replies",
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=[*CommentStatus.values, "all"],
                description="Only open or only resolved threads (default: all).",
            ),
            OpenApiParameter(
                "comment_type", str, enum=CommentType.values, description="Only this kind."
            ),
        ],
        responses={200: s.ThreadSerializer(many=True), 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request: Request, ref: str) -> Response:
        document = _readable_document(request, ref)
        query = s.ThreadFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data
        threads = selectors.thread_list(
            document=document,
            user=request.user,
            status=None if wanted["status"] == "all" else wanted["status"],
            comment_type=wanted.get("comment_type"),
        )
        page = self.paginate_queryset(threads)
        data = selectors.comment_representations(
            page, document=document, user=request.user, with_can=True, with_replies=True
        )
        return self.get_paginated_response(data)

    @extend_schema(
        summary="Start a thread: a general comment, or one on a passage",
        description=(
            "Inline comments name their passage as `range` {start, end} (or `start` and"
            " `end`) in code points of the text at `revision` (default: the current one),"
            " or a `position` alone for a point. The range is moved to the current text"
            " and follows every later edit; `anchor.quote` keeps the text it covered."
        ),
        request=s.CommentCreateInputSerializer,
        responses={201: s.ThreadSerializer, **ERRORS},
    )
    def post(self, request: Request, ref: str) -> Response:
        document = _readable_document(request, ref)
        data = s.CommentCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_create(
            user=request.user, document_id=document.pk, **data.validated_data
        )
        return _comment_answer(request, comment.pk, status.HTTP_201_CREATED)


@extend_schema(tags=["comments"], parameters=[COMMENT_PARAMETER])
class CommentDetailApi(CommentApi):
    """One comment: read, edit (the previous wording is kept) or delete it."""

    http_method_names = ["get", "patch", "delete", "head", "options"]
    serializer_class = s.CommentDetailSerializer

    @extend_schema(
        summary="A comment (a thread's first comment comes with its replies)",
        responses={200: s.CommentDetailSerializer, 404: ERRORS[404]},
    )
    def get(self, request: Request, comment_id: int) -> Response:
        return _comment_answer(request, comment_id)

    @extend_schema(
        summary="Change a comment's wording (its author or a moderator)",
        description="The previous wording is kept: see /revisions.",
        request=s.CommentContentInputSerializer,
        responses={200: s.CommentDetailSerializer, **ERRORS},
    )
    def patch(self, request: Request, comment_id: int) -> Response:
        selectors.comment_get_for_user(comment_id=comment_id, user=request.user)
        data = s.CommentContentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.comment_edit(
            user=request.user, comment_id=comment_id, content=data.validated_data["content"]
        )
        return _comment_answer(request, comment_id)

    @extend_schema(
        summary="Delete a comment (its author, the document's owner or a moderator)",
        responses={204: None, **{k: v for k, v in ERRORS.items() if k != 400}},
    )
    def delete(self, request: Request, comment_id: int) -> Response:
        selectors.comment_get_for_user(comment_id=comment_id, user=request.user)
        services.comment_delete(user=request.user, comment_id=comment_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["comments"], parameters=[COMMENT_PARAMETER])
class CommentReplyApi(CommentApi):
    """Replies go to the thread's first comment, oldest first."""

    serializer_class = s.CommentSerializer

    @extend_schema(
        summary="Reply in a comment's thread",
        description="A reply to a reply joins the same thread.",
        request=s.CommentContentInputSerializer,
        responses={201: s.CommentSerializer, **ERRORS},
    )
    def post(self, request: Request, comment_id: int) -> Response:
        selectors.comment_get_for_user(comment_id=comment_id, user=request.user)
        data = s.CommentContentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply = services.comment_reply(
            user=request.user, comment_id=comment_id, content=data.validated_data["content"]
        )
        return _comment_answer(request, reply.pk, status.HTTP_201_CREATED)


STATUS_ERRORS = {k: v for k, v in ERRORS.items() if k != 400}


@extend_schema(tags=["comments"], parameters=[COMMENT_PARAMETER])
class CommentResolveApi(CommentApi):
    """Resolving keeps the thread, marked done; resolving it again changes nothing."""

    serializer_class = s.ThreadSerializer

    @extend_schema(
        summary="Resolve a thread (its author, the document's editors or a moderator)",
        request=None,
        responses={200: s.ThreadSerializer, **STATUS_ERRORS},
    )
    def post(self, request: Request, comment_id: int) -> Response:
        selectors.comment_get_for_user(comment_id=comment_id, user=request.user)
        services.comment_resolve(user=request.user, comment_id=comment_id)
        return _comment_answer(request, comment_id)


@extend_schema(tags=["comments"], parameters=[COMMENT_PARAMETER])
class CommentReopenApi(CommentApi):
    """Reopening a thread that is open changes nothing."""

    serializer_class = s.ThreadSerializer

    @extend_schema(
        summary="Reopen a resolved thread (the same people as resolving)",
        request=None,
        responses={200: s.ThreadSerializer, **STATUS_ERRORS},
    )
    def post(self, request: Request, comment_id: int) -> Response:
        selectors.comment_get_for_user(comment_id=comment_id, user=request.user)
        services.comment_reopen(user=request.user, comment_id=comment_id)
        return _comment_answer(request, comment_id)


@extend_schema(tags=["comments"], parameters=[COMMENT_PARAMETER])
class CommentRevisionListApi(CommentApi):
    """Each entry is a wording the comment had before an edit, with who replaced it."""

    serializer_class = s.CommentRevisionSerializer

    @extend_schema(
        summary="Earlier wordings of a comment, newest first",
        responses={200: s.CommentRevisionSerializer(many=True), 404: ERRORS[404]},
    )
    def get(self, request: Request, comment_id: int) -> Response:
        comment = selectors.comment_get_for_user(comment_id=comment_id, user=request.user)
        page = self.paginate_queryset(selectors.comment_revision_list(comment=comment))
        return self.get_paginated_response(selectors.comment_revision_representations(page))


ROUTES = [
    ("documents/<str:ref>/comments", DocumentCommentListApi, "document-comments"),
    ("comments/<int:comment_id>", CommentDetailApi, "comment-detail"),
    ("comments/<int:comment_id>/replies", CommentReplyApi, "comment-replies"),
    ("comments/<int:comment_id>/resolve", CommentResolveApi, "comment-resolve"),
    ("comments/<int:comment_id>/reopen", CommentReopenApi, "comment-reopen"),
    ("comments/<int:comment_id>/revisions", CommentRevisionListApi, "comment-revisions"),
]
