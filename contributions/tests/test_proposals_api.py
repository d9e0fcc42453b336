"""Proposals over REST, end to end: a branch to edit, reviews, the merge rules, a three-way
merge committed through the edit service, conflicts and rebase, and who may do what."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from collaboration.models import Document, EditSource, Operation, Visibility
from collaboration.services import document_update_metadata
from contributions.models import Proposal, ProposalState, ReviewComment
from contributions.proposals import merging

from .factories_proposals import edit_text, make_document, replace_in, reviewer

pytestmark = pytest.mark.django_db


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs a block and then what it left for after the commit (the post-commit hook,
    notices), as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def owner():
    return UserFactory()


@pytest.fixture
def document(owner):
    return make_document(owner=owner)


@pytest.fixture
def author():
    return UserFactory()


def open_proposal(author, document, committed, **extra) -> dict:
    with committed():
        response = client_for(author).post(
            "/api/proposals",
            {"document_id": document.slug, "title": "Explain the scaling", **extra},
            format="json",
        )
    assert response.status_code == 201, response.content
    return response.json()


def branch_of(data: dict) -> Document:
    return Document.objects.get(pk=data["branch"]["id"])


def approve(proposal_id: int, person, committed) -> None:
    with committed():
        response = client_for(person).post(
            f"/api/proposals/{proposal_id}/reviews", {"verdict": "approve"}, format="json"
        )
    assert response.status_code == 201, response.content


def test_a_proposal_makes_a_private_branch_that_opens_to_readers_when_ready(
    document, author, committed
):
    data = open_proposal(author, document, committed, draft=True)
    branch = branch_of(data)
    assert branch.content == document.content and branch.branch_of_id == document.pk
    assert data["state"] == "draft" and data["number"] == 1
    stranger = UserFactory()
    assert client_for(stranger).get(f"/api/proposals/{data['id']}").status_code == 404
    assert client_for(stranger).get(f"/api/documents/{branch.slug}/").status_code == 404
    # Ready for review: readers of the document may read the branch, not edit it.
    with committed():
        response = client_for(author).patch(
            f"/api/proposals/{data['id']}", {"state": "open"}, format="json"
        )
    assert response.json()["state"] == "open"
    assert client_for(stranger).get(f"/api/documents/{branch.slug}/").status_code == 200
    assert client_for(stranger).get(f"/api/proposals/{data['id']}").json()["can"] == {
        "change": False,
        "review": True,
        "merge": False,
        "edit_branch": False,
    }
    detail = client_for(author).get(f"/api/documents/{branch.slug}/").json()
    assert detail["branch_of"] == {"id": document.pk, "slug": document.slug}
    assert detail["can_edit"] is True
    # Its access is the proposal's: the author cannot make it public or delete it.
    widen = client_for(author).patch(
        f"/api/documents/{branch.slug}/", {"visibility": "public"}, format="json"
    )
    assert widen.status_code == 400
    assert client_for(author).delete(f"/api/documents/{branch.slug}/").status_code == 403
    # Branches are never listed as documents.
    listed = client_for(stranger).get("/api/documents/").json()
    slugs = {item["slug"] for item in listed.get("results", listed)}
    assert document.slug in slugs and branch.slug not in slugs


def test_review_approval_and_merge_commit_one_revision_credited_to_the_author(
    document, author, committed
):
    data = open_proposal(author, document, committed)
    branch = branch_of(data)
    with committed():
        replace_in(branch, author, "with its query.", "with its query, scaled by 1/√d.")
    merger = reviewer()
    refused = client_for(merger).post(f"/api/proposals/{data['id']}/merge")
    assert refused.status_code == 409
    assert "approval" in refused.json()["error"]["message"]
    approve(data["id"], merger, committed)
    assert Proposal.objects.get(pk=data["id"]).state == ProposalState.APPROVED
    with committed():
        response = client_for(merger).post(f"/api/proposals/{data['id']}/merge")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "merged"
    document.refresh_from_db()
    assert "scaled by 1/√d." in document.content
    merge_op = Operation.objects.get(document=document, revision=document.revision)
    assert merge_op.source == EditSource.MERGE
    assert merge_op.user_id == author.pk and merge_op.actor_id == merger.pk
    assert response.json()["merged_revision"] == document.revision
    # A second merge changes nothing.
    again = client_for(merger).post(f"/api/proposals/{data['id']}/merge")
    assert again.status_code == 409
    document.refresh_from_db()
    assert Operation.objects.filter(document=document).count() == document.revision


def test_merge_keeps_what_the_document_received_since_the_branch(document, author, committed):
    data = open_proposal(author, document, committed)
    with committed():
        replace_in(branch_of(data), author, "Several heads", "Eight heads")
    with committed():
        replace_in(document, document.owner, "Each token asks", "Every token asks")
    merger = reviewer()
    approve(data["id"], merger, committed)
    with committed():
        response = client_for(merger).post(f"/api/proposals/{data['id']}/merge")
    assert response.status_code == 200, response.content
    document.refresh_from_db()
    assert "Eight heads" in document.content and "Every token asks" in document.content


def test_a_conflict_blocks_the_merge_until_the_author_rebases_and_resolves_it(
    document, author, committed
):
    data = open_proposal(author, document, committed)
    branch = branch_of(data)
    with committed():
        replace_in(branch, author, "by the weights.", "by the attention weights.")
    with committed():
        replace_in(document, document.owner, "by the weights.", "by the softmax weights.")
    merger = reviewer()
    approve(data["id"], merger, committed)
    detail = client_for(merger).get(f"/api/proposals/{data['id']}").json()
    assert detail["merge"]["mergeable"] is False
    (conflict,) = detail["merge"]["conflicts"]
    assert "attention weights" in conflict["ours"] and "softmax weights" in conflict["theirs"]
    assert client_for(merger).post(f"/api/proposals/{data['id']}/merge").status_code == 409

    # Only the writers rebase; the branch then holds both sides between markers.
    assert client_for(merger).post(f"/api/proposals/{data['id']}/rebase").status_code == 403
    with committed():
        rebased = client_for(author).post(f"/api/proposals/{data['id']}/rebase")
    assert rebased.status_code == 200, rebased.content
    branch.refresh_from_db()
    assert merging.has_conflict_markers(branch.content)
    assert "attention weights" in branch.content and "softmax weights" in branch.content
    assert rebased.json()["merge"]["has_conflict_markers"] is True
    # The rebase changed the branch: the approval went stale.
    after = client_for(author).get(f"/api/proposals/{data['id']}").json()
    assert after["merge"]["approvals"] == 0 and after["state"] == "open"

    resolved = branch.content.split(merging.MARK_OURS)[0] + (
        "The answer mixes the values by the attention (softmax) weights.\n"
        + branch.content.split(merging.MARK_THEIRS)[1].split("\n", 1)[1]
    )
    with committed():
        edit_text(branch, author, resolved)
    approve(data["id"], merger, committed)
    with committed():
        response = client_for(merger).post(f"/api/proposals/{data['id']}/merge")
    assert response.status_code == 200, response.content
    document.refresh_from_db()
    assert "by the attention (softmax) weights." in document.content
    assert merging.MARK_OURS not in document.content


def test_request_changes_blocks_until_that_reviewer_approves(document, author, committed):
    data = open_proposal(author, document, committed)
    first, second = reviewer(), reviewer()
    with committed():
        response = client_for(first).post(
            f"/api/proposals/{data['id']}/reviews",
            {"verdict": "request_changes", "body": "Cite the paper."},
            format="json",
        )
    assert response.status_code == 201
    approve(data["id"], second, committed)
    detail = client_for(second).get(f"/api/proposals/{data['id']}").json()
    assert detail["state"] == "changes_requested"
    assert any(first.username in reason for reason in detail["merge"]["reasons"])
    approve(data["id"], first, committed)
    assert client_for(second).get(f"/api/proposals/{data['id']}").json()["state"] == "approved"


def test_required_approvals_follow_the_documents_rule(document, owner, author, committed):
    data = open_proposal(author, document, committed)
    rules = client_for(owner).put(
        f"/api/documents/{document.slug}/proposal-rules",
        {"required_approvals": 2},
        format="json",
    )
    assert rules.status_code == 200 and rules.json()["required_approvals"] == 2
    assert (
        client_for(author)
        .put(f"/api/documents/{document.slug}/proposal-rules", {"required_approvals": 0})
        .status_code
        == 403
    )
    approve(data["id"], reviewer(), committed)
    assert client_for(owner).get(f"/api/proposals/{data['id']}").json()["state"] == "open"
    # A learner's approval is recorded but does not count.
    approve(data["id"], UserFactory(), committed)
    assert client_for(owner).get(f"/api/proposals/{data['id']}").json()["state"] == "open"
    approve(data["id"], reviewer(), committed)
    assert client_for(owner).get(f"/api/proposals/{data['id']}").json()["state"] == "approved"


def test_inline_review_comments_follow_the_branch_and_go_outdated(document, author, committed):
    data = open_proposal(author, document, committed)
    branch = branch_of(data)
    start = branch.content.index("Several heads")
    with committed():
        response = client_for(reviewer()).post(
            f"/api/proposals/{data['id']}/reviews",
            {
                "verdict": "comment",
                "comments": [
                    {"start": start, "end": start + len("Several heads"), "body": "How many?"}
                ],
            },
            format="json",
        )
    assert response.status_code == 201, response.content
    with committed():
        replace_in(branch, author, "# Attention", "# Attention, explained")
    comment = ReviewComment.objects.get()
    branch.refresh_from_db()
    assert branch.content[comment.start : comment.end] == "Several heads"
    with committed():
        replace_in(branch, author, "Several heads look", "They look")
    comment.refresh_from_db()
    assert comment.outdated and comment.quote == "Several heads"


def test_bad_input_is_refused_and_changes_nothing(document, author, committed):
    before = Proposal.objects.count()
    assert (
        client_for()
        .post("/api/proposals", {"document_id": document.slug, "title": "x"})
        .status_code
        == 401
    )
    assert (
        client_for(author).post("/api/proposals", {"document_id": document.slug}).status_code == 400
    )
    assert (
        client_for(author)
        .post("/api/proposals", {"document_id": "no-such-doc", "title": "x"})
        .status_code
        == 404
    )
    assert (
        client_for(author)
        .post("/api/proposals", {"document_id": document.slug, "title": "a\x00b"})
        .status_code
        == 400
    )
    assert Proposal.objects.count() == before
    data = open_proposal(author, document, committed)
    own = client_for(author).post(
        f"/api/proposals/{data['id']}/reviews", {"verdict": "approve"}, format="json"
    )
    assert own.status_code == 403
    other = client_for(reviewer())
    assert (
        other.post(
            f"/api/proposals/{data['id']}/reviews", {"verdict": "maybe"}, format="json"
        ).status_code
        == 400
    )
    out_of_range = other.post(
        f"/api/proposals/{data['id']}/reviews",
        {"verdict": "comment", "comments": [{"start": 0, "end": 10**6, "body": "x"}]},
        format="json",
    )
    assert out_of_range.status_code == 400
    assert client_for(author).get("/api/proposals/999999").status_code == 404
    assert client_for(author).get("/api/proposals?state=sideways").status_code == 400


def test_making_the_document_private_takes_its_branch_away_from_readers(
    document, owner, author, committed
):
    data = open_proposal(author, document, committed)
    reader = UserFactory()
    branch = branch_of(data)
    assert client_for(reader).get(f"/api/documents/{branch.slug}/").status_code == 200
    with committed():
        document_update_metadata(document=document, user=owner, visibility=Visibility.PRIVATE)
    assert client_for(reader).get(f"/api/documents/{branch.slug}/").status_code == 404
    assert client_for(reader).get(f"/api/proposals/{data['id']}").status_code == 404
    # The author keeps their branch.
    assert client_for(author).get(f"/api/documents/{branch.slug}/").status_code == 200


def test_list_filters_by_document_state_and_author(document, author, committed):
    first = open_proposal(author, document, committed)
    other_author = UserFactory()
    open_proposal(other_author, document, committed)
    with committed():
        client_for(author).post(f"/api/proposals/{first['id']}/close")
    listing = client_for(author).get(f"/api/proposals?document={document.slug}&state=open").json()
    assert [item["author"] for item in listing["results"]] == [other_author.username]
    closed = client_for(author).get(f"/api/proposals?author={author.username}&state=closed").json()
    assert [item["id"] for item in closed["results"]] == [first["id"]]
    with committed():
        reopened = client_for(author).post(f"/api/proposals/{first['id']}/reopen")
    assert reopened.json()["state"] == "open"
