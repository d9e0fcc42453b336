"""A document's topic (`doc:<id>`: comment activity) on open sockets: sockets joined to the
document (editors) and sockets that subscribed to it without joining (document pages) get
each frame once, in id order, resumed after the last id they saw; a subscriber that may no
longer read the document gets nothing more; the bus channel the hub and the page share
stays open while either needs it. The last tests run two server processes over Redis."""

from __future__ import annotations

import asyncio
import itertools
import os

import pytest
import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db.models import F

from accounts.tests.factories import UserFactory
from collaboration import services
from collaboration.consumers import subscriptions
from collaboration.models import Document, DocumentMember, MemberRole, Visibility
from collaboration.realtime import publish, topics, wire
from collaboration.realtime.bus import LocalBus, RedisBus, Subscribers
from collaboration.realtime.registry import Registry
from collaboration.tests.factories import DocumentFactory
from collaboration.tests.live_client import Client, join, make_user, token_for
from community.services import comments
from tests.live import LiveSocket, access_token
from tests.servers import SEVERAL_PROCESSES, start_servers

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("registry_cleanup"),
]

# Test processes running side by side share one Redis, where a document's channel is named
# by its id: ids of their own keep one process's frames and access notices from another's.
_document_ids = itertools.count(700_000 + os.getpid() % 10_000 * 200)


@sync_to_async
def make_doc(**kwargs):
    return DocumentFactory(pk=next(_document_ids), **kwargs)


NEEDS_REDIS = pytest.mark.skipif(
    not settings.REDIS_URL,
    reason="the shared channel is a Redis pub/sub subscription; without REDIS_URL the bus is "
    "in-process (CI runs this with REDIS_URL set)",
)


async def page_socket(user) -> Client:
    """A socket as a document page opens it: signed in, no document."""
    client = await Client.open()
    await client.send({"type": "authenticate", "token": token_for(user)})
    assert (await client.recv())["type"] == "authenticated"
    return client


async def subscribe(client: Client, document, **extra) -> dict:
    await client.send({"type": "subscribe", "document": document.pk, **extra})
    return await client.recv_type("subscribed")


def comment_frame(frame_id: int, **extra) -> dict:
    return {"type": "comment", "id": frame_id, "event": "created", "thread_id": 1, **extra}


async def to_document(document, *frame_ids: int) -> None:
    for frame_id in frame_ids:
        await sync_to_async(publish.to_document)(document.pk, comment_frame(frame_id))


async def eventually(condition, what: str, timeout: float = 5) -> None:
    """Waits for `condition()` to hold (the loop's own bookkeeping), failing after `timeout`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"waited in vain for {what}")
        await asyncio.sleep(0.01)


async def comment_ids_until_pong(client: Client) -> list[int]:
    """Ids of the comment frames that arrived before the answer to a ping sent now (every
    frame published before the ping reached the socket before the pong)."""
    start = len(client.frames)
    await client.send({"type": "ping"})
    await client.recv_type("pong")
    return [f["id"] for f in client.frames[start:] if f["type"] == "comment"]


@pytest.fixture
def backlog_log(monkeypatch):
    """A document topic log for the backlog reader (what community registers for comments)."""
    log: dict[int, list[dict]] = {}

    def reader(document_id, after, limit):
        return [f for f in log.get(document_id, []) if f["id"] > after][:limit]

    monkeypatch.setitem(topics._backlogs, wire.DOCUMENT, reader)
    return log


# --- delivery ---------------------------------------------------------------------------------


async def test_frames_reach_joined_and_subscribed_sockets_once_in_order():
    ada, lin = await make_user(), await make_user()
    document = await make_doc(owner=ada, content="Attention is all you need.")
    other = await make_doc(owner=ada, content="Another page.")
    editor, joined = await join(ada, document)
    assert joined["topics"] == [f"user:{ada.pk}", f"doc:{document.pk}"]
    page = await page_socket(lin)
    subscribed = await subscribe(page, document)
    assert subscribed == {
        "type": "subscribed",
        "document": document.pk,
        "topic": f"doc:{document.pk}",
        "slug": document.slug,
        "title": document.title,
        "backlog_complete": True,
    }
    elsewhere = await page_socket(lin)
    await subscribe(elsewhere, other)
    # A socket joined to the document that also subscribes to it still gets each frame once.
    both, _ = await join(lin, document)
    assert (await subscribe(both, document))["document"] == document.pk

    await to_document(document, 1, 2, 3)
    for client in (editor, page, both):
        first = await client.recv_type("comment")
        assert first == {**comment_frame(1), "topic": f"doc:{document.pk}"}
    for client in (editor, page, both):
        assert [1, *await comment_ids_until_pong(client)] == [1, 2, 3]
    assert await comment_ids_until_pong(elsewhere) == []
    for client in (editor, page, both, elsewhere):
        await client.close()


async def test_notices_reach_everyone_on_the_topic_and_leave_the_id_order_alone():
    ada, lin = await make_user(), await make_user()
    document = await make_doc(owner=ada, content="Attention is all you need.")
    editor, _ = await join(ada, document)
    page = await page_socket(lin)
    await subscribe(page, document)
    await to_document(document, 5)
    notice = {"type": "proposal", "event": "opened", "proposal": {"id": 1}}
    await sync_to_async(publish.notice_to_document)(document.pk, notice)
    await sync_to_async(publish.notice_to_document)(document.pk, notice)
    await to_document(document, 6)
    for client in (editor, page):
        assert (await client.recv_type("comment"))["id"] == 5
        # Both notices arrive (no id order to drop the second), then frame 6 still does.
        for _ in range(2):
            got = await client.recv_type("proposal")
            assert got == {**notice, "id": 0, "topic": f"doc:{document.pk}"}
        assert (await client.recv_type("comment"))["id"] == 6
        await client.close()


async def test_subscribing_by_slug_and_the_errors_a_page_may_meet(monkeypatch):
    ada, lin = await make_user(), await make_user()
    document = await make_doc(owner=ada, content="Public page.")
    private = await make_doc(owner=ada, visibility=Visibility.PRIVATE, content="Mine.")
    page = await page_socket(lin)
    await page.send({"type": "subscribe", "document": document.slug})
    assert (await page.recv_type("subscribed"))["document"] == document.pk

    for ref in (private.pk, 987_654, "no-such-page"):
        await page.send({"type": "subscribe", "document": ref})
        refused = await page.recv_type("error")
        assert (refused["code"], refused["document"]) == ("not_found", ref)
    await page.send({"type": "subscribe", "document": ["x"]})
    assert (await page.recv_type("error"))["code"] == "invalid_operation"
    await page.send({"type": "subscribe", "document": document.pk, "since": -1})
    assert (await page.recv_type("error"))["code"] == "invalid_operation"
    await page.send({"type": "unsubscribe", "document": private.pk})
    assert (await page.recv_type("error"))["code"] == "not_found"

    monkeypatch.setattr(subscriptions, "MAX_DOCUMENTS_PER_SOCKET", 1)
    second = await make_doc(owner=ada, content="Second page.")
    await page.send({"type": "subscribe", "document": second.pk})
    limited = await page.recv_type("error")
    assert (limited["code"], limited["document"]) == ("rate_limited", second.pk)
    # Following the same document again is a resume, not one more.
    assert (await subscribe(page, document))["document"] == document.pk

    await page.send({"type": "unsubscribe", "document": document.pk})
    assert await page.recv_type("unsubscribed") == {
        "type": "unsubscribed",
        "document": document.pk,
        "topic": f"doc:{document.pk}",
    }
    await to_document(document, 5)
    assert await comment_ids_until_pong(page) == []
    await page.close()

    # A joined socket stays on its document's topic while it is open.
    editor, _ = await join(ada, document)
    await editor.send({"type": "unsubscribe", "document": document.pk})
    assert (await editor.recv_type("error"))["code"] == "invalid_operation"
    await to_document(document, 6)
    assert (await editor.recv_type("comment"))["id"] == 6
    await editor.close()


# --- resuming ---------------------------------------------------------------------------------


async def test_a_page_that_comes_back_gets_what_it_missed_then_live_frames(backlog_log):
    ada = await make_user()
    document = await make_doc(owner=ada, content="Resumable.")
    topic = f"doc:{document.pk}"
    backlog_log[document.pk] = [comment_frame(i) for i in (1, 2, 3)]
    page = await page_socket(ada)
    assert (await subscribe(page, document, since=1))["backlog_complete"] is True
    assert [(await page.recv_type("comment"))["id"] for _ in range(2)] == [2, 3]
    assert all(f["topic"] == topic for f in page.frames if f["type"] == "comment")
    # A live frame the backlog already gave is not repeated; newer ones come.
    backlog_log[document.pk].append(comment_frame(4))
    await to_document(document, 3, 4)
    assert await comment_ids_until_pong(page) == [4]

    # Subscribing again from an older id sends that part again (the page asked for it).
    await subscribe(page, document, since=2)
    assert await comment_ids_until_pong(page) == [3, 4]
    await page.close()


async def test_an_editor_resumes_its_documents_topic_from_doc_since(backlog_log):
    ada = await make_user()
    document = await make_doc(owner=ada, content="Resumable too.")
    backlog_log[document.pk] = [comment_frame(i) for i in (1, 2, 3)]
    editor, joined = await join(ada, document, doc_since=2)
    assert joined["type"] == "authenticated" and joined["doc_backlog_complete"] is True
    assert (await editor.recv_type("comment"))["id"] == 3
    # Without doc_since: live frames only.
    fresh, _ = await join(ada, document)
    await to_document(document, 4)
    assert (await fresh.recv_type("comment"))["id"] == 4
    assert await comment_ids_until_pong(editor) == [4]
    await editor.close()
    await fresh.close()


async def test_more_missed_than_a_socket_replays_says_so(backlog_log, monkeypatch):
    monkeypatch.setattr(topics, "BACKLOG_LIMIT", 2)
    ada = await make_user()
    document = await make_doc(owner=ada, content="Busy.")
    backlog_log[document.pk] = [comment_frame(i) for i in (1, 2, 3, 4)]
    page = await page_socket(ada)
    assert (await subscribe(page, document, since=0))["backlog_complete"] is False
    assert await comment_ids_until_pong(page) == [1, 2]
    await page.close()


# --- rights -----------------------------------------------------------------------------------


@sync_to_async
def restricted_document_with_reader():
    owner, reader = UserFactory(), UserFactory()
    document = DocumentFactory(
        pk=next(_document_ids), owner=owner, content="members only", visibility="restricted"
    )
    DocumentMember.objects.create(document=document, user=reader, role=MemberRole.VIEWER)
    return owner, reader, document


async def test_a_subscriber_removed_from_the_document_gets_nothing_more():
    owner, reader, document = await restricted_document_with_reader()
    page = await page_socket(reader)
    await subscribe(page, document)
    watcher = await page_socket(owner)
    await subscribe(watcher, document)
    await to_document(document, 1)
    assert (await page.recv_type("comment"))["id"] == 1

    await sync_to_async(services.document_member_remove)(
        document=document, username=reader.username, by=owner
    )
    gone = await page.recv_type("unsubscribed", timeout=5)
    assert gone == {
        "type": "unsubscribed",
        "document": document.pk,
        "topic": f"doc:{document.pk}",
        "reason": "forbidden",
        "message": "You may no longer read this document.",
    }
    await to_document(document, 2)
    assert (await watcher.recv_type("comment"))["id"] == 1
    assert (await watcher.recv_type("comment"))["id"] == 2
    # The page's socket stays open for what it may still read; the document is not one.
    assert await comment_ids_until_pong(page) == []
    await page.send({"type": "subscribe", "document": document.pk})
    assert (await page.recv_type("error"))["code"] == "not_found"
    await page.close()
    await watcher.close()


async def test_a_lost_announcement_is_caught_by_the_poll(settings):
    settings.ACCESS_POLL_SECONDS = 0.2
    _owner, reader, document = await restricted_document_with_reader()
    page = await page_socket(reader)
    await subscribe(page, document)

    def remove_silently():
        DocumentMember.objects.filter(document=document, user=reader).delete()
        Document.objects.filter(pk=document.pk).update(access_version=F("access_version") + 1)

    await sync_to_async(remove_silently)()
    gone = await page.recv_type("unsubscribed", timeout=5)
    assert (gone["document"], gone["reason"]) == (document.pk, "forbidden")
    await page.close()


async def test_a_deleted_document_ends_its_subscriptions():
    owner = await make_user()
    document = await make_doc(owner=owner, content="Soon gone.")
    page = await page_socket(owner)
    await subscribe(page, document)
    await sync_to_async(services.document_delete)(document=document, user=owner)
    gone = await page.recv_type("unsubscribed", timeout=5)
    assert (gone["reason"], gone["message"]) == ("forbidden", "This document was deleted.")
    await page.close()


async def test_a_reader_who_keeps_the_right_keeps_receiving():
    owner, reader, document = await restricted_document_with_reader()
    page = await page_socket(reader)
    await subscribe(page, document)
    await sync_to_async(services.document_member_set)(
        document=document, username=reader.username, role="editor", by=owner
    )
    await to_document(document, 1)
    assert (await page.recv_type("comment"))["id"] == 1
    assert all(f["type"] != "unsubscribed" for f in page.frames)
    await page.close()


# --- comments on the topic (community's comment events, end to end) ----------------------------


async def test_comment_activity_reaches_editors_and_pages_and_resumes_after_a_gap():
    ada, lin = await make_user(), await make_user()
    document = await make_doc(owner=ada, content="Attention is all you need.")
    editor, _ = await join(ada, document)
    page = await page_socket(lin)
    await subscribe(page, document)

    thread = await sync_to_async(comments.comment_create)(
        user=lin, document_id=document.pk, content="Why *all*?", comment_type="inline",
        start=13, end=16,
    )  # fmt: skip
    created = [await client.recv_type("comment") for client in (editor, page)]
    assert created[0] == created[1]
    first = created[0]
    assert (first["event"], first["thread_id"], first["topic"]) == (
        "created",
        thread.pk,
        f"doc:{document.pk}",
    )
    assert first["comment"]["anchor"]["text"] == "all"
    assert "can" not in first["comment"]  # as a plain reader sees it

    # The page goes away; meanwhile the thread is edited, answered and resolved.
    await page.close()
    await sync_to_async(comments.comment_edit)(user=lin, comment_id=thread.pk, content="Why all?")
    await sync_to_async(comments.comment_reply)(user=ada, comment_id=thread.pk, content="All.")
    await sync_to_async(comments.comment_resolve)(user=ada, comment_id=thread.pk)
    live = [(await editor.recv_type("comment"))["event"] for _ in range(3)]
    assert live == ["edited", "created", "resolved"]

    # Back again, it resumes after the last frame it saw: what it missed, in order, once.
    page = await page_socket(lin)
    assert (await subscribe(page, document, since=first["id"]))["backlog_complete"] is True
    missed = [await page.recv_type("comment") for _ in range(3)]
    assert [f["event"] for f in missed] == live
    assert missed[0]["comment"]["content"] == "Why all?"
    assert missed[1]["comment"]["parent_id"] == thread.pk
    assert [f["id"] for f in missed] == sorted(f["id"] for f in missed)
    await sync_to_async(comments.comment_delete)(user=lin, comment_id=thread.pk)
    deleted = await page.recv_type("comment")
    assert (deleted["event"], deleted["comment"]["is_deleted"]) == ("deleted", True)
    assert await comment_ids_until_pong(page) == []
    await page.close()
    await editor.close()


# --- the shared bus channel ---------------------------------------------------------------------


def test_the_bus_counts_subscribers_per_channel():
    subscribers = Subscribers()
    assert subscribers.add("a") is True  # the first: subscribe
    assert subscribers.add("a") is False
    assert subscribers.remove("a") is False  # one is left: stay
    assert subscribers.count("a") == 1
    assert subscribers.remove("a") is True  # the last: unsubscribe
    assert subscribers.remove("a") is False  # nothing to leave
    assert subscribers.names() == []


async def test_an_editor_leaving_keeps_the_pages_subscription_alive():
    ada = await make_user()
    document = await make_doc(owner=ada, content="Shared channel.")
    page = await page_socket(ada)
    await subscribe(page, document)
    registry = Registry.current()
    assert registry.bus.subscriber_count(wire.DOCUMENT, document.pk) == 1
    editor, _ = await join(ada, document)
    # Two holders of one channel: the document's topic (page and editor) and the hub.
    assert registry.bus.subscriber_count(wire.DOCUMENT, document.pk) == 2
    await editor.close()
    await eventually(lambda: document.pk not in registry.hubs, "the hub to go")
    assert registry.bus.subscriber_count(wire.DOCUMENT, document.pk) == 1
    if settings.REDIS_URL:
        # Another process publishes: the channel is still subscribed, the page hears it.
        channel = wire.channel(wire.DOCUMENT, document.pk)
        message = {"k": "topic", "frame": {**comment_frame(7), "topic": f"doc:{document.pk}"}}
        other = aioredis.Redis.from_url(settings.REDIS_URL)
        try:
            await other.publish(channel, wire.encode("another-process", message))
        finally:
            await other.aclose()
    else:
        await to_document(document, 7)
    assert (await page.recv_type("comment"))["id"] == 7
    await page.send({"type": "unsubscribe", "document": document.pk})
    await page.recv_type("unsubscribed")
    await eventually(
        lambda: registry.bus.subscriber_count(wire.DOCUMENT, document.pk) == 0,
        "the channel to be left once nobody needs it",
    )
    await page.close()


async def test_the_local_bus_counts_like_the_redis_bus():
    bus = LocalBus()
    await bus.subscribe(wire.DOCUMENT, 5)
    await bus.subscribe(wire.DOCUMENT, 5)
    await bus.unsubscribe(wire.DOCUMENT, 5)
    assert bus.subscriber_count(wire.DOCUMENT, 5) == 1


class _Silent:
    def dispatch(self, kind, object_id, message):
        pass

    def request_db_check(self):
        pass


@NEEDS_REDIS
async def test_redis_leaves_a_channel_only_when_its_last_subscriber_does():
    bus = RedisBus(_Silent(), settings.REDIS_URL)
    observer = aioredis.Redis.from_url(settings.REDIS_URL)
    channel = wire.channel(wire.DOCUMENT, 987_123)

    async def subscribed() -> int:
        return dict(await observer.pubsub_numsub(channel))[channel.encode()]

    try:
        await bus.start()
        await asyncio.wait_for(bus.connected.wait(), 5)
        await bus.subscribe(wire.DOCUMENT, 987_123)  # the hub
        await bus.subscribe(wire.DOCUMENT, 987_123)  # a page's topic
        assert await subscribed() == 1  # one Redis subscription for both
        await bus.unsubscribe(wire.DOCUMENT, 987_123)
        assert await subscribed() == 1
        await bus.unsubscribe(wire.DOCUMENT, 987_123)
        assert await subscribed() == 0
    finally:
        await bus.close()
        await observer.aclose()


# --- two server processes -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        started = start_servers(2, log_name="document-topic")
    yield started
    for server in started:
        server.stop()


@SEVERAL_PROCESSES[0]  # services
@SEVERAL_PROCESSES[1]  # skipped without PostgreSQL and Redis, with the reason
async def test_two_processes_deliver_the_topic_and_stop_it_for_removed_readers(servers):
    owner, reader, document = await restricted_document_with_reader()
    owner_token = await sync_to_async(access_token)(owner)
    reader_token = await sync_to_async(access_token)(reader)
    editor, _ = await LiveSocket.open(servers[0].url, owner_token, document.pk)
    page, _ = await LiveSocket.open(servers[1].url, reader_token)
    await page.send({"type": "subscribe", "document": document.pk})
    await page.wait_for("subscribed", document=document.pk)
    # Published from this process, as a web or Celery process would after a commit.
    for frame_id in (1, 2):
        await sync_to_async(publish.to_document)(document.pk, comment_frame(frame_id))
    for socket in (editor, page):
        await socket.wait_for("comment", id=2)
    await sync_to_async(services.document_member_remove)(
        document=document, username=reader.username, by=owner
    )
    await page.wait_for("unsubscribed", reason="forbidden")
    await sync_to_async(publish.to_document)(document.pk, comment_frame(3))
    await editor.wait_for("comment", id=3)
    await page.send({"type": "ping"})
    await page.wait_for("pong")
    assert [f["id"] for f in editor.frames if f["type"] == "comment"] == [1, 2, 3]
    assert [f["id"] for f in page.frames if f["type"] == "comment"] == [1, 2]
    for socket in (editor, page):
        await socket.close()
