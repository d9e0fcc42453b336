"""Proposal panels: on a document's page, its open proposals with their state and a
"Propose a change" button; on a branch's page and in its live editor, which proposal the
branch belongs to, with a way back to it."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from collaboration.models import Document
from config import panels

from ..models import REVIEWABLE_STATES, Proposal, ProposalState
from ..proposals import rules

DOCUMENT_PANEL = "contributions/proposals/_document_panel.html"
BRANCH_PANEL = "contributions/proposals/_branch_panel.html"
SHOWN = 5


def branch_panel(request, document: Document) -> panels.Panel | None:
    """ "This is the branch of proposal #N": for a branch, when its proposal is visible."""
    if document.branch_of_id is None:
        return None
    proposal = Proposal.objects.filter(branch=document).select_related("document", "author").first()
    if proposal is None or not rules.can_see(request.user, proposal):
        return None
    return panels.Panel(
        BRANCH_PANEL,
        {
            "proposal": proposal,
            "url": reverse("contributions:proposal", args=[proposal.pk]),
            "document_url": proposal.document.get_absolute_url(),
        },
    )


def document_proposals_panel(request, document: Document) -> panels.Panel | None:
    if document.branch_of_id is not None:
        return branch_panel(request, document)
    of_document = Proposal.objects.filter(document=document)
    open_ones = rules.visible_proposals(
        request.user, of_document.filter(state__in=REVIEWABLE_STATES)
    )
    shown = list(open_ones.select_related("author").order_by("-created_at", "-pk")[:SHOWN])
    signed_in = request.user.is_authenticated
    drafts = (
        list(
            of_document.filter(state=ProposalState.DRAFT, author=request.user).order_by("-pk")[
                :SHOWN
            ]
        )
        if signed_in
        else []
    )
    new_url = reverse("contributions:proposal-new", args=[document.slug])
    return panels.Panel(
        DOCUMENT_PANEL,
        {
            "proposals": shown,
            "count": open_ones.count() if len(shown) == SHOWN else len(shown),
            "drafts": drafts,
            "list_url": reverse("contributions:proposals", args=[document.slug]),
            "new_url": new_url
            if signed_in
            else f"{reverse('accounts:login')}?{urlencode({'next': new_url})}",
            "signed_in": signed_in,
        },
    )


panels.register("document", "contributions.proposals", document_proposals_panel)
panels.register("editor", "contributions.proposals", branch_panel)
