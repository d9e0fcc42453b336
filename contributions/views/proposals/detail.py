"""A proposal's page (GitHub's pull request page, made for a document): conversation,
changes, checks, the merge box and the review form, with what the person may do."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from collaboration.markdown import render_markdown
from collaboration.models import Document
from collaboration.permissions import can_edit_document, can_manage_document

from ...checks import selectors as check_selectors
from ...models import (
    ACTIVE_STATES,
    REVIEWABLE_STATES,
    CheckRunStatus,
    Proposal,
    ProposalKind,
    ProposalState,
)
from ...proposals import lifecycle, merge, rules
from . import display
from .common import DETAIL_TEMPLATE, DIFF_VIEWS, INLINE_PREFIX, LIVE_HEADER, WS_PATH, find_proposal
from .forms import (
    CoAuthorForm,
    InlineCommentFormSet,
    ProposalEditForm,
    ReviewerRequestForm,
    ReviewForm,
)

# --- the proposal page ---------------------------------------------------------------------------


def branch_state(proposal: Proposal) -> tuple[Document | None, int, str]:
    if proposal.branch_id is None:
        return None, 0, ""
    branch = Document.objects.get(pk=proposal.branch_id)
    return branch, branch.revision, branch.content


def _abilities(user, proposal: Proposal, branch: Document | None) -> dict:
    active = proposal.state in ACTIVE_STATES
    signed_in = user.is_authenticated
    is_writer = rules.is_writer(user, proposal)
    can_review = rules.can_review(user, proposal) and proposal.state in REVIEWABLE_STATES
    return {
        "change": rules.can_change(user, proposal),
        "edit": rules.can_change(user, proposal) and proposal.state != ProposalState.MERGED,
        "review": can_review,
        "merge": rules.can_merge(user, proposal) and active,
        "rebase": branch is not None and active and (rules.can_change(user, proposal) or is_writer),
        "request_reviewers": signed_in and active and rules.can_request_reviewer(user, proposal),
        "self_assign": can_review and not proposal.reviewers.filter(user_id=user.pk).exists(),
        "co_author": branch is not None
        and active
        and signed_in
        and (proposal.author_id == user.pk or rules.can_change(user, proposal)),
        "mark_helpful": signed_in and proposal.author_id == user.pk,
        "edit_branch": branch is not None and active and can_edit_document(user, branch),
        "manage_document": can_manage_document(user, proposal.document),
    }


def _origin_url(proposal: Proposal) -> str | None:
    """Where a proposal made from something else came from (an accepted answer)."""
    kind, _, ref = proposal.origin.partition(":")
    if kind == "answer" and ref.isdigit():
        return reverse("community:answer-link", args=[int(ref)])
    return None


def _page_data(request: HttpRequest, proposal: Proposal, checks_pending: bool) -> dict:
    """What frontend/pages/proposal.js needs (json_script: the CSP allows no inline script)."""
    signed_in = request.user.is_authenticated
    return {
        "proposalId": proposal.pk,
        "documentId": proposal.document_id,
        "branchId": proposal.branch_id,
        "wsPath": WS_PATH if signed_in else None,
        "checksPending": checks_pending,
    }


def _detail_context(
    request: HttpRequest,
    proposal: Proposal,
    *,
    review_form: ReviewForm | None = None,
    comment_forms=None,
    reviewer_form: ReviewerRequestForm | None = None,
    co_author_form: CoAuthorForm | None = None,
    edit_form: ProposalEditForm | None = None,
) -> dict:
    user = request.user
    document = proposal.document
    branch, branch_revision, branch_text = branch_state(proposal)
    active = proposal.state in ACTIVE_STATES
    decisive = lifecycle.decisive_reviews(proposal)
    status = merge.merge_status(proposal) if active and branch is not None else None
    preview = merge.preview_diff(proposal) if branch is not None else None
    latest_run = check_selectors.latest_run(document=branch) if branch is not None else None
    checks_pending = latest_run is not None and latest_run.status in (
        CheckRunStatus.QUEUED,
        CheckRunStatus.RUNNING,
    )
    can = _abilities(user, proposal, branch)
    view = request.GET.get("view")
    behind = document.revision - proposal.base_revision
    review_rows = proposal.reviews.select_related("reviewer").prefetch_related("comments")
    return {
        "proposal": proposal,
        "document": document,
        "branch": branch,
        "branch_revision": branch_revision,
        "branch_lines": display.numbered_lines(branch_text) if can["review"] else [],
        "description_html": mark_safe(render_markdown(proposal.description))  # nh3-cleaned
        if proposal.description
        else "",
        "origin_url": _origin_url(proposal),
        "co_authors": list(proposal.credited.exclude(pk=proposal.author_id)),
        "status": status,
        "preview": preview,
        "diff": display.diff_view(preview["before"], preview["after"]) if preview else None,
        "view": view if view in DIFF_VIEWS else "inline",
        "behind": max(behind, 0),
        "offer_rebase": can["rebase"]
        and status is not None
        and (bool(status.conflicts) or behind > 0),
        "timeline": display.timeline(
            proposal.events.select_related("actor"),
            review_rows,
            branch_revision=branch_revision,
            branch_text=branch_text,
        ),
        "reviewers": display.reviewer_rows(proposal, decisive),
        "merge_rules": lifecycle.merge_rules(document),
        "approvals": lifecycle.approval_count(proposal),
        "latest_run": latest_run,
        "checks_pending": checks_pending,
        "checks_outdated": latest_run is not None and latest_run.revision != branch_revision,
        "suggestions": list(proposal.suggestions.select_related("author"))
        if proposal.kind == ProposalKind.SUGGESTIONS
        else [],
        "can": can,
        "review_form": review_form if review_form is not None else ReviewForm(),
        "comment_forms": comment_forms
        if comment_forms is not None
        else InlineCommentFormSet(prefix=INLINE_PREFIX, form_kwargs={"line_count": 0}),
        "reviewer_form": reviewer_form if reviewer_form is not None else ReviewerRequestForm(),
        "co_author_form": co_author_form if co_author_form is not None else CoAuthorForm(),
        "edit_form": edit_form
        if edit_form is not None
        else ProposalEditForm(
            initial={"title": proposal.title, "description": proposal.description}
        ),
        "data": _page_data(request, proposal, checks_pending),
    }


def detail_page(
    request: HttpRequest, proposal: Proposal, status: int = 200, **forms
) -> HttpResponse:
    return render(
        request, DETAIL_TEMPLATE, _detail_context(request, proposal, **forms), status=status
    )


@require_safe
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    response = detail_page(request, find_proposal(request, pk))
    if request.headers.get(LIVE_HEADER):
        # The script reading the page again in the background must not use up messages
        # meant for the next page the person opens (e.g. "Merged" after their own click).
        messages.get_messages(request).used = False
    return response
