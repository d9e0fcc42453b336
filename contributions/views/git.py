"""Git over HTTP (read-only `git clone`/`fetch`), exports, and the import page.

The Git endpoints speak smart HTTP to Git clients, not to browsers: no session, no CSRF.
Anonymous clients read public documents; a private one needs HTTP Basic with the
username and a personal API key as the password. Anonymous requests for anything they may
not read get 401 with WWW-Authenticate, so Git asks for credentials (as GitHub does, an
unknown repository looks the same); signed-in requests for a document they may not read
get 404. Pushing is refused with 403.
"""

from __future__ import annotations

import base64
import binascii

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.services import ApiKeyRejected, api_key_authenticate
from collaboration.models import Document, Visibility
from collaboration.permissions import can_read_document
from collaboration.selectors import document_find, document_get_for_user

from ..errors import ContributionsError
from ..git import exporting, importing, smart_http
from ..git.sync import sync_document
from ..hooks.git import clone_url

REALM = 'Basic realm="LearnAI Docs Git", charset="UTF-8"'
TEXT = "text/plain; charset=utf-8"
NO_CACHE = {"Cache-Control": "no-cache, max-age=0, must-revalidate", "Expires": "0"}


class _Refused(Exception):
    def __init__(self, response: HttpResponse):
        self.response = response


def _unauthorized(message: str) -> HttpResponse:
    response = HttpResponse(message + "\n", status=401, content_type=TEXT)
    response["WWW-Authenticate"] = REALM
    return response


def _basic_user(request: HttpRequest):
    """The user of an HTTP Basic header (username + API key), None without one."""
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    refused = _Refused(
        _unauthorized(
            "Use your username and a personal API key (from your account) as the password."
        )
    )
    try:
        username, _, password = (
            base64.b64decode(value.strip(), validate=True).decode().partition(":")
        )
        api_key = api_key_authenticate(raw_key=password)
    except (binascii.Error, UnicodeDecodeError, ApiKeyRejected):
        raise refused from None
    user = api_key.user
    if username and username.lower() not in (user.username.lower(), user.email.lower()):
        raise refused
    return user


def _readable_document(request: HttpRequest, ref: str) -> Document:
    user = _basic_user(request)
    document = document_find(ref=ref)
    if document is not None and can_read_document(user or AnonymousUser(), document):
        return document
    if user is None:
        raise _Refused(_unauthorized("Sign in with your username and a personal API key."))
    raise _Refused(HttpResponse("Repository not found.\n", status=404, content_type=TEXT))


def _git_response(spool, service_kind: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        smart_http.chunks(spool), content_type=f"application/x-git-upload-pack-{service_kind}"
    )
    for key, value in NO_CACHE.items():
        response[key] = value
    return response


PUSH_REFUSED = (
    "Pushing is not supported: these repositories are read-only copies of the documents. "
    "Edit the document on the site, or propose a change there.\n"
)


@csrf_exempt
@require_safe
def git_info_refs(request: HttpRequest, ref: str) -> HttpResponse:
    service = request.GET.get("service", "")
    try:
        document = _readable_document(request, ref)
    except _Refused as refused:
        return refused.response
    if service == "git-receive-pack":
        return HttpResponse(PUSH_REFUSED, status=403, content_type=TEXT)
    if service != smart_http.UPLOAD_PACK:
        return HttpResponse(
            "Only Git's smart HTTP protocol is served: use Git 1.6.6 or later.\n",
            status=403,
            content_type=TEXT,
        )
    sync_document(document_id=document.pk, force=True)  # every revision, the open period too
    return _git_response(smart_http.advertisement(document.pk), "advertisement")


@csrf_exempt
@require_POST
def git_upload_pack(request: HttpRequest, ref: str) -> HttpResponse:
    try:
        document = _readable_document(request, ref)
    except _Refused as refused:
        return refused.response
    if request.content_type != "application/x-git-upload-pack-request":
        return HttpResponse("Send a Git upload-pack request.\n", status=415, content_type=TEXT)
    try:
        body = smart_http.request_body(request.body, request.META.get("HTTP_CONTENT_ENCODING", ""))
    except ContributionsError as exc:
        return HttpResponseBadRequest(exc.message + "\n", content_type=TEXT)
    return _git_response(smart_http.upload_pack(document.pk, body), "result")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def git_receive_pack(request: HttpRequest, ref: str) -> HttpResponse:
    return HttpResponse(PUSH_REFUSED, status=403, content_type=TEXT)


# --- exports ---------------------------------------------------------------------------------


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
def export_markdown(request: HttpRequest, slug: str) -> HttpResponse:
    document = document_get_for_user(user=request.user, slug=slug)
    raw = request.GET.get("revision", "").strip()
    if raw and not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
        return HttpResponseBadRequest(
            "The revision must be a whole number, such as ?revision=12.", content_type=TEXT
        )
    try:
        filename, text = exporting.markdown_at(
            document=document, revision=int(raw) if raw else None
        )
    except ContributionsError as exc:
        status = 404 if exc.code == "not_found" else 410
        return HttpResponse(exc.message, status=status, content_type=TEXT)
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    return _attachment(response, filename)


@require_safe
def export_zip(request: HttpRequest, slug: str) -> HttpResponse:
    document = document_get_for_user(user=request.user, slug=slug)
    filename, spool = exporting.history_zip(
        document=document, clone_url=clone_url(request, document)
    )
    return FileResponse(
        spool, as_attachment=True, filename=filename, content_type="application/zip"
    )


# --- import ----------------------------------------------------------------------------------


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Markdown file or zip",
        help_text="A .md file, or a .zip of Markdown files or of a Git repository (its history "
        "comes along).",
    )
    visibility = forms.ChoiceField(
        choices=Visibility.choices,
        initial=Visibility.PRIVATE,
        help_text="You can change it later on each document.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            files = importing.read_upload(name=upload.name, data=upload.read())
            documents = importing.import_files(
                owner=request.user, files=files, visibility=form.cleaned_data["visibility"]
            )
        except ContributionsError as exc:
            form.add_error("file", exc.message)
        else:
            if len(documents) == 1:
                return redirect(documents[0].get_absolute_url())
            return render(request, "contributions/git/import_done.html", {"documents": documents})
    status = 400 if form.errors else 200
    return render(request, "contributions/git/import.html", {"form": form}, status=status)


PAGES = [
    path("git/<str:ref>.git/info/refs", git_info_refs, name="git-info-refs"),
    path("git/<str:ref>.git/git-upload-pack", git_upload_pack, name="git-upload-pack"),
    path("git/<str:ref>.git/git-receive-pack", git_receive_pack, name="git-receive-pack"),
    # Without ".git": `git clone https://HOST/git/<slug>` works too.
    path("git/<str:ref>/info/refs", git_info_refs),
    path("git/<str:ref>/git-upload-pack", git_upload_pack),
    path("git/<str:ref>/git-receive-pack", git_receive_pack),
    path("docs/<slug:slug>/export.md", export_markdown, name="export-markdown"),
    path("docs/<slug:slug>/export.zip", export_zip, name="export-zip"),
    path("import/", import_page, name="import"),
]
