"""The question page's "Propose this for the document" panel: shown to signed-in readers
of the document when the question is about one and has an accepted answer; it links the
proposal made from that answer when there is one, and offers a new one unless it is still
in progress (the rules are contributions.proposals.from_answer's)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

from config import panels

from ..proposals import frames
from ..proposals.from_answer import answer_offer

if TYPE_CHECKING:
    from community.models import Question

PANEL_TEMPLATE = "contributions/proposals/_answer_propose.html"


def question_propose_panel(request: HttpRequest, question: Question) -> panels.Panel | None:
    offer = answer_offer(user=request.user, question=question)
    if offer is None:
        return None
    proposal = offer.proposal
    return panels.Panel(
        PANEL_TEMPLATE,
        {
            "offer": offer,
            "document": question.document,
            "proposal_url": frames.url_of(proposal) if proposal is not None else "",
        },
    )


panels.register("question", "contributions.answer_proposals", question_propose_panel)
