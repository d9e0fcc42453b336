"""The search page: one box over the documents the visitor may read."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_safe

from . import selectors
from .search import document_search, normalise_query

PAGE_SIZE = 20


@require_safe
def search(request):
    query = normalise_query(request.GET.get("q"))
    tag = request.GET.get("tag", "").strip()
    owner = request.GET.get("owner", "").strip()
    page = None
    if query:
        results = document_search(user=request.user, query=query, tag=tag, owner=owner)
        page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "collaboration/search.html",
        {
            "query": query,
            "tag": tag,
            "owner": owner,
            "page": page,
            "tags": selectors.tag_list_with_counts(user=request.user).filter(document_count__gt=0),
        },
    )
