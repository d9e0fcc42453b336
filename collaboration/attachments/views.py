"""Attachment pages: the files themselves, and the upload and delete forms of the panel.

Files are served here, never from a public folder or bucket address: every request checks
that the person may read the document (a document they may not read answers 404, as one
that does not exist), so the files of private and restricted documents stay theirs.
Each answer names its type and how to show it (inline for images, a download for the rest,
which browsers never render as a page), forbids type sniffing, and carries a policy that
lets nothing in it run.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseNotModified,
)
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from ..selectors import document_get_for_user
from ..services import ActionForbidden
from . import selectors, services, storage, upload_limit, validation
from .models import Attachment, AttachmentKind

# Nothing in a served file may run or load anything, even if a browser rendered it.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
# Files never change at an address (a new upload gets a new id), but rights do: cached
# only by the reader's own browser, and not for long.
FILE_CACHE_CONTROL = "private, max-age=3600"


def _file_response(
    request: HttpRequest, *, stored: str, content_type: str, filename: str, inline: bool, etag: str
) -> HttpResponse:
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponse = HttpResponseNotModified()
    else:
        try:
            handle = storage.attachment_storage().open(stored, "rb")
        except FileNotFoundError as exc:
            raise Http404("This file is missing from the storage.") from exc
        response = FileResponse(
            handle, content_type=content_type, as_attachment=not inline, filename=filename
        )
    response["ETag"] = etag
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = FILE_CACHE_CONTROL
    patch_vary_headers(response, ["Cookie", "Authorization"])
    return response


def _served_type(attachment: Attachment) -> str:
    if attachment.content_type.startswith("text/"):
        return f"{attachment.content_type}; charset=utf-8"
    return attachment.content_type


def _readable_attachment(request: HttpRequest, slug: str, attachment_id: int) -> Attachment:
    document = document_get_for_user(user=request.user, slug=slug)  # 404 if not readable
    attachment = selectors.attachment_find(document=document, attachment_id=attachment_id)
    if attachment is None:
        raise Http404("There is no such file on this document.")
    return attachment


@require_safe
def attachment_file(request: HttpRequest, slug: str, attachment_id: int, name: str):
    """The file. `name` only makes the address readable; the id decides."""
    attachment = _readable_attachment(request, slug, attachment_id)
    return _file_response(
        request,
        stored=attachment.storage_name,
        content_type=_served_type(attachment),
        filename=attachment.name,
        inline=attachment.kind == AttachmentKind.IMAGE,
        etag=f'"{attachment.sha256}"',
    )


@require_safe
def attachment_thumbnail(request: HttpRequest, slug: str, attachment_id: int):
    attachment = _readable_attachment(request, slug, attachment_id)
    if not attachment.thumbnail_storage_name:
        raise Http404("This file has no thumbnail.")
    extension = attachment.thumbnail_storage_name.rpartition(".")[2]
    return _file_response(
        request,
        stored=attachment.thumbnail_storage_name,
        content_type="image/png" if extension == "png" else "image/jpeg",
        filename=f"thumbnail-{attachment.pk}.{extension}",
        inline=True,
        etag=f'"{attachment.sha256}-thumbnail"',
    )


def _back_to_panel(document_url: str):
    return redirect(f"{document_url}#attachments")


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "errors/error.html", {"status": 403, "message": message}, status=403)


@csrf_exempt  # checked below, once the size limit is in place (Django's documented pattern)
def attachment_upload(request: HttpRequest, slug: str):
    """The panel's upload form. Works without JavaScript: it comes back to the document
    page with a message saying what happened."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    # Before the CSRF check reads the body: the limit must be the first handler to see it.
    limit = upload_limit.install(request, max_bytes=settings.ATTACHMENT_MAX_BYTES)
    return _attachment_upload(request, slug, limit)


@csrf_protect
@login_required
def _attachment_upload(
    request: HttpRequest, slug: str, limit: upload_limit.SizeLimitUploadHandler
) -> HttpResponse:
    document = document_get_for_user(user=request.user, slug=slug)
    back = _back_to_panel(document.get_absolute_url())
    upload = request.FILES.get("file")
    if upload is None:
        if limit.exceeded:
            messages.error(request, validation.too_large(limit.max_bytes).message)
        else:
            messages.error(request, "Choose a file to attach first.")
        return back
    try:
        attachment = services.attachment_upload(document=document, user=request.user, upload=upload)
    except ActionForbidden as exc:
        return _forbidden(request, str(exc))
    except validation.AttachmentRefused as exc:
        messages.error(request, f"The file was not attached. {exc.message}")
        return back
    messages.success(
        request,
        f"Attached “{attachment.name}”. To show it in the text, copy its Markdown link "
        "from the list below into the editor.",
    )
    return back


@require_POST
@login_required
def attachment_delete(request: HttpRequest, slug: str, attachment_id: int):
    document = document_get_for_user(user=request.user, slug=slug)
    try:
        services.attachment_delete(
            document=document, attachment_id=attachment_id, user=request.user
        )
    except Attachment.DoesNotExist as exc:
        raise Http404("There is no such file on this document.") from exc
    except ActionForbidden as exc:
        return _forbidden(request, str(exc))
    messages.success(request, "The file was deleted.")
    return _back_to_panel(document.get_absolute_url())
