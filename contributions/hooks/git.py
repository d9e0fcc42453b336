"""Git history on the platform's seams: the post-commit hook (every committed revision
schedules a debounced sync; the Git work happens in Celery), and the clone panel on
document pages."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse

from collaboration import revisions
from collaboration.models import Document, Visibility
from collaboration.permissions import can_read_document
from config import panels

from ..models import Proposal
from ..tasks.git import schedule_proposal_sync, schedule_sync

PANEL_TEMPLATE = "contributions/git/_document_git.html"


@revisions.receiver("contributions.git", batch=True)
def revisions_committed(events: list[revisions.RevisionEvent]) -> None:
    """Cheap by design: no Git here, only tasks scheduled after the delivery commits (a
    proposal's branch document also moves the proposal's Git branch); once per delivery."""
    document_id = events[-1].document_id
    transaction.on_commit(partial(schedule_sync, document_id), robust=True)
    proposal_id = (
        Proposal.objects.filter(branch_id=document_id).values_list("pk", flat=True).first()
    )
    if proposal_id is not None:
        transaction.on_commit(partial(schedule_proposal_sync, proposal_id), robust=True)


def clone_url(request: HttpRequest, document: Document) -> str:
    return request.build_absolute_uri(
        reverse("contributions:git-info-refs", args=[document.slug]).removesuffix("/info/refs")
    )


def document_git_panel(request: HttpRequest, document: Document) -> panels.Panel | None:
    """The clone address with a copy button, and the exports."""
    if not can_read_document(request.user, document):
        return None
    return panels.Panel(
        PANEL_TEMPLATE,
        {
            "document": document,
            "clone_url": clone_url(request, document),
            "is_private": document.visibility != Visibility.PUBLIC,
        },
    )


panels.register("document", "contributions.git", document_git_panel)
