"""The attachments panels: on the document page (the list, and for editors an upload form
that works without JavaScript) and in the live editor (the upload button, and what the
editor's script needs to upload pasted and dropped files)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from config import panels

from ..models import Document
from ..permissions import is_signed_in
from . import rules, selectors, validation

DOCUMENT_TEMPLATE = "collaboration/attachments/_document_panel.html"
EDITOR_TEMPLATE = "collaboration/attachments/_editor_panel.html"
# What the file picker offers first; anything else may still be chosen, and is judged by
# its content on the server.
ACCEPT = ".png,.jpg,.jpeg,.gif,.webp,.pdf,.csv,.tsv,.txt,.ipynb,image/png,image/jpeg,image/gif,image/webp,application/pdf,text/csv,text/plain"  # noqa: E501


def _limits_text() -> str:
    return (
        f"{validation.ACCEPTED_TEXT}; up to {validation.megabytes(settings.ATTACHMENT_MAX_BYTES)}"
        " each."
    )


def document_attachments_panel(request: HttpRequest, document: Document) -> panels.Panel | None:
    items = [
        selectors.attachment_view(attachment, document, request.user)
        for attachment in selectors.attachment_list(document=document)
    ]
    can_upload = rules.can_attach(request.user, document)
    if not items and not can_upload:
        return None
    usage = None
    if can_upload and is_signed_in(request.user):
        usage = {
            "used": validation.megabytes(selectors.attachment_bytes_used(user=request.user)),
            "quota": validation.megabytes(settings.ATTACHMENT_QUOTA_BYTES),
        }
    return panels.Panel(
        DOCUMENT_TEMPLATE,
        {
            "document": document,
            "items": items,
            "can_upload": can_upload,
            "upload_url": reverse("collaboration:attachments:upload", args=[document.slug]),
            "limits": _limits_text(),
            "accept": ACCEPT,
            "usage": usage,
        },
    )


def editor_attachments_panel(request: HttpRequest, document: Document) -> panels.Panel | None:
    if not rules.can_attach(request.user, document):
        return None
    return panels.Panel(
        EDITOR_TEMPLATE,
        {
            "upload_url": reverse(
                "collaboration_api:document-attachments", kwargs={"ref": document.pk}
            ),
            "limits": _limits_text(),
            "accept": ACCEPT,
            "max_bytes": settings.ATTACHMENT_MAX_BYTES,
        },
    )
