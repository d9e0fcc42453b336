"""Proposal pages: a document's proposals, every proposal one may see, opening one, the
document's merge rules, and a proposal's page (GitHub's pull request page, made for a
document): conversation, changes, checks, the merge box and the review form.

Every button is a form that POSTs here and comes back to the proposal with a message, so
the pages work without JavaScript; frontend/pages/proposal.js keeps them live. Rules and
writes are the proposal services' (contributions/proposals); their refusals come back as
form errors or messages, "not allowed" as a 403 page, an unknown or hidden proposal as 404.
"""

from django.urls import path

from .actions import (
    proposal_close,
    proposal_co_author,
    proposal_draft,
    proposal_edit,
    proposal_merge,
    proposal_ready,
    proposal_rebase,
    proposal_reopen,
    proposal_review,
    proposal_reviewers,
    proposal_self_review,
    review_helpful,
)
from .detail import proposal_detail
from .lists import document_proposals, merge_settings, proposal_new, proposals_all

PAGES = [
    path("proposals/", proposals_all, name="proposals-all"),
    path("proposals/<int:pk>/", proposal_detail, name="proposal"),
    path("proposals/<int:pk>/edit", proposal_edit, name="proposal-edit"),
    path("proposals/<int:pk>/review", proposal_review, name="proposal-review"),
    path("proposals/<int:pk>/merge", proposal_merge, name="proposal-merge"),
    path("proposals/<int:pk>/rebase", proposal_rebase, name="proposal-rebase"),
    path("proposals/<int:pk>/close", proposal_close, name="proposal-close"),
    path("proposals/<int:pk>/reopen", proposal_reopen, name="proposal-reopen"),
    path("proposals/<int:pk>/ready", proposal_ready, name="proposal-ready"),
    path("proposals/<int:pk>/draft", proposal_draft, name="proposal-draft"),
    path("proposals/<int:pk>/reviewers", proposal_reviewers, name="proposal-reviewers"),
    path("proposals/<int:pk>/self-review", proposal_self_review, name="proposal-self-review"),
    path("proposals/<int:pk>/co-authors", proposal_co_author, name="proposal-co-author"),
    path(
        "proposals/<int:pk>/reviews/<int:review_pk>/helpful",
        review_helpful,
        name="proposal-review-helpful",
    ),
    path("docs/<slug:slug>/proposals/", document_proposals, name="proposals"),
    path("docs/<slug:slug>/proposals/new/", proposal_new, name="proposal-new"),
    path("docs/<slug:slug>/proposals/settings/", merge_settings, name="proposal-settings"),
]
