"""The "Propose this for the document" button of a question page: a form that POSTs here,
makes (or finds) the proposal of the accepted answer and goes to it, so it works without
JavaScript. A refusal is shown on the question (the answer is no longer accepted...), as
a 403 page when the person may not do it, or as a 404 when they may not see the answer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from ..errors import ContributionsError, NotAllowed, NotFound
from ..proposals.from_answer import proposal_from_answer


@require_POST
@login_required
def answer_propose(request: HttpRequest, answer_id: int) -> HttpResponse:
    try:
        outcome = proposal_from_answer(user=request.user, answer_id=answer_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    except NotAllowed as exc:
        context = {"status": 403, "message": exc.message}
        return render(request, "errors/error.html", context, status=403)
    except ContributionsError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("community:answer-link", args=[answer_id]))
    if outcome.created:
        messages.success(
            request,
            "Your proposal is ready, with the answer in the text. Edit it if it needs "
            "anything, then ask for a review.",
        )
    else:
        messages.info(request, "This answer is already proposed: here is its proposal.")
    return redirect("contributions:proposal", outcome.proposal.pk)


PAGES = [
    path("answers/<int:answer_id>/propose/", answer_propose, name="answer-propose"),
]
