"""Contribution statistics on profiles and over the API: proposals opened and merged,
reviews, lines written, edits and characters, documents touched. Other people see only the
work on public documents; your own profile counts everything, drafts included."""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration import services
from collaboration.tests.factories import commit_edit
from contributions.proposals import lifecycle, merge, reviews
from contributions.tests import factories_proposals
from contributions.tests.factories_git import git_root  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
TEXT = "# Attention\n\n## Softmax\n\nScores become weights.\n"
PUBLIC_VIEW = {
    "proposals_opened": 2,
    "proposals_merged": 1,
    "reviews_given": 1,
    "proposals_reviewed": 1,
    "lines_written": 2,
    "edits": 2,  # "Hello.\n" typed live, and the merge credited to its author
    "characters_written": len("Hello.\n") + len("Line one.\nLine two.\n"),
    "documents_touched": 1,
    "public_only": True,
}
OWN_VIEW = {
    **PUBLIC_VIEW,
    "proposals_opened": 3,  # and a draft
    "edits": 3,  # and "secret" in a private document
    "characters_written": PUBLIC_VIEW["characters_written"] + len("secret"),
    "documents_touched": 2,
    "public_only": False,
}


@pytest.fixture(autouse=True)
def _repositories_in_tmp(git_root):  # noqa: F811 - the imported fixture
    """Merges commit to the document's Git repository: keep them out of the project."""


def make_document(owner, visibility: str = "public"):
    return factories_proposals.make_document(owner=owner, content=TEXT, visibility=visibility)


def append(document, user, text: str) -> None:
    document.refresh_from_db()
    commit_edit(document, user, [len(document.content), text])


def propose(document, author, added: str = "More.\n", *, draft: bool = False):
    document.refresh_from_db()
    return lifecycle.proposal_create(
        document=document,
        user=author,
        title="Explain softmax",
        content=document.content + added,
        draft=draft,
    )


@pytest.fixture
def person():
    """Someone with work on a public document (an edit, a merged proposal, an open one, a
    draft, a review) and on their own private document (an edit)."""
    person = UserFactory()
    owner, reviewer = UserFactory(), factories_proposals.reviewer()
    public = make_document(owner)
    append(public, person, "Hello.\n")
    merged = propose(public, person, "Line one.\nLine two.\n")
    reviews.review_submit(proposal=merged, user=reviewer, verdict="approve")
    merge.proposal_merge(proposal=merged, user=reviewer)
    propose(public, person)
    propose(public, person, draft=True)
    reviews.review_submit(
        proposal=propose(public, owner), user=person, verdict="comment", body="Clear."
    )
    private = make_document(person, visibility="private")
    append(private, person, "secret")
    return person


def stats_api(username: str, viewer=None):
    client = APIClient()
    if viewer is not None:
        client.force_authenticate(viewer)
    return client.get(f"/api/users/{username}/contributions")


def profile_stats(client, person, viewer=None):
    if viewer is not None:
        client.force_login(viewer)
    response = client.get(reverse("accounts:profile", args=[person.username]))
    assert response.status_code == 200
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html)  # the CSP allows no inline script
    (panel,) = [
        panel
        for panel in response.context["panels"]
        if panel.template == "contributions/proposals/_profile_stats.html"
    ]
    return panel.context["stats"].as_dict(), html


def test_the_api_counts_a_persons_public_work_for_everyone(person):
    for viewer in (None, UserFactory(), UserFactory(role=Role.MODERATOR)):
        response = stats_api(person.username, viewer)
        assert response.status_code == 200
        assert response.json() == {"username": person.username, **PUBLIC_VIEW}


def test_the_api_counts_everything_for_the_person_themselves(person):
    response = stats_api(person.username.upper(), person)

    assert response.json() == {"username": person.username, **OWN_VIEW}


def test_the_profile_shows_the_statistics(client, person):
    stats, html = profile_stats(client, person)

    assert stats == PUBLIC_VIEW
    assert "Contributions to documents" in html
    assert "Proposals merged" in html
    assert "Counting work on public documents only." in html


def test_your_own_profile_counts_private_work_and_drafts(client, person):
    stats, html = profile_stats(client, person, viewer=person)

    assert stats == OWN_VIEW
    assert "other people see only your work on public documents" in html


def test_work_on_a_restricted_document_is_hidden_from_its_members_too(client):
    person, member = UserFactory(), UserFactory()
    restricted = make_document(person, visibility="restricted")
    services.document_member_set(
        document=restricted, username=member.username, role="editor", by=person
    )
    append(restricted, person, "members only")

    stats, html = profile_stats(client, person, viewer=member)

    assert stats["edits"] == 0
    assert stats["documents_touched"] == 0
    assert "No contributions to public documents yet." in html


def test_a_newcomer_is_told_how_contributions_are_counted(client):
    newcomer = UserFactory()

    stats, html = profile_stats(client, newcomer, viewer=newcomer)

    assert set(stats.values()) == {0}
    assert "No contributions yet" in html


def test_a_co_author_counts_the_document_they_helped_change():
    author, helper, reviewer = UserFactory(), UserFactory(), factories_proposals.reviewer()
    document = make_document(UserFactory())
    proposal = propose(document, author)
    lifecycle.co_author_add(proposal=proposal, user=author, username=helper.username)
    reviews.review_submit(proposal=proposal, user=reviewer, verdict="approve")
    merge.proposal_merge(proposal=proposal, user=reviewer)

    body = stats_api(helper.username).json()

    assert body["documents_touched"] == 1
    assert body["proposals_merged"] == 0  # the merge is the author's


@pytest.mark.parametrize("username", ["nobody-here", "a%00b"])
def test_an_unknown_person_is_a_404_in_the_error_shape(username):
    UserFactory(username="somebody")

    response = stats_api(username)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_inactive_account_has_no_statistics():
    gone = UserFactory(is_active=False)

    assert stats_api(gone.username).status_code == 404
