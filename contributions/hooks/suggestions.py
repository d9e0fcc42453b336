"""Suggestions on the platform's seams:

- the post-commit hook: pending suggestions follow the text through every committed
  revision, from any source, exactly once and in order, and become outdated when someone
  edits the passage they would replace (the hook's cursor catches up after a crash);
- the document page: how many suggestions wait, with a link to each person's proposal;
- the live editor: the "Suggest" switch and the suggestions list, with what the script
  needs (frontend/editor-suggestions.js reads it from a JSON block: the CSP allows no
  inline script).
"""

from __future__ import annotations

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.urls import reverse

from collaboration import revisions
from collaboration.models import Document
from collaboration.permissions import document_access, is_signed_in
from config import panels

from ..proposals import frames, suggestions

DOCUMENT_TEMPLATE = "contributions/suggestions/_document_panel.html"
EDITOR_TEMPLATE = "contributions/suggestions/_editor_panel.html"


@revisions.receiver("contributions.suggestions", start="now", batch=True)
def suggestions_follow_the_text(events: list[revisions.RevisionEvent]) -> None:
    last = events[-1]
    if not suggestions.any_pending_behind(last.document_id, last.revision):
        return
    for event in events:
        suggestions.suggestions_follow(event)


def document_suggestions_panel(request: HttpRequest, document: Document) -> panels.Panel | None:
    """Pending suggestions by proposal; nothing when there are none."""
    if document.branch_of_id is not None:
        return None
    waiting = suggestions.pending_by_proposal(document=document)
    if not waiting:
        return None
    return panels.Panel(
        DOCUMENT_TEMPLATE,
        {
            "total": sum(count for _proposal, count in waiting),
            "proposals": [
                {"proposal": proposal, "count": count, "url": frames.url_of(proposal)}
                for proposal, count in waiting
            ],
            "edit_url": f"{document.get_absolute_url()}edit/",
            "signed_in": is_signed_in(request.user),
        },
    )


def _api_urls(document: Document) -> dict[str, str]:
    accept = reverse("contributions_api:suggestion-accept", kwargs={"suggestion_id": 0})
    reject = reverse("contributions_api:suggestion-reject", kwargs={"suggestion_id": 0})
    accept_all = reverse("contributions_api:suggestions-accept-all", kwargs={"pk": 0})
    reject_all = reverse("contributions_api:suggestions-reject-all", kwargs={"pk": 0})
    return {
        "listUrl": reverse("contributions_api:document-suggestions", kwargs={"ref": document.pk}),
        # The script puts the id in place of the 0.
        "acceptUrl": accept.replace("/0/", "/{id}/"),
        "rejectUrl": reject.replace("/0/", "/{id}/"),
        "acceptAllUrl": accept_all.replace("/0/", "/{id}/"),
        "rejectAllUrl": reject_all.replace("/0/", "/{id}/"),
    }


def editor_suggestions_panel(request: HttpRequest, document: Document) -> panels.Panel | None:
    """The editor's suggestion mode: everyone signed in who reads the document may
    suggest; its editors accept and reject. A proposal's branch is edited directly."""
    if document.branch_of_id is not None or not is_signed_in(request.user):
        return None
    access = document_access(request.user, document)
    if not access.can_read:
        return None
    data = {
        "documentId": document.pk,
        **_api_urls(document),
        "user": {"id": request.user.pk, "username": request.user.username},
        "canDecide": access.can_edit,
        "canEdit": access.can_edit,
        "maxChars": suggestions.TEXT_MAX,
        "csrfToken": get_token(request),
    }
    return panels.Panel(EDITOR_TEMPLATE, {"data": data})


panels.register("document", "contributions.suggestions", document_suggestions_panel)
panels.register("editor", "contributions.suggestions", editor_suggestions_panel)
