"""The checks page of a document: the latest run's report with its score and how the
score is weighted, each check expandable to its details with line numbers, the runnable
blocks' verdicts, the history of runs, and a "Run the checks" button for editors (a form
that POSTs here and comes back, so it works without JavaScript). While a run is queued or
running the page refreshes itself every few seconds."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe

from collaboration.permissions import can_edit_document
from collaboration.selectors import document_get_for_user

from ..checks import TITLES, WEIGHTS, selectors
from ..errors import ContributionsError
from ..models import CheckRunStatus
from ..tasks.checks import request_document_check

REFRESH_SECONDS = 5


@require_safe
def checks_page(request: HttpRequest, slug: str) -> HttpResponse:
    document = document_get_for_user(user=request.user, slug=slug)
    history = selectors.run_history(document=document)
    latest = history[0] if history else None
    waiting = latest is not None and latest.status in (
        CheckRunStatus.QUEUED,
        CheckRunStatus.RUNNING,
    )
    weights = [{"name": TITLES[name], "weight": weight} for name, weight in WEIGHTS.items()]
    return render(
        request,
        "contributions/checks/page.html",
        {
            "document": document,
            "latest": latest,
            "history": history,
            "blocks": selectors.block_badges(document=document),
            "weights": weights,
            "can_run": can_edit_document(request.user, document),
            "refresh_seconds": REFRESH_SECONDS if waiting else None,
            "outdated": latest is not None and latest.revision != document.revision,
        },
    )


@login_required
@require_POST
def run_checks_now(request: HttpRequest, slug: str) -> HttpResponse:
    document = document_get_for_user(user=request.user, slug=slug)
    try:
        run, queued = request_document_check(document=document, user=request.user)
    except ContributionsError as exc:
        messages.error(request, exc.message)
    else:
        if queued:
            messages.success(request, "The checks are queued; this page updates when they finish.")
        elif run.status in (CheckRunStatus.QUEUED, CheckRunStatus.RUNNING):
            messages.info(request, "The checks are already on their way for the latest text.")
        else:
            messages.info(request, "This revision was checked already: here is its report.")
    return redirect(reverse("contributions:checks", args=[document.slug]))


PAGES = [
    path("docs/<slug:slug>/checks/", checks_page, name="checks"),
    path("docs/<slug:slug>/checks/run", run_checks_now, name="checks-run"),
]
