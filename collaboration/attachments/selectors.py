"""Reads of attachments, and how one is shown (by the API, the panels and the editor).

Callers have already checked that the user may read the document: every function here
takes the document itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Sum
from django.urls import reverse
from django.utils.text import slugify

from ..models import Document
from . import rules
from .models import Attachment, AttachmentKind

if TYPE_CHECKING:
    from accounts.models import User

    from ..permissions import AnyUser


def attachment_list(*, document: Document) -> list[Attachment]:
    """The document's files, newest first."""
    return list(document.attachments.select_related("uploaded_by").order_by("-created_at", "-pk"))


def attachment_find(*, document: Document, attachment_id: int) -> Attachment | None:
    return (
        Attachment.objects.select_related("uploaded_by")
        .filter(document=document, pk=attachment_id)
        .first()
    )


def attachment_bytes_used(*, user: User) -> int:
    """What counts against the person's quota: the bytes of every file they uploaded."""
    return Attachment.objects.filter(uploaded_by=user).aggregate(total=Sum("size"))["total"] or 0


def url_name(attachment: Attachment) -> str:
    """The file name in its address: readable, and safe in Markdown without escaping."""
    stem, dot, extension = attachment.name.rpartition(".")
    if not dot:
        stem, extension = attachment.name, ""
    slug = slugify(stem, allow_unicode=True) or "file"
    return f"{slug}.{extension.lower()}" if extension else slug


def file_url(attachment: Attachment, document: Document) -> str:
    return reverse(
        "collaboration:attachments:file",
        kwargs={
            "slug": document.slug,
            "attachment_id": attachment.pk,
            "name": url_name(attachment),
        },
    )


def thumbnail_url(attachment: Attachment, document: Document) -> str | None:
    """A small picture for lists: the thumbnail, or the image itself when it is small."""
    if attachment.kind != AttachmentKind.IMAGE:
        return None
    if not attachment.thumbnail_storage_name:
        return file_url(attachment, document)
    return reverse(
        "collaboration:attachments:thumbnail",
        kwargs={"slug": document.slug, "attachment_id": attachment.pk},
    )


def _markdown_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def markdown_link(attachment: Attachment, document: Document) -> str:
    """What goes into the text: an image for images, a link for everything else."""
    label = _markdown_text(attachment.name)
    url = file_url(attachment, document)
    return f"![{label}]({url})" if attachment.kind == AttachmentKind.IMAGE else f"[{label}]({url})"


def attachment_view(attachment: Attachment, document: Document, user: AnyUser) -> dict[str, Any]:
    """One attachment as the API and the pages show it to `user`."""
    url = file_url(attachment, document)
    return {
        "id": attachment.pk,
        "name": attachment.name,
        "kind": attachment.kind,
        "kind_label": attachment.get_kind_display(),
        "content_type": attachment.content_type,
        "size": attachment.size,
        "width": attachment.width,
        "height": attachment.height,
        "url": url,
        "thumbnail_url": thumbnail_url(attachment, document),
        "markdown": markdown_link(attachment, document),
        "uploaded_by": attachment.uploaded_by.username if attachment.uploaded_by else None,
        "created_at": attachment.created_at,
        # Deleting a file the text still shows leaves a broken image: say so beside it.
        "used_in_text": url.rsplit("/", 1)[0] + "/" in document.content,
        "can_delete": rules.can_delete(user, attachment, document),
    }
