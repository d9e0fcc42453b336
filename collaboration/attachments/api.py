"""Attachments over REST: list, upload (multipart) and delete a document's files.

A document the user may not read answers 404, as everywhere in the API; uploading needs
the right to edit it (401 signed out, 403 `forbidden` otherwise). A refused file answers
with the refusal's code and a sentence saying why (see REFUSAL_STATUS).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from config.api import ApiErrorSerializer, error_responses

from .. import permissions
from ..models import Document
from ..selectors import document_find
from . import rules, selectors, services, upload_limit, validation
from .models import Attachment, AttachmentKind

# Each refusal's HTTP status; the code and the message come from the refusal itself.
REFUSAL_STATUS = {
    validation.UNSUPPORTED_TYPE: status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    validation.TOO_LARGE: status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    validation.QUOTA_EXCEEDED: status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    validation.EMPTY_FILE: status.HTTP_400_BAD_REQUEST,
    validation.IMAGE_TOO_LARGE: status.HTTP_400_BAD_REQUEST,
    validation.INVALID_IMAGE: status.HTTP_400_BAD_REQUEST,
    validation.INVALID_FILE: status.HTTP_400_BAD_REQUEST,
}

REF = OpenApiParameter(
    "ref", OpenApiTypes.STR, OpenApiParameter.PATH, description="The document's id or slug."
)
ATTACHMENT_ID = OpenApiParameter(
    "attachment_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The file's id."
)
UPLOAD_REFUSALS = {
    400: OpenApiResponse(
        ApiErrorSerializer,
        description="`invalid` (no `file` field), `empty_file`, `image_too_large` (too many "
        "pixels), `invalid_image` (damaged) or `invalid_file` (a broken notebook).",
    ),
    413: OpenApiResponse(
        ApiErrorSerializer,
        description="`too_large` (over ATTACHMENT_MAX_BYTES) or `quota_exceeded` (over your "
        "ATTACHMENT_QUOTA_BYTES in all; the message says how much is left).",
    ),
    415: OpenApiResponse(
        ApiErrorSerializer,
        description="`unsupported_type`: a kind of file that cannot be attached (SVG, HTML, "
        "archives, programs...), or `unsupported_media_type`: the body is not multipart.",
    ),
}
NOT_FOUND = {
    404: OpenApiResponse(
        ApiErrorSerializer, description="No such document (or file), or not readable by you."
    )
}


class Refused(exceptions.APIException):
    """A refused file, in the API's error shape with the refusal's own code."""

    def __init__(self, refusal: validation.AttachmentRefused):
        self.status_code = REFUSAL_STATUS.get(refusal.code, status.HTTP_400_BAD_REQUEST)
        super().__init__(detail=refusal.message, code=refusal.code)


class UploadThrottle(UserRateThrottle):
    """Uploads per person (THROTTLE_ATTACHMENTS): each image is decoded and encoded again,
    which costs far more than an ordinary request."""

    scope = "attachments"


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="The file name, made safe (no folders).")
    kind = serializers.ChoiceField(choices=AttachmentKind.choices)
    kind_label = serializers.CharField()
    content_type = serializers.CharField(help_text="As served.")
    size = serializers.IntegerField(help_text="Bytes stored (images after re-encoding).")
    width = serializers.IntegerField(allow_null=True, help_text="Images only.")
    height = serializers.IntegerField(allow_null=True, help_text="Images only.")
    url = serializers.CharField(help_text="The file, for people who may read the document.")
    thumbnail_url = serializers.CharField(allow_null=True, help_text="Images only.")
    markdown = serializers.CharField(help_text="The link to put in the text.")
    uploaded_by = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    used_in_text = serializers.BooleanField(help_text="The document's text links to it now.")
    can_delete = serializers.BooleanField(help_text="Whether you may delete it.")


class UsageSerializer(serializers.Serializer):
    used_bytes = serializers.IntegerField()
    quota_bytes = serializers.IntegerField()
    max_file_bytes = serializers.IntegerField()


class AttachmentListSerializer(serializers.Serializer):
    results = AttachmentSerializer(many=True)
    can_upload = serializers.BooleanField()
    usage = UsageSerializer(allow_null=True, help_text="Your storage, when you may upload.")


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=f"{validation.ACCEPTED_TEXT}; judged by content, not by name."
    )


def _translate(exc: Exception) -> Exception:
    if isinstance(exc, validation.AttachmentRefused):
        return Refused(exc)
    if isinstance(exc, Attachment.DoesNotExist | Document.DoesNotExist):
        return exceptions.NotFound("There is no such file on this document.")
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc), code="forbidden")
    return exc


class AttachmentApi(APIView):
    parser_classes = [MultiPartParser]

    def initialize_request(self, request: HttpRequest, *args, **kwargs) -> Request:
        # First, before anything reads the body (the CSRF check of a session does).
        self.size_limit = upload_limit.install(request, max_bytes=settings.ATTACHMENT_MAX_BYTES)
        return super().initialize_request(request, *args, **kwargs)

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request.method == "POST":
            throttles.append(UploadThrottle())
        return throttles

    def handle_exception(self, exc: Exception) -> Response:
        return super().handle_exception(_translate(exc))

    def readable_document(self, ref: str) -> Document:
        documents = permissions.readable_documents(self.request.user)
        document = document_find(ref=ref, queryset=documents)
        if document is None:
            raise exceptions.NotFound("There is no such document.")
        return document

    def require_signed_in(self) -> None:
        if not permissions.is_signed_in(self.request.user):
            raise exceptions.NotAuthenticated()


@extend_schema(tags=["attachments"])
class AttachmentListApi(AttachmentApi):
    @extend_schema(
        summary="A document's files",
        description="Newest first, for everyone who may read the document.",
        parameters=[REF],
        responses={200: AttachmentListSerializer, **NOT_FOUND},
    )
    def get(self, request: Request, ref: str) -> Response:
        document = self.readable_document(ref)
        user = request.user
        can_upload = rules.can_attach(user, document)
        body = {
            "results": [
                selectors.attachment_view(attachment, document, user)
                for attachment in selectors.attachment_list(document=document)
            ],
            "can_upload": can_upload,
            "usage": {
                "used_bytes": selectors.attachment_bytes_used(user=user),
                "quota_bytes": settings.ATTACHMENT_QUOTA_BYTES,
                "max_file_bytes": settings.ATTACHMENT_MAX_BYTES,
            }
            if can_upload
            else None,
        }
        return Response(AttachmentListSerializer(body).data)

    @extend_schema(
        summary="Attach a file",
        description=(
            "Multipart, the file in the field `file`. Accepted, by content: "
            f"{validation.ACCEPTED_TEXT}. Images are re-encoded (metadata and anything "
            "hidden in them dropped) and get a thumbnail. The answer's `markdown` is the "
            "link to put in the text. Refusals: `empty_file`, `image_too_large`, "
            "`invalid_image`, `invalid_file` (400), `too_large` and `quota_exceeded` (413),"
            " `unsupported_type` (415)."
        ),
        parameters=[REF],
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={
            201: AttachmentSerializer,
            **NOT_FOUND,
            **UPLOAD_REFUSALS,
            **error_responses(401, 403, 429),
        },
    )
    def post(self, request: Request, ref: str) -> Response:
        document = self.readable_document(ref)
        self.require_signed_in()
        if not rules.can_attach(request.user, document):
            raise exceptions.PermissionDenied(
                "You may read this document but not attach files to it.", code="forbidden"
            )
        upload = request.FILES.get("file")
        if upload is None:
            if self.size_limit.exceeded:
                raise validation.too_large(self.size_limit.max_bytes)
            raise exceptions.ValidationError({"file": ["Attach a file in the field `file`."]})
        attachment = services.attachment_upload(document=document, user=request.user, upload=upload)
        body = selectors.attachment_view(attachment, document, request.user)
        return Response(AttachmentSerializer(body).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["attachments"])
class AttachmentDetailApi(AttachmentApi):
    @extend_schema(
        summary="Delete a file",
        description="Its uploader (while they may edit the document), the document's owner"
        " or a moderator. Links to it in the text stop working.",
        parameters=[REF, ATTACHMENT_ID],
        request=None,
        responses={
            204: OpenApiResponse(description="Deleted."),
            **NOT_FOUND,
            **error_responses(401, 403),
        },
    )
    def delete(self, request: Request, ref: str, attachment_id: int) -> Response:
        document = self.readable_document(ref)
        self.require_signed_in()
        services.attachment_delete(
            document=document, attachment_id=attachment_id, user=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


ROUTES = [
    ("documents/<str:ref>/attachments", AttachmentListApi, "document-attachments"),
    (
        "documents/<str:ref>/attachments/<int:attachment_id>",
        AttachmentDetailApi,
        "document-attachment",
    ),
]
