"""The comments panels of the document page and of the live editor (config.panels).

Both pages show the document's comment threads and keep them live; their scripts read
what they need from a JSON block the panel template writes (the CSP allows no inline
script): the comments API's addresses, whether this person may comment, and, on the
document page, the Markdown source the rendered text came from (a selection in the
rendered page is found again in it) and the socket address for live updates.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.http import urlencode

from collaboration.models import Document
from collaboration.permissions import is_signed_in
from config import panels

from .. import privileges
from ..services.comments import CONTENT_MAX_CHARS

DOCUMENT_TEMPLATE = "community/_document_comments.html"
EDITOR_TEMPLATE = "community/_editor_comments.html"
WS_PATH = "/ws/collab/"


def _comment_urls(document: Document) -> dict[str, str]:
    detail = reverse("community_api:comment-detail", kwargs={"comment_id": 0})
    return {
        "listUrl": reverse("community_api:document-comments", kwargs={"ref": document.pk}),
        "commentUrl": detail.removesuffix("0"),  # the scripts append the comment's id
    }


def _common_data(request: HttpRequest, document: Document) -> dict[str, Any]:
    user = request.user
    signed_in = is_signed_in(user)
    return {
        "documentId": document.pk,
        **_comment_urls(document),
        "user": {"id": user.pk, "username": user.username} if signed_in else None,
        "canComment": privileges.has_privilege(user, privileges.COMMENT),
        "maxChars": CONTENT_MAX_CHARS,
        "csrfToken": get_token(request) if signed_in else None,
    }


def _login_url(request: HttpRequest) -> str:
    return f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}"


def document_comments_panel(request: HttpRequest, document: Document) -> panels.Panel:
    """Threads under the document, live for people signed in, and "Comment" on a selection."""
    data = _common_data(request, document)
    data.update(
        source=document.content,
        revision=document.revision,
        wsPath=WS_PATH if data["user"] else None,
        loginUrl=_login_url(request),
    )
    return panels.Panel(
        DOCUMENT_TEMPLATE,
        {"data": data, "signed_in": data["user"] is not None, "login_url": data["loginUrl"]},
    )


def editor_comments_panel(request: HttpRequest, document: Document) -> panels.Panel:
    """The editor's threads beside the text; it is live through the editor's own socket."""
    data = _common_data(request, document)
    return panels.Panel(EDITOR_TEMPLATE, {"data": data})


panels.register("document", "community.comments", document_comments_panel)
panels.register("editor", "community.comments", editor_comments_panel)
