"""What every proposal page and button shares: finding the proposal (404 when hidden),
its address, the 403 page, how refusals come back, and the sign-in guards."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ...errors import ContributionsError, NotAllowed, NotFound
from ...models import (
    Proposal,
)
from ...proposals import lifecycle

WS_PATH = "/ws/collab/"
PER_PAGE = 20
DIFF_VIEWS = ("inline", "split")
INLINE_PREFIX = "inline"
DETAIL_TEMPLATE = "contributions/proposals/detail.html"
LIVE_HEADER = "X-Proposal-Live"  # sent by frontend/pages/proposal.js when it reads the page


# --- helpers -----------------------------------------------------------------------------------


def find_proposal(request: HttpRequest, pk: int) -> Proposal:
    try:
        return lifecycle.find(user=request.user, proposal_id=pk)
    except NotFound:
        raise Http404("No such proposal.") from None


def proposal_url(proposal: Proposal, anchor: str = "") -> str:
    url = reverse("contributions:proposal", args=[proposal.pk])
    return f"{url}#{anchor}" if anchor else url


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "errors/error.html", {"status": 403, "message": message}, status=403)


def refused(
    request: HttpRequest, exc: ContributionsError, proposal: Proposal, anchor: str = ""
) -> HttpResponse:
    """Not allowed: the 403 page with the reason. Anything else (the state changed
    meanwhile, bad input): back to the proposal with the reason on top."""
    if isinstance(exc, NotAllowed):
        return forbidden(request, exc.message)
    if isinstance(exc, NotFound):
        raise Http404(exc.message)
    messages.error(request, exc.message)
    return redirect(proposal_url(proposal, anchor))


def proposal_action(view: Callable) -> Callable:
    """A POST-only button of the proposal page: signed-out people are sent to log in and
    back to the proposal (not to this URL, which answers only POST)."""

    @wraps(view)
    def wrapper(request: HttpRequest, pk: int, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(reverse("contributions:proposal", args=[pk]))
        return view(request, pk, *args, **kwargs)

    return require_POST(wrapper)


def signed_in_page(view: Callable) -> Callable:
    """A page for signed-in people: the others log in and come back to it."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper
