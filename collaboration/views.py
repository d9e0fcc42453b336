"""Server-rendered document pages: home, a document, a tag. Reads go through selectors."""

from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.safestring import mark_safe

from . import selectors
from .markdown import render_document


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
        },
    )


def document(request, slug: str):
    doc = selectors.document_get_for_user(user=request.user, slug=slug)
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
