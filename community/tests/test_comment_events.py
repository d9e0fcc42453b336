"""Comment activity: every change writes one CommentEvent and, once it commits, one frame
on the document's topic; a page that reconnects reads what it missed from the backlog."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction
from rest_framework.test import APIClient

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration import services as docs
from collaboration.realtime import publish
from collaboration.tests.conftest import registry_cleanup  # noqa: F401  (a fixture)
from collaboration.tests.live_client import Client, token_for
from community.errors import InvalidInput
from community.models import Comment, CommentEvent
from community.selectors.comments import comment_frames_after
from community.services import comments

pytestmark = pytest.mark.django_db

TEXT = "Attention weighs every token.\n"


@pytest.fixture
def author():
    return UserFactory(username="author")


@pytest.fixture
def document(author):
    return docs.document_create(owner=author, title="Weights", content=TEXT)


@pytest.fixture
def published(monkeypatch):
    """Frames handed to the document topic's publisher, in order."""
    frames: list[tuple[int, dict]] = []
    monkeypatch.setattr(
        publish, "to_document", lambda doc_id, frame: frames.append((doc_id, frame))
    )
    return frames


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs a block and then what it left for after the commit, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_every_change_writes_one_event_and_publishes_one_frame_after_commit(
    document, author, published, committed
):
    other = UserFactory()
    with committed():
        root = comments.comment_create(
            user=author, document_id=document.pk, content="On weights", start=0, end=9
        )
    with committed():
        reply = comments.comment_reply(user=other, comment_id=root.pk, content="Agreed")
    with committed():
        comments.comment_edit(user=other, comment_id=reply.pk, content="Agreed!")
    with committed():
        comments.comment_resolve(user=author, comment_id=root.pk)
    with committed():
        comments.comment_reopen(user=author, comment_id=root.pk)
    with committed():
        comments.comment_delete(user=other, comment_id=reply.pk)

    events = list(CommentEvent.objects.order_by("id"))
    kinds = ["created", "created", "edited", "resolved", "reopened", "deleted"]
    assert [e.kind for e in events] == kinds
    assert [e.actor_id for e in events] == [author.pk, other.pk, other.pk, author.pk,
                                            author.pk, other.pk]  # fmt: skip
    assert [doc_id for doc_id, _frame in published] == [document.pk] * 6
    frames = [frame for _doc_id, frame in published]
    assert [f["id"] for f in frames] == [e.pk for e in events]
    assert [f["event"] for f in frames] == kinds
    assert {f["type"] for f in frames} == {"comment"}
    assert {f["thread_id"] for f in frames} == {root.pk}
    assert [f["comment"]["id"] for f in frames] == [root.pk, reply.pk, reply.pk, root.pk,
                                                    root.pk, reply.pk]  # fmt: skip
    assert frames[2]["comment"]["content"] == "Agreed!"
    assert frames[3]["comment"]["status"] == "resolved"
    assert frames[5]["comment"]["is_deleted"] and frames[5]["comment"]["content"] == ""
    assert all("can" not in f["comment"] for f in frames)


def test_the_frame_carries_the_comment_as_the_api_shows_it_to_a_plain_reader(
    document, author, published, committed
):
    with committed():
        root = comments.comment_create(
            user=author, document_id=document.pk, content="*Weights*", start=0, end=9
        )

    (_doc_id, frame) = published[0]
    answer = APIClient().get(f"/api/comments/{root.pk}").json()
    del answer["can"], answer["replies"]
    assert frame["comment"] == answer
    assert frame["comment"]["anchor"]["text"] == "Attention"


def test_refused_and_rolled_back_changes_leave_no_event_and_no_frame(
    document, author, published, committed
):
    with committed() as callbacks:
        with pytest.raises(InvalidInput):
            comments.comment_create(
                user=author, document_id=document.pk, content="x", start=0, end=999
            )
        with pytest.raises(RuntimeError), transaction.atomic():
            comments.comment_create(user=author, document_id=document.pk, content="Undone")
            raise RuntimeError("the request failed later")
    assert callbacks == []
    assert not CommentEvent.objects.exists() and not Comment.objects.exists()
    assert published == []


def test_changes_that_change_nothing_are_not_announced(document, author, published, committed):
    root = comments.comment_create(user=author, document_id=document.pk, content="Same")
    before = CommentEvent.objects.count()
    with committed():
        comments.comment_edit(user=author, comment_id=root.pk, content="  Same ")
        comments.comment_reopen(user=author, comment_id=root.pk)
    assert CommentEvent.objects.count() == before
    assert published == []


def test_moderation_announces_hiding_without_showing_what_was_hidden(
    document, author, published, committed
):
    moderator = UserFactory(role=Role.MODERATOR)
    root = comments.comment_create(user=author, document_id=document.pk, content="Spam spam")
    with committed(), transaction.atomic():
        locked = comments.comment_lock(root.pk)
        locked.is_hidden = True
        locked.save(update_fields=["is_hidden"])
        comments.comment_event(locked, "hidden", moderator)

    (_doc_id, frame) = published[0]
    assert frame["event"] == "hidden"
    assert frame["comment"]["is_hidden"] is True
    assert frame["comment"]["content"] == "" and frame["comment"]["author"] is None
    with pytest.raises(ValueError, match="unknown comment event"):
        comments.comment_event(root, "exploded", moderator)


# --- the backlog -------------------------------------------------------------------------------


def test_the_backlog_gives_the_frames_after_an_id_oldest_first(document, author):
    elsewhere = docs.document_create(owner=author, title="Elsewhere", content="x")
    created = [
        comments.comment_create(user=author, document_id=document.pk, content=f"c{n}")
        for n in range(4)
    ]
    comments.comment_create(user=author, document_id=elsewhere.pk, content="not here")
    comments.comment_edit(user=author, comment_id=created[0].pk, content="c0 edited")
    ids = list(CommentEvent.objects.filter(document=document).values_list("id", flat=True))

    frames = comment_frames_after(document.pk, ids[0], 3)

    assert [f["id"] for f in frames] == ids[1:4]
    assert [f["comment"]["content"] for f in frames] == ["c1", "c2", "c3"]
    everything = comment_frames_after(document.pk, 0, 100)
    assert [f["id"] for f in everything] == ids
    # Each frame shows the comment as it is now (the edit, too).
    assert everything[0]["comment"]["content"] == "c0 edited"
    assert everything[-1]["event"] == "edited"
    assert comment_frames_after(document.pk, ids[-1], 100) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("registry_cleanup")
async def test_a_page_that_comes_back_gets_what_it_missed_then_live_frames():
    author = await sync_to_async(UserFactory)()
    document = await sync_to_async(docs.document_create)(
        owner=author, title="Resumed", content=TEXT
    )
    first = await sync_to_async(comments.comment_create)(
        user=author, document_id=document.pk, content="Seen before"
    )
    missed = await sync_to_async(comments.comment_reply)(
        user=author, comment_id=first.pk, content="Missed while away"
    )
    seen_id = await sync_to_async(
        lambda: CommentEvent.objects.filter(comment=first).values_list("id", flat=True).get()
    )()

    page = await Client.open()
    await page.send({"type": "authenticate", "token": token_for(author)})
    await page.recv_type("authenticated")
    await page.send({"type": "subscribe", "document": document.pk, "since": seen_id})

    subscribed = await page.recv_type("subscribed")
    assert subscribed["backlog_complete"] is True
    backlog = await page.recv_type("comment")
    assert backlog["comment"]["id"] == missed.pk and backlog["id"] > seen_id
    live = await sync_to_async(comments.comment_resolve)(user=author, comment_id=first.pk)
    frame = await page.recv_type("comment")
    assert (frame["event"], frame["comment"]["id"]) == ("resolved", live.pk)
    await page.close()
