"""Server-rendered document pages: home, a document, a tag, the live editor; the service
worker script. Reads go through selectors."""

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from config import panels

from . import permissions, selectors
from .markdown import render_document
from .reads import document_read_record
from .realtime import presence
from .recommendations import recommend_documents


def _path_if_routed(*candidates: str) -> str | None:
    """The first of these paths that some url pattern serves, else None.

    The history page and the live editor arrive in later issues; the document page links
    to them only once they are routed, instead of linking to a 404.
    """
    for candidate in candidates:
        try:
            resolve(candidate)
        except Resolver404:
            continue
        return candidate
    return None


def home(request):
    return render(
        request,
        "home.html",
        {
            "recent_documents": selectors.document_list_recent(user=request.user, limit=10),
            "popular_documents": selectors.document_list_popular(user=request.user, limit=5),
            "tags": selectors.tag_list_with_counts(user=request.user),
            "recommendations": (
                recommend_documents(user=request.user, limit=5)
                if request.user.is_authenticated
                else None
            ),
        },
    )


def document(request, slug: str):
    doc = selectors.document_get_for_user(user=request.user, slug=slug)
    if request.user.is_authenticated:
        document_read_record(user=request.user, document=doc)  # for recommendations
    content_html, toc = render_document(doc.content)
    doc_url = doc.get_absolute_url()
    return render(
        request,
        "collaboration/document.html",
        {
            "document": doc,
            # render_document() sanitises with nh3, so the HTML is safe to insert.
            "content_html": mark_safe(content_html),
            "toc": toc,
            "tags": list(doc.tags.all()),
            "edit_url": _path_if_routed(f"{doc_url}edit/", f"{doc_url}edit"),
            "history_url": _path_if_routed(f"{doc_url}history/", f"{doc_url}history"),
            "editing_now": presence.participants_now(doc.pk),
            "panels": panels.for_page("document", request, doc),
        },
    )


def tag(request, slug: str):
    tag_obj = selectors.tag_get(slug=slug)
    return render(
        request,
        "collaboration/tag.html",
        {
            "tag": tag_obj,
            "documents": selectors.document_list_for_tag(user=request.user, tag=tag_obj),
        },
    )


@login_required
def edit(request, slug: str):
    """The live editor. The page carries what the script needs in a JSON block (CSP allows no
    inline scripts); the socket authenticates with the session cookie, so no token here."""
    doc = selectors.document_get_for_user(user=request.user, slug=slug)
    can_edit = permissions.can_edit_document(request.user, doc)
    try:
        chat_url = reverse("collaboration_api:document-chat", kwargs={"ref": doc.pk})
    except NoReverseMatch:  # the chat API is optional for the page
        chat_url = None
    editor_data = {
        "documentId": str(doc.pk),
        "slug": doc.slug,
        "title": doc.title,
        "revision": doc.revision,
        "content": doc.content,
        "canEdit": can_edit,
        "user": {"id": request.user.pk, "username": request.user.username},
        "wsPath": "/ws/collab/",
        "chatUrl": chat_url,
        "documentUrl": doc.get_absolute_url(),
    }
    return render(
        request,
        "collaboration/editor.html",
        {
            "document": doc,
            "can_edit": can_edit,
            "editor_data": editor_data,
            "panels": panels.for_page("editor", request, doc),
        },
    )


# What the service worker caches when it installs: the site's shell.
SHELL_ASSETS = (
    "css/site.css",
    "css/pygments.css",
    "css/search.css",
    "css/editor.css",
    "vendor/editor.bundle.js",
    "vendor/katex/katex.min.css",
    "vendor/math.bundle.js",
)


@lru_cache(maxsize=4)
def _service_worker_source(path: str, mtime: float) -> str:
    return Path(path).read_text(encoding="utf-8")


def _shell_urls() -> list[str]:
    urls = []
    for asset in SHELL_ASSETS:
        try:
            urls.append(static(asset))
        except ValueError:  # not in the manifest (collectstatic not run): skip, never fail
            continue
    return urls


def _shell_stamp() -> str:
    """Sizes and times of the shell's files: in development their URLs never change, so a
    rebuilt bundle must still give the worker a new version (and a fresh cache)."""
    stamps = []
    for asset in SHELL_ASSETS:
        found = finders.find(asset)
        if found:
            stat = Path(found).stat()
            stamps.append(f"{asset}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(stamps)


@require_safe
def service_worker(request):
    """/sw.js: served from the site root so its scope can be the whole site ("/").

    The shell's URLs (hashed in production) and a version derived from them and from the
    script are prepended, so a deploy that changes any of them installs a new worker.
    """
    path = Path(settings.BASE_DIR) / "static" / "js" / "sw.js"
    if not path.is_file():
        raise Http404("no service worker")
    source = _service_worker_source(str(path), path.stat().st_mtime)
    shell = _shell_urls()
    stamp = _shell_stamp() if settings.DEBUG else ""
    version = hashlib.sha256((source + json.dumps(shell) + stamp).encode()).hexdigest()[:12]
    body = f"const VERSION = {json.dumps(version)};\nconst SHELL = {json.dumps(shell)};\n{source}"
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    # Browsers check for a new worker on navigation; never let a cache answer for it.
    response["Cache-Control"] = "no-cache"
    return response
