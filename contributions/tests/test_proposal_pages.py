"""The proposal pages as people use them: opening a proposal from a document, reading it
(conversation, changes inline and side by side, checks), reviewing it with comments on
lines of the branch, merging it into the document, resolving conflicts by bringing the
branch up to date, the lists, the merge rules, and the panels on the document and the
branch's editor. Every button is a plain form, so the tests post as a browser would."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration import history
from collaboration.models import Document, Visibility
from collaboration.tests.factories import DocumentFactory, commit_edit
from contributions.models import (
    Proposal,
    ProposalEvent,
    ProposalSettings,
    ProposalState,
    Review,
    ReviewComment,
)
from contributions.proposals import lifecycle, reviews
from contributions.views.proposals.forms import line_offsets

from .factories_checks import CheckRunFactory

pytestmark = pytest.mark.django_db

TEXT = "# Attention\n\n## Queries\n\nA query asks.\n\n## Keys\n\nA key answers.\n"


@pytest.fixture
def owner():
    return UserFactory(username="olga", role=Role.CONTRIBUTOR)


@pytest.fixture
def author():
    return UserFactory(username="ada", role=Role.CONTRIBUTOR)


@pytest.fixture
def reviewer():
    return UserFactory(username="rui", role=Role.REVIEWER)


@pytest.fixture
def document(owner):
    return DocumentFactory(title="Attention", slug="attention", owner=owner, content=TEXT)


def _client(client, user):
    client.force_login(user)
    return client


def _rewrite(document: Document, user, new_text: str) -> None:
    """Changes the document's text through the editor's commit path."""
    document.refresh_from_db()
    commit_edit(document, user, history.minimal_operation(document.content, new_text))


def _open(document, author, title="Explain keys better", **kwargs) -> Proposal:
    return lifecycle.proposal_create(document=document, user=author, title=title, **kwargs)


def _page(client, proposal, **params):
    return client.get(reverse("contributions:proposal", args=[proposal.pk]), params)


def _post(client, name, proposal, data=None):
    return client.post(reverse(f"contributions:{name}", args=[proposal.pk]), data or {})


def _review_data(branch: Document, verdict: str, body: str = "", rows=()) -> dict:
    data = {
        "verdict": verdict,
        "body": body,
        "branch_revision": branch.revision,
        "inline-TOTAL_FORMS": "3",
        "inline-INITIAL_FORMS": "0",
        "inline-MIN_NUM_FORMS": "0",
        "inline-MAX_NUM_FORMS": "100",
    }
    for index, (first, last, text) in enumerate(rows):
        data[f"inline-{index}-line_from"] = first
        data[f"inline-{index}-line_to"] = last
        data[f"inline-{index}-body"] = text
    return data


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- opening a proposal ---------------------------------------------------------------------------


def test_a_reader_opens_a_proposal_and_lands_on_its_page(client, document, author):
    client = _client(client, author)
    new_url = reverse("contributions:proposal-new", args=[document.slug])
    assert client.get(new_url).status_code == 200

    response = client.post(
        new_url, {"title": "Explain keys better", "description": "Keys *match* queries."}
    )

    proposal = Proposal.objects.get(document=document)
    assert response.status_code == 302
    assert response["Location"] == reverse("contributions:proposal", args=[proposal.pk])
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "Explain keys better" in html and "#1" in html
    assert "<em>match</em>" in html  # the description as Markdown
    assert 'data-state="open"' in html
    branch_editor = reverse("collaboration:edit", args=[proposal.branch.slug])
    assert f'href="{branch_editor}"' in html and "Edit the branch live" in html
    assert "Your proposal is open" in " ".join(_messages(page))


def test_the_new_proposal_form_refuses_a_missing_title_and_creates_nothing(
    client, document, author
):
    client = _client(client, author)
    response = client.post(
        reverse("contributions:proposal-new", args=[document.slug]),
        {"title": "   ", "description": "x"},
    )

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Proposal.objects.exists()


def test_a_proposal_on_a_branch_is_refused_with_a_form_error(client, document, author):
    proposal = _open(document, author)
    client = _client(client, author)

    response = client.post(
        reverse("contributions:proposal-new", args=[proposal.branch.slug]), {"title": "Nested"}
    )

    assert response.status_code == 400
    assert "propose on the original document" in response.content.decode()
    assert Proposal.objects.count() == 1


def test_a_draft_is_hidden_from_others_and_readable_by_its_author(
    client, document, author, reviewer
):
    proposal = _open(document, author, draft=True)

    assert _page(_client(client, reviewer), proposal).status_code == 404
    response = _page(_client(client, author), proposal)
    assert response.status_code == 200
    assert 'data-state="draft"' in response.content.decode()
    assert "Ready for review" in response.content.decode()


def test_an_unknown_proposal_is_a_404(client, author):
    assert _page(_client(client, author), Proposal(pk=999_999)).status_code == 404


def test_a_private_documents_proposal_is_a_404_for_outsiders(client, owner, author):
    private = DocumentFactory(owner=owner, visibility=Visibility.PRIVATE, content=TEXT)
    proposal = _open(private, owner)

    assert _page(_client(client, author), proposal).status_code == 404
    assert _page(client.__class__(), proposal).status_code == 404


def test_marking_a_draft_ready_shows_it_to_the_documents_readers(
    client, document, author, reviewer
):
    proposal = _open(document, author, draft=True)

    response = _post(_client(client, author), "proposal-ready", proposal)

    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.OPEN
    assert _page(_client(client, reviewer), proposal).status_code == 200


# --- anonymous readers ----------------------------------------------------------------------------


def test_anonymous_people_read_an_open_proposal_but_log_in_to_act(
    client, document, author, reviewer
):
    proposal = _open(document, author)
    reviews.review_submit(proposal=proposal, user=reviewer, verdict="approve")

    page = _page(client, proposal)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Explain keys better" in html
    assert "Log in</a> to review" in html
    assert 'name="csrfmiddlewaretoken"' not in html.split("<main", 1)[1]  # no buttons

    response = _post(client, "proposal-merge", proposal)
    login = reverse("accounts:login")
    detail = reverse("contributions:proposal", args=[proposal.pk])
    assert response.status_code == 302
    assert response["Location"] == f"{login}?next={detail}"
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.APPROVED
    document.refresh_from_db()
    assert document.content == TEXT


# --- reviews --------------------------------------------------------------------------------------


def test_an_approval_from_a_reviewer_shows_the_proposal_approved(
    client, document, author, reviewer
):
    proposal = _open(document, author)
    client = _client(client, reviewer)

    response = _post(
        client, "proposal-review", proposal, _review_data(proposal.branch, "approve", "Nice.")
    )

    review = Review.objects.get(proposal=proposal)
    assert response.status_code == 302
    assert response["Location"].endswith(f"#review-{review.pk}")
    html = _page(client, proposal).content.decode()
    assert 'data-state="approved"' in html
    assert "approved these changes" in html and "Nice." in html
    assert "Approvals: <strong>1</strong> of 1 needed" in html


def test_requesting_changes_without_saying_what_shows_an_error(client, document, author, reviewer):
    proposal = _open(document, author)

    response = _post(
        _client(client, reviewer),
        "proposal-review",
        proposal,
        _review_data(proposal.branch, "request_changes", ""),
    )

    assert response.status_code == 400
    assert "Say what should change." in response.content.decode()
    assert not Review.objects.exists()


def test_an_inline_comment_on_lines_quotes_them_on_the_page(client, document, author, reviewer):
    proposal = _open(document, author)
    client = _client(client, reviewer)

    response = _post(
        client,
        "proposal-review",
        proposal,
        _review_data(proposal.branch, "comment", "", [(9, "", "Say what a key is for.")]),
    )

    assert response.status_code == 302
    comment = ReviewComment.objects.get()
    assert comment.quote == "A key answers."
    html = _page(client, proposal).content.decode()
    assert "Say what a key is for." in html
    assert "A key answers." in html and "on line 9 of the branch" in html


def test_inline_comment_lines_outside_the_branch_are_refused(client, document, author, reviewer):
    proposal = _open(document, author)

    response = _post(
        _client(client, reviewer),
        "proposal-review",
        proposal,
        _review_data(proposal.branch, "comment", "", [(8, 40, "Too far.")]),
    )

    assert response.status_code == 400
    assert "The branch has 9 lines." in response.content.decode()
    assert not Review.objects.exists()


def test_inline_comments_on_a_branch_that_changed_meanwhile_are_refused(
    client, document, author, reviewer
):
    proposal = _open(document, author)
    data = _review_data(proposal.branch, "comment", "", [(9, "", "Why?")])
    _rewrite(proposal.branch, author, TEXT.replace("A key answers.", "A key is matched."))

    response = _post(_client(client, reviewer), "proposal-review", proposal, data)

    assert response.status_code == 400
    assert "The branch changed while you were reviewing" in response.content.decode()
    assert not Review.objects.exists()


def test_the_author_cannot_review_their_own_proposal(client, document, author):
    proposal = _open(document, author)
    client = _client(client, author)

    assert "Review these changes" not in _page(client, proposal).content.decode()
    response = _post(client, "proposal-review", proposal, _review_data(proposal.branch, "approve"))
    assert response.status_code == 403
    assert "You cannot review your own proposal." in response.content.decode()
    assert not Review.objects.exists()


def test_the_author_marks_a_review_helpful(client, document, author, reviewer):
    proposal = _open(document, author)
    review = reviews.review_submit(proposal=proposal, user=reviewer, verdict="comment", body="Hm")

    response = _client(client, author).post(
        reverse("contributions:proposal-review-helpful", args=[proposal.pk, review.pk]),
        {"helpful": "1"},
    )

    assert response.status_code == 302
    review.refresh_from_db()
    assert review.helpful
    assert "Unmark as helpful" in _page(client, proposal).content.decode()


# --- reviewers and co-authors ---------------------------------------------------------------------


def test_the_author_asks_for_a_reviewer_by_name(client, document, author, reviewer):
    proposal = _open(document, author)
    client = _client(client, author)

    response = _post(client, "proposal-reviewers", proposal, {"usernames": "@rui"})

    assert response.status_code == 302
    html = _page(client, proposal).content.decode()
    assert "asked rui for a review" in html
    assert "review pending" in html


def test_asking_an_unknown_person_shows_the_name_and_asks_nobody(client, document, author):
    proposal = _open(document, author)

    response = _post(
        _client(client, author), "proposal-reviewers", proposal, {"usernames": "nobody-here"}
    )

    assert response.status_code == 400
    assert "No such person: nobody-here." in response.content.decode()
    assert not proposal.reviewers.exists()


def test_a_reader_assigns_themselves_as_reviewer(client, document, author, reviewer):
    proposal = _open(document, author)
    client = _client(client, reviewer)
    assert "Review it yourself" in _page(client, proposal).content.decode()

    response = _post(client, "proposal-self-review", proposal)

    assert response.status_code == 302
    assert proposal.reviewers.filter(user=reviewer).exists()
    assert "Review it yourself" not in _page(client, proposal).content.decode()


def test_the_author_invites_a_co_author_who_may_then_edit_the_branch(client, document, author):
    proposal = _open(document, author)
    friend = UserFactory(username="grace")

    response = _post(_client(client, author), "proposal-co-author", proposal, {"username": "grace"})

    assert response.status_code == 302
    page = _page(_client(client, friend), proposal).content.decode()
    assert "co-author" in page
    assert "Edit the branch live" in page


# --- merging --------------------------------------------------------------------------------------


def test_the_merge_button_is_disabled_with_its_reasons_until_approved(
    client, document, owner, author
):
    proposal = _open(document, author)
    html = _page(_client(client, owner), proposal).content.decode()

    assert re.search(r'class="merge-button"\s+disabled', html)
    assert "It needs 1 approval from reviewers; it has 0." in html

    response = _post(client, "proposal-merge", proposal)
    assert response.status_code == 302
    assert "It needs 1 approval" in " ".join(_messages(client.get(response["Location"])))
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.OPEN


def test_merging_an_approved_proposal_changes_the_document(
    client, document, owner, author, reviewer
):
    proposal = _open(document, author)
    _rewrite(
        proposal.branch, author, TEXT.replace("A key answers.", "A key is what a query matches.")
    )
    reviews.review_submit(proposal=proposal, user=reviewer, verdict="approve")
    client = _client(client, owner)
    html = _page(client, proposal).content.decode()
    assert "Ready to merge" in html
    assert "A key is what a query matches." in html  # in the diff

    response = _post(client, "proposal-merge", proposal)

    assert response.status_code == 302
    document.refresh_from_db()
    assert "A key is what a query matches." in document.content
    assert "A key answers." not in document.content
    page = client.get(response["Location"])
    assert 'data-state="merged"' in page.content.decode()
    assert f"the document is at revision {document.revision}" in " ".join(_messages(page))


def test_a_learner_may_not_merge_and_gets_a_403(client, document, author, reviewer):
    proposal = _open(document, author)
    reviews.review_submit(proposal=proposal, user=reviewer, verdict="approve")
    learner = UserFactory(role=Role.LEARNER)

    response = _post(_client(client, learner), "proposal-merge", proposal)

    assert response.status_code == 403
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.APPROVED


def test_a_conflict_shows_both_sides_and_rebasing_marks_it_in_the_branch(
    client, document, owner, author, reviewer
):
    proposal = _open(document, author)
    _rewrite(proposal.branch, author, TEXT.replace("A key answers.", "A key is matched."))
    _rewrite(document, owner, TEXT.replace("A key answers.", "A key replies."))
    reviews.review_submit(proposal=proposal, user=reviewer, verdict="approve")
    client = _client(client, author)

    html = _page(client, proposal).content.decode()
    assert "Conflict 1" in html
    assert "A key is matched." in html and "A key replies." in html
    assert "Bring the branch up to date" in html

    response = _post(client, "proposal-rebase", proposal)

    assert response.status_code == 302
    proposal.branch.refresh_from_db()
    branch_text = proposal.branch.content
    assert "<<<<<<<" in branch_text and ">>>>>>>" in branch_text
    assert "A key is matched." in branch_text and "A key replies." in branch_text
    page = client.get(response["Location"])
    assert "1 conflict marked" in " ".join(_messages(page))
    assert "The branch still holds conflict markers" in page.content.decode()


def test_close_and_reopen(client, document, author):
    proposal = _open(document, author)
    client = _client(client, author)

    _post(client, "proposal-close", proposal)
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.CLOSED
    assert "Reopen" in _page(client, proposal).content.decode()

    _post(client, "proposal-reopen", proposal)
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.OPEN


def test_reopening_an_open_proposal_comes_back_with_the_reason(client, document, author):
    proposal = _open(document, author)
    client = _client(client, author)

    response = _post(client, "proposal-reopen", proposal)

    assert response.status_code == 302
    assert "Only a closed proposal can be reopened." in " ".join(
        _messages(client.get(response["Location"]))
    )


def test_editing_the_title_keeps_a_blank_one_out(client, document, author):
    proposal = _open(document, author)
    client = _client(client, author)

    response = _post(client, "proposal-edit", proposal, {"title": "", "description": "d"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()

    _post(client, "proposal-edit", proposal, {"title": "Keys, explained", "description": "d"})
    proposal.refresh_from_db()
    assert proposal.title == "Keys, explained"
    assert "edited the title and description" in _page(client, proposal).content.decode()


# --- changes and checks ---------------------------------------------------------------------------


def test_the_diff_shows_inline_or_side_by_side(client, document, author):
    proposal = _open(document, author)
    _rewrite(proposal.branch, author, TEXT.replace("A query asks.", "A query asks politely."))
    client = _client(client, author)

    inline = _page(client, proposal).content.decode()
    assert re.search(r'data-diff="inline" role="table"[^>]*aria-label="Changes, inline">', inline)
    assert re.search(r'data-diff="split"[^>]*hidden>', inline)
    assert "A query asks politely." in inline

    split = _page(client, proposal, view="split").content.decode()
    assert re.search(r'data-diff="inline"[^>]*hidden>', split)
    assert not re.search(r'data-diff="split"[^>]*hidden>', split)
    assert "1 line added" in split and "1 removed" in split


def test_the_checks_section_shows_the_branchs_latest_score(client, document, author):
    proposal = _open(document, author)
    CheckRunFactory(
        document=proposal.branch,
        revision=proposal.branch.revision,
        score=73,
        results=[
            {"name": "structure", "title": "Markdown structure", "status": "warn",
             "summary": "An empty section.", "details": [{"line": 3, "message": "Empty."}]},
        ],
    )  # fmt: skip

    html = _page(_client(client, author), proposal).content.decode()

    assert "73/100" in html and "Markdown structure" in html and "An empty section." in html
    assert reverse("contributions:checks", args=[proposal.branch.slug]) in html


# --- lists ----------------------------------------------------------------------------------------


def test_the_documents_list_filters_by_state_and_author(client, document, author, reviewer):
    keys = _open(document, author, title="Explain keys better")
    _open(document, reviewer, title="Fix a typo")
    _open(document, reviewer, title="Secret draft", draft=True)
    lifecycle.proposal_close(proposal=keys, user=author)
    client = _client(client, author)
    url = reverse("contributions:proposals", args=[document.slug])

    open_page = client.get(url).content.decode()
    assert "Fix a typo" in open_page
    assert "Explain keys better" not in open_page
    assert "Secret draft" not in open_page

    closed = client.get(url, {"state": "closed"}).content.decode()
    assert "Explain keys better" in closed and "Fix a typo" not in closed

    by_ada = client.get(url, {"state": "all", "author": "ada"}).content.decode()
    assert "Explain keys better" in by_ada and "Fix a typo" not in by_ada

    assert "Secret draft" not in client.get(url, {"state": "draft"}).content.decode()


def test_the_list_of_every_proposal_pages_newest_first(client, document, author, settings):
    for number in range(23):
        _open(document, author, title=f"Change number {number}")
    client = _client(client, author)
    url = reverse("contributions:proposals-all")

    first = client.get(url).content.decode()
    assert "Change number 22" in first and "Change number 3 " not in first
    assert first.index("Change number 22") < first.index("Change number 21")
    second = client.get(url, {"page": 2}).content.decode()
    assert "Change number 0<" in second
    assert client.get(url, {"page": "many"}).status_code == 200
    other = DocumentFactory(slug="other")
    assert "Change number" not in client.get(url, {"document": other.slug}).content.decode()


# --- merge rules ----------------------------------------------------------------------------------


def test_the_owner_sets_the_merge_rules(client, document, owner, author, reviewer):
    proposal = _open(document, author)
    reviews.review_submit(proposal=proposal, user=reviewer, verdict="approve")
    url = reverse("contributions:proposal-settings", args=[document.slug])
    client = _client(client, owner)
    assert client.get(url).status_code == 200

    response = client.post(url, {"required_approvals": "2"})

    assert response.status_code == 302
    rules = ProposalSettings.objects.get(document=document)
    assert rules.required_approvals == 2 and not rules.dismiss_stale_approvals
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.OPEN  # one approval of two


def test_merge_rules_refuse_bad_numbers_and_other_people(client, document, author):
    url = reverse("contributions:proposal-settings", args=[document.slug])

    assert _client(client, author).post(url, {"required_approvals": "1"}).status_code == 403

    client.force_login(document.owner)
    response = client.post(url, {"required_approvals": "99"})
    assert response.status_code == 400
    assert "less than or equal to 10" in response.content.decode()
    assert not ProposalSettings.objects.exists()


# --- panels ---------------------------------------------------------------------------------------


def test_the_document_page_lists_open_proposals_and_offers_to_propose(client, document, author):
    _open(document, author, title="Explain keys better")
    page = client.get(document.get_absolute_url()).content.decode()

    assert "Proposed changes" in page and "Explain keys better" in page
    assert "Log in to propose a change" in page

    page = _client(client, author).get(document.get_absolute_url()).content.decode()
    assert reverse("contributions:proposal-new", args=[document.slug]) in page


def test_the_branch_editor_links_back_to_its_proposal(client, document, author):
    proposal = _open(document, author)

    editor = reverse("collaboration:edit", args=[proposal.branch.slug])
    page = _client(client, author).get(editor).content.decode()

    detail = reverse("contributions:proposal", args=[proposal.pk])
    assert f'This is the branch of proposal <a href="{detail}">#1' in page
    assert "Back to the proposal" in page


# --- phones ---------------------------------------------------------------------------------------


def test_the_page_fits_a_phone(client, document, author):
    proposal = _open(document, author)
    _rewrite(proposal.branch, author, TEXT + "\nA new closing line.\n")

    html = _page(_client(client, author), proposal).content.decode()

    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "css/proposals.css" in html
    assert not re.search(r'style="[^"]*width', html)  # no fixed widths in the markup
    css = (Path(settings.BASE_DIR) / "static" / "css" / "proposals.css").read_text()
    assert not re.search(r"(?<![-\w])(min-)?width:\s*\d+px", css)
    assert "@media (max-width: 40rem)" in css  # the side-by-side diff stacks on phones


def test_line_offsets_are_code_points_of_whole_lines():
    text = "ä\nbé 🙂\n\nend"
    start, end = line_offsets(text, 2, 2)
    assert text[start:end] == "bé 🙂"
    start, end = line_offsets(text, 1, 4)
    assert text[start:end] == text


def test_the_timeline_lists_events_in_order(client, document, author, reviewer):
    proposal = _open(document, author)
    lifecycle.reviewer_request(proposal=proposal, user=author, usernames=["rui"])
    reviews.review_submit(proposal=proposal, user=reviewer, verdict="approve", body="Good")

    html = _page(_client(client, author), proposal).content.decode()

    assert ProposalEvent.objects.filter(proposal=proposal).count() == 3
    opened = html.index("opened the proposal")
    asked = html.index("asked rui for a review")
    approved = html.index("approved these changes")
    assert opened < asked < approved


def test_the_pages_live_refresh_leaves_the_persons_message_for_their_next_page(
    client, document, author
):
    proposal = _open(document, author)
    client = _client(client, author)
    redirect = _post(client, "proposal-close", proposal)

    background = client.get(redirect["Location"], headers={"X-Proposal-Live": "1"})
    assert background.status_code == 200

    shown = client.get(redirect["Location"])
    assert "The proposal is closed." in _messages(shown)
    assert "The proposal is closed." not in _messages(client.get(redirect["Location"]))


def test_a_proposal_from_an_answer_links_back_to_it(client, document, author):
    proposal = _open(document, author, origin="answer:42")

    html = _page(_client(client, author), proposal).content.decode()

    answer = reverse("community:answer-link", args=[42])
    assert f'from <a href="{answer}">an accepted answer</a>' in html
