"""REST endpoints for documents, their history, members, chat, sessions and tags.

Views stay thin: parse with an input serializer, call one service or selector, render
with an output serializer. A document the user may not read answers 404, exactly like
one that does not exist; one they may read but not change answers 403 (`forbidden`).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import ApiErrorSerializer, error_body, query_int

from .. import commit, history, permissions, selectors, services
from ..filters import DocumentFilter
from ..markdown import render_document
from ..models import (
    ChatMessage,
    CollaborationSession,
    Document,
    DocumentMember,
    Operation,
    SessionParticipant,
)
from . import serializers as s

# --- shared -----------------------------------------------------------------------------------

REF_PARAMETER = OpenApiParameter(
    "ref", OpenApiTypes.STR, OpenApiParameter.PATH, description="The document's id or slug."
)
ERRORS = {
    400: OpenApiResponse(ApiErrorSerializer, description="Invalid input."),
    401: OpenApiResponse(ApiErrorSerializer, description="Not signed in."),
    403: OpenApiResponse(ApiErrorSerializer, description="Not allowed (code `forbidden`)."),
    404: OpenApiResponse(ApiErrorSerializer, description="No such document, or not readable."),
}
READ_ERRORS = {404: ERRORS[404]}

# Refusals of the commit path: protocol code -> HTTP status.
COMMIT_ERROR_STATUS = {
    "invalid_operation": status.HTTP_400_BAD_REQUEST,
    "revision_too_old": status.HTTP_409_CONFLICT,
    "document_too_large": status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
}
OPERATION_ERRORS = {
    **ERRORS,
    400: OpenApiResponse(
        s.OperationErrorSerializer,
        description="Malformed edit (code `invalid` or `invalid_operation`).",
    ),
    409: OpenApiResponse(
        s.OperationErrorSerializer,
        description="`revision_too_old`: the base revision is older than the kept history;"
        " reload the document.",
    ),
    413: OpenApiResponse(
        s.OperationErrorSerializer,
        description="`document_too_large`: the edit would pass the limit.",
    ),
}
HISTORY_GONE = OpenApiResponse(
    ApiErrorSerializer,
    description="`history_unavailable`: the log no longer reaches that revision.",
)


class HistoryGone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_code = "history_unavailable"
    default_detail = "That revision can no longer be rebuilt."


class SessionConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def _forbidden(message: str) -> exceptions.PermissionDenied:
    return exceptions.PermissionDenied(detail=message, code="forbidden")


def _translate(exc: Exception) -> Exception:
    """Domain exceptions as the API's exceptions (config.api shapes the body)."""
    if isinstance(exc, DjangoPermissionDenied):
        return _forbidden(str(exc) or "You are not allowed to do this.")
    if isinstance(exc, Document.DoesNotExist | CollaborationSession.DoesNotExist):
        return exceptions.NotFound()
    if isinstance(exc, history.HistoryUnavailable):
        return HistoryGone(detail=str(exc))
    if isinstance(exc, history.RevisionOutOfRange):
        return exceptions.NotFound(detail=str(exc))
    if isinstance(exc, services.SessionForbidden):
        return _forbidden(exc.message)
    if isinstance(exc, services.SessionError):
        return SessionConflict(detail=exc.message, code=exc.code)
    return exc


class CollaborationApi(APIView):
    def handle_exception(self, exc: Exception) -> Response:
        return super().handle_exception(_translate(exc))


def _find_document(request: Request, ref: str, *, related: bool = False) -> Document:
    """The document named by id or slug if the user may read it; 404 otherwise."""
    documents = permissions.readable_documents(request.user)
    if related:
        documents = documents.select_related("owner", "last_edited_by").prefetch_related("tags")
    document = selectors.document_find(ref=ref, queryset=documents)
    if document is None:
        raise exceptions.NotFound("There is no such document.")
    return document


def _require_edit(request: Request, document: Document) -> None:
    if not request.user.is_authenticated:
        raise exceptions.NotAuthenticated()
    if not permissions.can_edit_document(request.user, document):
        raise _forbidden("You may read this document but not edit it.")


def _require_manage(request: Request, document: Document) -> None:
    if not request.user.is_authenticated:
        raise exceptions.NotAuthenticated()
    if not permissions.can_manage_document(request.user, document):
        raise _forbidden("Only the document's owner or a moderator may do this.")


def _commit_error_response(error: commit.CommitError, client_op_id: str) -> Response:
    http_status = COMMIT_ERROR_STATUS.get(error.code, status.HTTP_400_BAD_REQUEST)
    body = error_body(http_status, error.message, code=error.code)
    body["error"]["client_op_id"] = client_op_id
    return Response(body, status=http_status)


def _detail_response(request: Request, document: Document, http_status: int = 200) -> Response:
    html, _toc = render_document(document.content)
    context = {
        "request": request,
        "html": html,
        "access": permissions.document_access(request.user, document),
    }
    return Response(s.DocumentDetailSerializer(document, context=context).data, status=http_status)


# --- documents --------------------------------------------------------------------------------


@extend_schema(tags=["documents"])
class DocumentListCreateApi(CollaborationApi, generics.ListAPIView):
    serializer_class = s.DocumentListSerializer
    filterset_class = DocumentFilter  # with the default DjangoFilterBackend + OrderingFilter
    ordering_fields = ["updated_at", "created_at", "title"]
    ordering = ["-updated_at", "-id"]

    def get_queryset(self) -> QuerySet[Document]:
        return (
            permissions.listed_documents(permissions.readable_documents(self.request.user))
            .select_related("owner")
            .prefetch_related("tags")
        )

    @extend_schema(summary="Documents you can read", responses={200: s.DocumentListSerializer})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create a document",
        request=s.DocumentCreateInputSerializer,
        responses={201: s.DocumentDetailSerializer, 400: ERRORS[400], 401: ERRORS[401]},
    )
    def post(self, request: Request) -> Response:
        data = s.DocumentCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document = services.document_create(owner=request.user, **data.validated_data)
        return _detail_response(request, document, status.HTTP_201_CREATED)


@extend_schema(tags=["documents"], parameters=[REF_PARAMETER])
class DocumentDetailApi(CollaborationApi):
    http_method_names = ["get", "patch", "delete", "head", "options"]

    @extend_schema(
        summary="A document with its text and rendered HTML",
        responses={200: s.DocumentDetailSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, ref: str) -> Response:
        return _detail_response(request, _find_document(request, ref, related=True))

    @extend_schema(
        summary="Change title, tags, visibility or edit policy (owner or moderator)",
        description="The text changes only through operations.",
        request=s.DocumentUpdateInputSerializer,
        responses={200: s.DocumentDetailSerializer, **ERRORS},
    )
    def patch(self, request: Request, ref: str) -> Response:
        document = _find_document(request, ref, related=True)
        _require_manage(request, document)
        data = s.DocumentUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.document_update_metadata(
            document=document, user=request.user, **data.validated_data
        )
        return _detail_response(request, _find_document(request, str(document.pk), related=True))

    @extend_schema(
        summary="Delete a document (owner or moderator)", responses={204: None, **ERRORS}
    )
    def delete(self, request: Request, ref: str) -> Response:
        document = _find_document(request, ref)
        _require_manage(request, document)
        services.document_delete(document=document, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- members ----------------------------------------------------------------------------------


@extend_schema(tags=["documents"], parameters=[REF_PARAMETER])
class DocumentMemberListApi(CollaborationApi, generics.GenericAPIView):
    serializer_class = s.MemberSerializer
    filter_backends: list = []

    @extend_schema(
        summary="Members of a document (anyone who can read it)",
        responses={200: s.MemberSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Request, ref: str) -> Response:
        document = _find_document(request, ref)
        members = (
            DocumentMember.objects.filter(document=document)
            .select_related("user")
            .order_by("user__username")
        )
        page = self.paginate_queryset(members)
        return self.get_paginated_response(s.MemberSerializer(page, many=True).data)

    @extend_schema(
        summary="Add a member or change their role (owner or moderator)",
        request=s.MemberInputSerializer,
        responses={201: s.MemberSerializer, **ERRORS},
    )
    def post(self, request: Request, ref: str) -> Response:
        document = _find_document(request, ref)
        _require_manage(request, document)
        data = s.MemberInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = services.document_member_set(
            document=document,
            username=data.validated_data["username"],
            role=data.validated_data["role"],
            by=request.user,
        )
        return Response(s.MemberSerializer(member).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["documents"], parameters=[REF_PARAMETER])
class DocumentMemberDetailApi(CollaborationApi):
    http_method_names = ["delete", "options"]

    @extend_schema(summary="Remove a member (owner or moderator)", responses={204: None, **ERRORS})
    def delete(self, request: Request, ref: str, username: str) -> Response:
        document = _find_document(request, ref)
        _require_manage(request, document)
        if not services.document_member_remove(
            document=document, username=username, by=request.user
        ):
            raise exceptions.NotFound(f"{username[:150]!r} is not a member of this document.")
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- operations -------------------------------------------------------------------------------


@extend_schema(tags=["editing"], parameters=[REF_PARAMETER])
class DocumentOperationCreateApi(CollaborationApi):
    @extend_schema(
        summary="Commit one edit",
        description=(
            "The edit is transformed against every revision committed after `revision` and"
            " committed as the next revision, exactly as on the socket. Three forms:"
            ' `{"revision", "client_op_id", "ops": [...]}`,'
            ' `{"revision", "client_op_id", "operation": "insert", "position", "text"}`'
            ' (or `"delete"` with `"length"`), or the socket\'s `{"revision",'
            ' "client_op_id", "edit": {...}}`. Sending a committed client_op_id again'
            " changes nothing and answers 200 with its revision."
        ),
        request=s.OperationInputSerializer,
        responses={
            201: s.OperationResultSerializer,
            200: OpenApiResponse(s.OperationResultSerializer, description="A duplicate."),
            **OPERATION_ERRORS,
        },
    )
    def post(self, request: Request, ref: str) -> Response:
        document = _find_document(request, ref)
        _require_edit(request, document)
        data = s.OperationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        edit = data.validated_data
        client_op_id = edit["client_op_id"] or f"api-{uuid.uuid4()}"
        result = services.document_apply_operation(
            document_id=document.pk,
            user=request.user,
            base_revision=edit["revision"],
            client_op_id=client_op_id,
            ops=edit["ops"],
            simple=edit["simple"],
            source="api",
        )
        if result.error is not None:
            return _commit_error_response(result.error, client_op_id)
        ops = result.ops
        if result.duplicate:
            ops = (
                Operation.objects.filter(document=document, client_op_id=client_op_id)
                .values_list("ops", flat=True)
                .first()
            )
        body = {
            "revision": result.revision,
            "client_op_id": client_op_id,
            "ops": ops,
            "duplicate": result.duplicate,
        }
        return Response(body, status=status.HTTP_200_OK if result.duplicate else 201)


# --- history ----------------------------------------------------------------------------------


@extend_schema(tags=["history"], parameters=[REF_PARAMETER])
class DocumentRevisionListApi(CollaborationApi, generics.GenericAPIView):
    serializer_class = s.RevisionSerializer
    filter_backends: list = []

    @extend_schema(
        summary="Revisions, newest first", responses={200: s.RevisionSerializer(many=True)}
    )
    def get(self, request: Request, ref: str) -> Response:
        document = _find_document(request, ref)
        page = self.paginate_queryset(history.revision_list(document_id=document.pk))
        return self.get_paginated_response(s.RevisionSerializer(page, many=True).data)


@extend_schema(tags=["history"], parameters=[REF_PARAMETER])
class DocumentRevisionDetailApi(CollaborationApi):
    @extend_schema(
        summary="The text at a revision",
        responses={200: s.RevisionDetailSerializer, **READ_ERRORS, 410: HISTORY_GONE},
    )
    def get(self, request: Request, ref: str, revision: int) -> Response:
        document = _find_document(request, ref, related=True)
        content = history.content_at(document_id=document.pk, revision=revision)
        operation = (
            Operation.objects.filter(document=document, revision=revision)
            .select_related("user")
            .first()
        )
        body: dict[str, Any] = {"revision": revision, "content": content}
        if operation is not None:
            user = operation.user
            body.update(
                user={"id": user.pk, "username": user.username} if user else None,
                created_at=operation.created_at,
                chars_inserted=operation.chars_inserted,
                chars_deleted=operation.chars_deleted,
                source=operation.source,
                ops=operation.ops,
            )
        elif revision == 0:
            owner = document.owner
            body.update(
                user={"id": owner.pk, "username": owner.username},
                created_at=document.created_at,
                chars_inserted=len(content),
                chars_deleted=0,
                source="create",
                ops=[content] if content else [],
            )
        else:  # rebuilt from a snapshot whose operation was pruned
            body.update(
                user=None,
                created_at=None,
                chars_inserted=None,
                chars_deleted=None,
                source=None,
                ops=None,
            )
        return Response(s.RevisionDetailSerializer(body).data)


@extend_schema(tags=["history"], parameters=[REF_PARAMETER])
class DocumentDiffApi(CollaborationApi):
    @extend_schema(
        summary="Line diff between two revisions",
        parameters=[
            OpenApiParameter(
                "from", int, description="Older revision (default: the one before `to`)."
            ),
            OpenApiParameter("to", int, description="Newer revision (default: the current)."),
        ],
        responses={200: s.DiffSerializer, **READ_ERRORS, 400: ERRORS[400], 410: HISTORY_GONE},
    )
    def get(self, request: Request, ref: str) -> Response:
        document = _find_document(request, ref)
        raw = {
            key: value
            for key, value in (
                ("from_", request.query_params.get("from")),
                ("to", request.query_params.get("to")),
            )
            if value not in (None, "")
        }
        query = s.DiffQuerySerializer(data=raw)
        if not query.is_valid():
            errors = {("from" if k == "from_" else k): v for k, v in query.errors.items()}
            raise exceptions.ValidationError(errors)
        current = document.revision
        to_revision = query.validated_data.get("to", current)
        if to_revision > current:
            raise exceptions.ValidationError({"to": [f"The document is at revision {current}."]})
        from_revision = query.validated_data.get("from_", max(to_revision - 1, 0))
        if from_revision > current:
            raise exceptions.ValidationError({"from": [f"The document is at revision {current}."]})
        result = history.diff(
            document_id=document.pk, from_revision=from_revision, to_revision=to_revision
        )
        return Response(s.DiffSerializer(result.as_dict()).data)


@extend_schema(tags=["history"], parameters=[REF_PARAMETER])
class DocumentRestoreApi(CollaborationApi):
    @extend_schema(
        summary="Bring back the text of an earlier revision, as a new revision",
        request=s.RestoreInputSerializer,
        responses={201: s.RestoreResultSerializer, **OPERATION_ERRORS, 410: HISTORY_GONE},
    )
    def post(self, request: Request, ref: str) -> Response:
        document = _find_document(request, ref)
        _require_edit(request, document)
        data = s.RestoreInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        revision = data.validated_data["revision"]
        try:
            result = services.document_restore(
                document_id=document.pk, user=request.user, revision=revision
            )
        except history.RevisionOutOfRange as exc:
            raise exceptions.ValidationError({"revision": [str(exc)]}) from exc
        if result.error is not None:
            return _commit_error_response(result.error, result.client_op_id)
        body = {
            "revision": result.revision,
            "restored_from": revision,
            "client_op_id": result.client_op_id,
            "ops": result.ops,
        }
        return Response(s.RestoreResultSerializer(body).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["history"], parameters=[REF_PARAMETER])
class DocumentAuthorshipApi(CollaborationApi):
    @extend_schema(
        summary="Who wrote each part of the current text",
        description="Spans over code points, in order, covering the whole text.",
        responses={200: s.AuthorshipSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, ref: str) -> Response:
        document = _find_document(request, ref)
        return Response(s.AuthorshipSerializer(history.authorship(document_id=document.pk)).data)


# --- chat -------------------------------------------------------------------------------------

CHAT_PAGE_SIZE = 50
CHAT_MAX_PAGE_SIZE = 100


@extend_schema(tags=["chat"], parameters=[REF_PARAMETER])
class DocumentChatListApi(CollaborationApi):
    @extend_schema(
        summary="Chat history, newest page first",
        description=(
            "The newest messages, oldest first within the page, so a chat panel appends"
            " them as they are. To scroll back, pass the answer's `before` as ?before=."
        ),
        parameters=[
            OpenApiParameter("before", int, description="Only messages with a smaller id."),
            OpenApiParameter(
                "page_size", int, description=f"1..{CHAT_MAX_PAGE_SIZE}, default {CHAT_PAGE_SIZE}."
            ),
        ],
        responses={200: s.ChatPageSerializer, **READ_ERRORS, 400: ERRORS[400]},
    )
    def get(self, request: Request, ref: str) -> Response:
        document = _find_document(request, ref)
        before = query_int(request, "before", minimum=1)
        size = query_int(request, "page_size", minimum=1, maximum=CHAT_MAX_PAGE_SIZE)
        size = size or CHAT_PAGE_SIZE
        messages = ChatMessage.objects.filter(document=document).select_related("user")
        if before is not None:
            messages = messages.filter(pk__lt=before)
        rows = list(messages.order_by("-id")[: size + 1])
        has_more = len(rows) > size
        rows = rows[:size]
        rows.reverse()
        cursor = rows[0].pk if has_more and rows else None
        next_url = None
        if cursor is not None:
            path = reverse("collaboration_api:document-chat", kwargs={"ref": ref})
            next_url = request.build_absolute_uri(f"{path}?before={cursor}&page_size={size}")
        body = {
            "results": s.ChatMessageSerializer(rows, many=True).data,
            "has_more": has_more,
            "before": cursor,
            "next": next_url,
        }
        return Response(body)


# --- sessions ---------------------------------------------------------------------------------


def _fresh_participants_queryset() -> QuerySet[SessionParticipant]:
    cutoff = services.presence_cutoff()
    return (
        SessionParticipant.objects.filter(last_seen__gte=cutoff)
        .select_related("user")
        .order_by("joined_at", "id")
    )


def _visible_sessions(request: Request) -> QuerySet[CollaborationSession]:
    """Active sessions on readable documents: public ones, and private ones for their
    creator, the invited users and moderators."""
    user = request.user
    sessions = CollaborationSession.objects.filter(
        is_active=True,
        document__in=permissions.readable_documents(user).values("pk"),
    )
    if not permissions.is_moderator(user):
        if permissions.is_signed_in(user):
            invited = Exists(
                CollaborationSession.invited.through.objects.filter(
                    collaborationsession_id=OuterRef("pk"), user_id=user.pk
                )
            )
            sessions = sessions.filter(Q(is_private=False) | Q(created_by=user) | invited)
        else:
            sessions = sessions.filter(is_private=False)
    return sessions.select_related("document", "created_by").prefetch_related(
        "invited",
        Prefetch(
            "participants", queryset=_fresh_participants_queryset(), to_attr="fresh_participants"
        ),
    )


@extend_schema(tags=["sessions"])
class SessionListCreateApi(CollaborationApi, generics.GenericAPIView):
    serializer_class = s.SessionSerializer
    filter_backends: list = []

    @extend_schema(
        summary="Active sessions you can see",
        parameters=[
            OpenApiParameter("document", str, description="Only sessions on this document.")
        ],
        responses={200: s.SessionSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        sessions = _visible_sessions(request).order_by("-created_at", "-id")
        ref = request.query_params.get("document")
        if ref:
            sessions = sessions.filter(document=_find_document(request, ref))
        page = self.paginate_queryset(sessions)
        return self.get_paginated_response(s.SessionSerializer(page, many=True).data)

    @extend_schema(
        summary="Start a collaboration session on a document",
        request=s.SessionCreateInputSerializer,
        responses={201: s.SessionSerializer, 400: ERRORS[400], 401: ERRORS[401]},
    )
    def post(self, request: Request) -> Response:
        data = s.SessionCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            document = _find_document(request, values["document_id"])
        except exceptions.NotFound:
            raise exceptions.ValidationError(
                {"document_id": ["There is no such document."]}
            ) from None
        session = services.session_create(
            document=document,
            user=request.user,
            max_participants=values["max_participants"],
            is_private=values["is_private"],
            invited_usernames=values["invited"],
        )
        session = _visible_sessions(request).get(pk=session.pk)
        return Response(s.SessionSerializer(session).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["sessions"])
class SessionEndApi(CollaborationApi):
    @extend_schema(
        summary="End a session (its creator or a moderator)",
        request=None,
        responses={200: s.SessionSerializer, **ERRORS},
    )
    def post(self, request: Request, session_id: int) -> Response:
        session = _visible_sessions(request).filter(pk=session_id).first()
        if session is None:
            raise exceptions.NotFound("There is no such active session.")
        services.session_end(session=session, user=request.user)
        ended = (
            CollaborationSession.objects.select_related("document", "created_by")
            .prefetch_related("invited")
            .get(pk=session.pk)
        )
        ended.fresh_participants = []
        return Response(s.SessionSerializer(ended).data)


# --- tags -------------------------------------------------------------------------------------


@extend_schema(tags=["documents"])
class TagListApi(generics.ListAPIView):
    serializer_class = s.TagSerializer
    permission_classes = [AllowAny]
    filter_backends = [OrderingFilter]
    ordering_fields = ["slug", "document_count"]

    def get_queryset(self):
        return selectors.tag_list_with_counts(user=self.request.user)

    @extend_schema(summary="Tags, with how many of their documents you can read")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


__all__ = [
    "DocumentAuthorshipApi",
    "DocumentChatListApi",
    "DocumentDetailApi",
    "DocumentDiffApi",
    "DocumentListCreateApi",
    "DocumentMemberDetailApi",
    "DocumentMemberListApi",
    "DocumentOperationCreateApi",
    "DocumentRestoreApi",
    "DocumentRevisionDetailApi",
    "DocumentRevisionListApi",
    "SessionEndApi",
    "SessionListCreateApi",
    "TagListApi",
]
