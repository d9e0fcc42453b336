"""The search page: one box over the document sections, questions and answers the visitor
may read, by words, by meaning, or both (collaboration.semantic.retrieval)."""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_safe

from . import selectors
from .search import normalise_query
from .semantic.retrieval import MODES, TYPES
from .semantic.retrieval import search as hybrid_search

PAGE_SIZE = 20
MODE_LABELS = {
    "hybrid": "Best of both",
    "semantic": "By meaning",
    "keyword": "Exact words",
}
TYPE_LABELS = {"section": "Document sections", "question": "Questions", "answer": "Answers"}


@require_safe
def search(request):
    query = normalise_query(request.GET.get("q"))
    tag = request.GET.get("tag", "").strip()
    owner = request.GET.get("owner", "").strip()
    # An unknown mode or type (an old or hand-made link) gets the default, not an error.
    mode = request.GET.get("mode", "")
    mode = mode if mode in MODES else "hybrid"
    type_ = request.GET.get("type", "")
    type_ = type_ if type_ in TYPES else ""
    page = outcome = None
    if query:
        outcome = hybrid_search(
            user=request.user,
            query=query,
            mode=mode,
            tag=tag,
            owner=owner,
            types=[type_] if type_ else None,
        )
        page = Paginator(outcome.hits, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "collaboration/search.html",
        {
            "query": query,
            "tag": tag,
            "owner": owner,
            "mode": mode,
            "type": type_,
            "modes": list(MODE_LABELS.items()),
            "types": list(TYPE_LABELS.items()),
            "page": page,
            # The page links keep every choice but the page.
            "page_query": urlencode(
                {"q": query, "mode": mode, "type": type_, "tag": tag, "owner": owner}
            ),
            "notice": outcome.notice if outcome else "",
            "tags": selectors.tag_list_with_counts(user=request.user).filter(document_count__gt=0),
        },
    )
