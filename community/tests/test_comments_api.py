"""Comments on documents through the REST API: threads, replies, edits with history,
deletion, resolving, moderators' powers, and who sees what."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration import services as docs
from collaboration.models import EditPolicy, Visibility
from community.models import Comment, CommentEvent, CommentRevision, HiddenReason

pytestmark = pytest.mark.django_db

TEXT = "# Attention\n\nSoftmax turns scores into weights.\nThen multiply by V.\n"


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def owner():
    return UserFactory(username="owner")


@pytest.fixture
def alice():
    return UserFactory(username="alice")


@pytest.fixture
def bob():
    return UserFactory(username="bob")


@pytest.fixture
def moderator():
    return UserFactory(username="mo", role=Role.MODERATOR)


@pytest.fixture
def document(owner):
    return docs.document_create(owner=owner, title="Attention", content=TEXT)


def url(document) -> str:
    return f"/api/documents/{document.pk}/comments"


def post_comment(user, document, **body):
    return client_for(user).post(url(document), {"content": "Nice.", **body}, format="json")


def threads(user, document, query: str = "") -> list[dict]:
    response = client_for(user).get(f"{url(document)}{query}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- starting threads --------------------------------------------------------------------------


def test_a_general_comment_starts_a_thread_everyone_reads(document, alice):
    response = post_comment(alice, document, content="  Could this cite the paper?  ")

    assert response.status_code == 201, response.content
    thread = response.json()
    assert thread["content"] == "Could this cite the paper?"
    assert thread["content_html"] == "<p>Could this cite the paper?</p>\n"
    assert thread["comment_type"] == "general"
    assert thread["anchor"] is None
    assert thread["author"] == {"id": alice.pk, "username": "alice"}
    assert thread["thread_id"] == thread["id"] and thread["parent_id"] is None
    assert thread["status"] == "open" and thread["replies"] == []
    assert thread["can"] == {"edit": True, "delete": True, "resolve": True, "reply": True}
    # Anonymous readers of a public document see it, and may do nothing.
    (listed,) = threads(None, document)
    assert listed["id"] == thread["id"]
    assert listed["can"] == {"edit": False, "delete": False, "resolve": False, "reply": False}


def test_an_inline_comment_anchors_a_passage_and_quotes_it(document, alice):
    start = TEXT.index("Softmax")
    response = post_comment(
        alice, document, comment_type="inline", range={"start": start, "end": start + 7}
    )

    assert response.status_code == 201, response.content
    thread = response.json()
    assert thread["anchor"] == {
        "start": start,
        "end": start + 7,
        "revision": 0,
        "text": "Softmax",
        "quote": "Softmax",
        "outdated": False,
    }
    assert thread["position"] == start
    assert thread["line_number"] == 3


def test_a_range_given_as_start_and_end_makes_an_inline_comment(document, alice):
    response = post_comment(alice, document, start=2, end=11)
    assert response.status_code == 201, response.content
    assert response.json()["comment_type"] == "inline"
    assert response.json()["anchor"]["text"] == "Attention"


def test_a_position_alone_anchors_at_a_point(document, alice):
    response = post_comment(alice, document, comment_type="inline", position=5)

    assert response.status_code == 201, response.content
    anchor = response.json()["anchor"]
    assert (anchor["start"], anchor["end"], anchor["text"], anchor["quote"]) == (5, 5, "", "")
    assert anchor["outdated"] is False


def test_a_range_at_an_older_revision_is_moved_to_the_current_text(document, owner, alice):
    result = docs.document_apply_operation(
        document_id=document.pk,
        user=owner,
        base_revision=0,
        client_op_id="intro",
        ops=["Intro.\n", len(TEXT)],
    )
    assert result.committed
    start = TEXT.index("Softmax")

    response = post_comment(alice, document, range={"start": start, "end": start + 7}, revision=0)

    anchor = response.json()["anchor"]
    assert (anchor["start"], anchor["end"], anchor["revision"]) == (start + 7, start + 14, 1)
    assert anchor["text"] == anchor["quote"] == "Softmax"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"range": {"start": 0, "end": len(TEXT) + 1}}, "range"),
        ({"range": {"start": 5, "end": 4}}, "range"),
        ({"range": {"start": -1, "end": 4}}, "range"),
        ({"range": {"start": "1", "end": 4}}, "range"),
        ({"start": 3}, "range"),
        ({"position": len(TEXT) + 1}, "position"),
        ({"range": {"start": 0, "end": 3}, "revision": 7}, "revision"),
        ({"range": {"start": 0, "end": 3}, "start": 0, "end": 3}, "range"),
        ({"comment_type": "general", "range": {"start": 0, "end": 3}}, "range"),
        ({"comment_type": "inline"}, "range"),
        ({"comment_type": "sideways"}, "comment_type"),
        ({"content": "   "}, "content"),
        ({"content": "x" * 10_001}, "content"),
        ({"content": None}, "content"),
        ({"line_number": 99}, "line_number"),
    ],
)
def test_bad_input_is_a_400_on_its_field_and_writes_nothing(document, alice, body, field):
    response = post_comment(alice, document, **body)

    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not Comment.objects.exists()
    assert not CommentEvent.objects.exists()


def test_a_revision_the_log_no_longer_reaches_is_a_409(document, owner, alice, settings):
    settings.SNAPSHOT_EVERY = 2
    for n in range(5):
        docs.document_apply_operation(
            document_id=document.pk, user=owner, base_revision=n, client_op_id=f"e{n}",
            simple={"operation": "insert", "position": 0, "text": "x"},
        )  # fmt: skip
    assert docs.operations_prune(document_id=document.pk, keep=1) > 0

    response = post_comment(alice, document, range={"start": 0, "end": 2}, revision=1)

    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "revision_too_old"
    assert "Reload the document" in response.json()["error"]["message"]
    assert not Comment.objects.exists()


def test_anonymous_people_cannot_comment_or_change_comments(document, alice):
    thread = post_comment(alice, document, content="Mine").json()
    anonymous = client_for()
    path = f"/api/comments/{thread['id']}"

    assert anonymous.post(url(document), {"content": "Hi"}, format="json").status_code == 401
    assert anonymous.post(f"{path}/replies", {"content": "Hi"}).status_code == 401
    assert anonymous.patch(path, {"content": "Mine now"}).status_code == 401
    assert anonymous.delete(path).status_code == 401
    assert anonymous.post(f"{path}/resolve").status_code == 401
    assert anonymous.get(path).json()["content"] == "Mine"  # reading a public document is fine
    assert Comment.objects.count() == 1 and Comment.objects.get().status == "open"


def test_a_suspended_person_cannot_comment(document, alice):
    alice.suspended_until = timezone.now() + timezone.timedelta(days=1)
    alice.save()
    assert post_comment(alice, document).status_code == 403
    assert not Comment.objects.exists()


def test_a_document_you_cannot_read_has_no_comments_at_all(owner, alice):
    private = docs.document_create(
        owner=owner, title="Private", content="secret", visibility=Visibility.PRIVATE
    )
    comment = post_comment(owner, private, content="note to self")
    assert comment.status_code == 201
    comment_id = comment.json()["id"]
    stranger = client_for(alice)

    assert stranger.get(url(private)).status_code == 404
    assert post_comment(alice, private).status_code == 404
    assert stranger.get(f"/api/comments/{comment_id}").status_code == 404
    assert stranger.get(f"/api/comments/{comment_id}/revisions").status_code == 404
    assert (
        stranger.post(f"/api/comments/{comment_id}/replies", {"content": "hi"}).status_code == 404
    )
    assert stranger.patch(f"/api/comments/{comment_id}", {"content": "x"}).status_code == 404
    assert stranger.delete(f"/api/comments/{comment_id}").status_code == 404
    assert stranger.post(f"/api/comments/{comment_id}/resolve").status_code == 404
    assert Comment.objects.count() == 1
    assert client_for(None).get(f"/api/documents/{private.slug}/comments").status_code == 404


def test_the_document_may_be_named_by_slug(document, alice):
    response = client_for(alice).post(
        f"/api/documents/{document.slug}/comments", {"content": "By slug"}, format="json"
    )
    assert response.status_code == 201
    assert threads(alice, document)[0]["content"] == "By slug"


# --- replies -----------------------------------------------------------------------------------


def test_replies_join_the_thread_oldest_first_even_when_replying_to_a_reply(document, alice, bob):
    root = post_comment(alice, document, content="Question?").json()
    first = client_for(bob).post(f"/api/comments/{root['id']}/replies", {"content": "Answer."})
    assert first.status_code == 201, first.content
    assert first.json()["parent_id"] == root["id"] == first.json()["thread_id"]
    second = client_for(alice).post(
        f"/api/comments/{first.json()['id']}/replies", {"content": "Thanks!"}
    )
    assert second.json()["parent_id"] == root["id"]

    (thread,) = threads(bob, document)
    assert [r["content"] for r in thread["replies"]] == ["Answer.", "Thanks!"]
    assert [r["can"]["edit"] for r in thread["replies"]] == [True, False]
    assert all(r["anchor"] is None for r in thread["replies"])


def test_an_empty_reply_is_refused(document, alice):
    root = post_comment(alice, document).json()
    response = client_for(alice).post(f"/api/comments/{root['id']}/replies", {"content": " "})
    assert response.status_code == 400
    assert Comment.objects.count() == 1


# --- editing -----------------------------------------------------------------------------------


def test_editing_keeps_the_previous_wordings(document, alice):
    comment = post_comment(alice, document, content="Frist!").json()
    client = client_for(alice)

    edited = client.patch(f"/api/comments/{comment['id']}", {"content": "First."})
    client.patch(f"/api/comments/{comment['id']}", {"content": "First!"})

    assert edited.status_code == 200, edited.content
    assert edited.json()["content"] == "First." and edited.json()["edited_at"]
    history = client.get(f"/api/comments/{comment['id']}/revisions").json()
    assert [r["content"] for r in history["results"]] == ["First.", "Frist!"]
    assert history["results"][0]["edited_by"]["username"] == "alice"
    # The same wording again is no edit at all.
    client.patch(f"/api/comments/{comment['id']}", {"content": "First!"})
    assert CommentRevision.objects.count() == 2


def test_only_the_author_or_a_moderator_edits(document, alice, bob, moderator, owner):
    comment = post_comment(alice, document, content="Mine").json()
    path = f"/api/comments/{comment['id']}"

    for other in (bob, owner):
        refused = client_for(other).patch(path, {"content": "Yours now"})
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"
    assert client_for(moderator).patch(path, {"content": "Tidied"}).status_code == 200
    assert Comment.objects.get().content == "Tidied"
    assert Comment.objects.get().edited_by == moderator


# --- deleting ----------------------------------------------------------------------------------


def test_authors_document_owners_and_moderators_delete(document, owner, alice, bob, moderator):
    ids = [post_comment(alice, document, content=f"c{n}").json()["id"] for n in range(4)]

    assert client_for(bob).delete(f"/api/comments/{ids[0]}").status_code == 403
    assert client_for(alice).delete(f"/api/comments/{ids[0]}").status_code == 204
    assert client_for(owner).delete(f"/api/comments/{ids[1]}").status_code == 204
    assert client_for(moderator).delete(f"/api/comments/{ids[2]}").status_code == 204

    assert [t["id"] for t in threads(bob, document)] == [ids[3]]
    # Gone for everyone but moderators, who see what was deleted.
    assert client_for(alice).get(f"/api/comments/{ids[0]}").status_code == 404
    seen = {t["id"]: t for t in threads(moderator, document)}
    assert seen[ids[0]]["is_deleted"] and seen[ids[0]]["content"] == "c0"


def test_a_deleted_thread_with_replies_stays_as_a_placeholder(document, alice, bob):
    root = post_comment(alice, document, content="Start").json()
    client_for(bob).post(f"/api/comments/{root['id']}/replies", {"content": "Reply"})
    assert client_for(alice).delete(f"/api/comments/{root['id']}").status_code == 204

    (thread,) = threads(bob, document)
    assert thread["is_deleted"] and thread["content"] == "" and thread["author"] is None
    assert [r["content"] for r in thread["replies"]] == ["Reply"]
    assert thread["can"]["reply"] is False
    refused = client_for(bob).post(f"/api/comments/{root['id']}/replies", {"content": "More"})
    assert refused.status_code == 404  # the deleted comment itself is not there for bob


# --- resolving ---------------------------------------------------------------------------------


@pytest.fixture
def members_only(owner, alice, bob):
    """A public document only its members edit: bob reads it but may not edit."""
    document = docs.document_create(
        owner=owner, title="Reviewed", content=TEXT, edit_policy=EditPolicy.MEMBERS
    )
    docs.document_member_set(document=document, username="alice", role="editor", by=owner)
    return document


def test_the_author_editors_and_moderators_resolve_and_reopen(
    members_only, owner, alice, bob, moderator
):
    thread = post_comment(bob, members_only, content="Typo here").json()
    path = f"/api/comments/{thread['id']}"

    resolved = client_for(alice).post(f"{path}/resolve")  # an editor of the document
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolved_by"]["username"] == "alice"
    assert resolved.json()["resolved_at"]
    assert threads(bob, members_only, "?status=open") == []
    assert client_for(bob).post(f"{path}/reopen").json()["status"] == "open"  # its author
    assert client_for(moderator).post(f"{path}/resolve").json()["status"] == "resolved"
    reopened = client_for(owner).post(f"{path}/reopen").json()
    assert reopened["resolved_by"] is None and reopened["resolved_at"] is None


def test_a_reader_who_may_not_edit_cannot_resolve_someone_elses_thread(members_only, alice):
    reader = UserFactory(username="reader")
    thread = post_comment(alice, members_only).json()
    assert threads(reader, members_only)[0]["can"]["resolve"] is False

    refused = client_for(reader).post(f"/api/comments/{thread['id']}/resolve")

    assert refused.status_code == 403
    assert Comment.objects.get().status == "open"


def test_only_threads_are_resolved_not_replies(document, alice):
    root = post_comment(alice, document).json()
    reply = client_for(alice).post(f"/api/comments/{root['id']}/replies", {"content": "r"})

    refused = client_for(alice).post(f"/api/comments/{reply.json()['id']}/resolve")

    assert refused.status_code == 409
    assert str(root["id"]) in refused.json()["error"]["message"]


def test_resolving_twice_changes_nothing(document, alice):
    root = post_comment(alice, document).json()
    client = client_for(alice)
    client.post(f"/api/comments/{root['id']}/resolve")
    first = Comment.objects.get().resolved_at
    assert client.post(f"/api/comments/{root['id']}/resolve").status_code == 200
    assert Comment.objects.get().resolved_at == first
    assert CommentEvent.objects.filter(kind="resolved").count() == 1


# --- moderation: locked and hidden -------------------------------------------------------------


def test_a_locked_thread_takes_no_replies_or_edits_except_from_moderators(
    document, alice, bob, moderator
):
    root = post_comment(alice, document).json()
    Comment.objects.filter(pk=root["id"]).update(is_locked=True)
    path = f"/api/comments/{root['id']}"

    refused = client_for(bob).post(f"{path}/replies", {"content": "More"})
    assert refused.status_code == 409
    assert "locked" in refused.json()["error"]["message"]
    assert client_for(alice).patch(path, {"content": "Edit"}).status_code == 409
    assert client_for(alice).delete(path).status_code == 409
    (thread,) = threads(alice, document)
    assert thread["can"] == {"edit": False, "delete": False, "resolve": True, "reply": False}
    assert client_for(moderator).post(f"{path}/replies", {"content": "Closing."}).status_code == 201


def test_a_hidden_comment_is_a_placeholder_except_for_its_author_and_moderators(
    document, alice, bob, moderator
):
    root = post_comment(alice, document, content="Buy pills").json()
    Comment.objects.filter(pk=root["id"]).update(
        is_hidden=True, hidden_reason=HiddenReason.SPAM_FLAGS
    )

    (seen_by_bob,) = threads(bob, document)
    assert seen_by_bob["is_hidden"] and seen_by_bob["content"] == ""
    assert seen_by_bob["author"] is None and seen_by_bob["can"]["reply"] is False
    assert client_for(bob).get(f"/api/comments/{root['id']}").status_code == 404
    assert threads(alice, document)[0]["content"] == "Buy pills"
    assert threads(moderator, document)[0]["content"] == "Buy pills"


# --- listing -----------------------------------------------------------------------------------


def test_threads_filter_by_status_and_type_and_paginate(document, alice):
    general = post_comment(alice, document, content="General").json()
    inline = post_comment(alice, document, content="Inline", position=0).json()
    client_for(alice).post(f"/api/comments/{general['id']}/resolve")

    assert [t["id"] for t in threads(alice, document, "?status=open")] == [inline["id"]]
    assert [t["id"] for t in threads(alice, document, "?status=resolved")] == [general["id"]]
    assert len(threads(alice, document, "?status=all")) == 2
    assert [t["id"] for t in threads(alice, document, "?comment_type=inline")] == [inline["id"]]
    page = client_for(alice).get(f"{url(document)}?page_size=1").json()
    assert page["count"] == 2 and len(page["results"]) == 1 and page["next"]
    bad = client_for(alice).get(f"{url(document)}?status=closed")
    assert bad.status_code == 400 and "status" in bad.json()["error"]["fields"]


def test_listing_costs_the_same_few_queries_however_many_threads(
    document, alice, bob, django_assert_max_num_queries
):
    def add_threads(count):
        for n in range(count):
            root = post_comment(alice, document, content=f"t{n}", range={"start": n, "end": n + 3})
            for _ in range(3):
                client_for(bob).post(f"/api/comments/{root.json()['id']}/replies", {"content": "r"})

    add_threads(2)
    client = client_for(bob)
    with django_assert_max_num_queries(12) as few:
        assert client.get(url(document)).status_code == 200
    queries_for_two = len(few)
    add_threads(15)
    docs.document_apply_operation(  # the hook has not moved them yet: moved on read
        document_id=document.pk, user=alice, base_revision=0, client_op_id="x",
        simple={"operation": "insert", "position": 0, "text": "Hi "},
    )  # fmt: skip
    with django_assert_max_num_queries(queries_for_two + 1):  # + reading the log
        response = client.get(url(document))
    assert len(response.json()["results"]) == 17
    assert all(len(t["replies"]) == 3 for t in response.json()["results"])
