"""The seams other apps build on, across two real server processes (PostgreSQL + Redis):

- the post-commit hook: revisions from sockets on both processes, the REST API and a
  restore reach a receiver once each, in revision order;
- a user's topic: a frame published from a third process (as a Celery worker would)
  reaches every open socket of that user, on both processes, once;
- a room's topic: messages reach subscribers on both processes, a socket that comes back
  resumes from its last id with nothing lost or repeated, and a member removed from the
  room stops receiving it at once.
"""

from __future__ import annotations

import asyncio
import json
import random
import time

import pytest
import redis
import requests
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections

from accounts.tests.factories import UserFactory
from bench.client import ReplicaClient, Stats
from collaboration import services
from collaboration.models import Document, RevisionCursor, Room
from collaboration.realtime import publish
from collaboration.tests.factories import DocumentFactory
from tests.hook_receivers import key as hook_key
from tests.live import LiveSocket, access_token
from tests.servers import SEVERAL_PROCESSES, start_servers

pytestmark = SEVERAL_PROCESSES

HOOK_RECEIVER = "tests.hook_receivers.record"


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        started = start_servers(2, log_name="seams", env={"REVISION_RECEIVERS": HOOK_RECEIVER})
    yield started
    for server in started:
        server.stop()


def hook_entries(document_id: int) -> list[list]:
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        return [json.loads(entry) for entry in client.lrange(hook_key(document_id), 0, -1)]
    finally:
        client.close()


def test_the_post_commit_hook_gets_every_revision_once_in_order(servers):
    user = UserFactory()
    document = services.document_create(
        owner=user, title="Hooked", content="Hooked from every side.\n"
    )
    # The servers run this receiver (REVISION_RECEIVERS) and this process does not, so
    # document_create could not start its cursor at 0 as it does on a site where every
    # process has the same receivers; start it here, or the first delivery (from either
    # server, in any order) would begin at its own commit.
    RevisionCursor.objects.create(receiver=HOOK_RECEIVER, document=document, revision=0)
    user_token = access_token(user)
    redis.Redis.from_url(settings.REDIS_URL).delete(hook_key(document.pk))

    def rest(server, path, body):
        response = requests.post(
            f"{server.base_url}/api/documents/{document.pk}/{path}",
            json=body,
            headers={"Authorization": f"Bearer {user_token}"},
            timeout=10,
        )
        assert response.status_code == 201, response.text

    async def run() -> int:
        rng = random.Random(3)
        stats = Stats()
        clients = [
            ReplicaClient(servers[i % 2].url, user_token, str(document.pk), name=f"c{i}",
                          stats=stats)
            for i in range(4)
        ]  # fmt: skip
        for client in clients:
            await client.connect()
        deadline = time.perf_counter() + 2
        n = 0
        while time.perf_counter() < deadline:
            client = rng.choice(clients)
            await client.edit(client.random_edit(rng))
            n += 1
            if n % 25 == 0:  # REST edits on either process, between the socket ones
                server = servers[n // 25 % 2]
                await sync_to_async(rest)(
                    server,
                    "operations",
                    {"revision": 0, "client_op_id": f"rest-{n}", "operation": "insert",
                     "position": 0, "text": "R"},
                )  # fmt: skip
            await asyncio.sleep(0.01)
        await sync_to_async(rest)(servers[1], "restore", {"revision": 0})
        for _ in range(300):
            if all(c.idle.is_set() for c in clients):
                break
            await asyncio.sleep(0.05)
        for client in clients:
            await client.close()
        await sync_to_async(connections.close_all)()
        return len(stats.errors)

    errors = asyncio.run(run())
    assert errors == 0
    final = Document.objects.get(pk=document.pk).revision
    deadline = time.monotonic() + 10
    while len(hook_entries(document.pk)) < final and time.monotonic() < deadline:
        time.sleep(0.1)
    entries = hook_entries(document.pk)
    assert [revision for revision, _source, _author in entries] == list(range(1, final + 1))
    assert {source for _revision, source, _author in entries} == {"socket", "api", "restore"}
    assert {author for _revision, _source, author in entries} == {user.pk}


def test_a_users_topic_reaches_every_tab_on_every_process_once(servers):
    user = UserFactory()
    document = DocumentFactory(owner=user)
    user_token = access_token(user)

    async def run():
        tab_a, first = await LiveSocket.open(servers[0].url, user_token)
        assert first["topics"] == [f"user:{user.pk}"] and "document_id" not in first
        tab_b, joined = await LiveSocket.open(servers[1].url, user_token, document.pk)
        # A document socket is also on the document's topic (comment activity).
        assert joined["topics"] == [f"user:{user.pk}", f"doc:{document.pk}"]
        await sync_to_async(publish.to_user)(
            user.pk, {"type": "notification", "id": 41, "text": "Your answer was accepted"}
        )
        for tab in (tab_a, tab_b):
            frame = await tab.wait_for("notification", timeout=5, id=41)
            assert frame["topic"] == f"user:{user.pk}"
            assert frame["text"] == "Your answer was accepted"
        # An id seen already (a resend) is not delivered twice; a newer one is.
        await sync_to_async(publish.to_user)(user.pk, {"type": "notification", "id": 41})
        await sync_to_async(publish.to_user)(user.pk, {"type": "notification", "id": 42})
        for tab in (tab_a, tab_b):
            await tab.wait_for("notification", timeout=5, id=42)
            assert [f["id"] for f in tab.frames if f["type"] == "notification"] == [41, 42]
        await tab_a.close()
        await tab_b.close()

    asyncio.run(run())


def test_rooms_resume_from_the_last_id_and_stop_at_removal(servers):
    ada, lin = UserFactory(username="ada_room"), UserFactory(username="lin_room")
    room = services.room_create(
        kind="study_group", title="Transformers study group", members=[ada, lin]
    )
    ada_token, lin_token = access_token(ada), access_token(lin)

    async def post(socket: LiveSocket, text: str) -> dict:
        await socket.send({"type": "room_message", "room": room.pk, "message": text})
        return await socket.wait_for("room_message", timeout=5, message=text)

    async def run():
        ada_socket, _ = await LiveSocket.open(servers[0].url, ada_token)
        lin_socket, _ = await LiveSocket.open(servers[1].url, lin_token)
        for socket in (ada_socket, lin_socket):
            await socket.send({"type": "subscribe", "room": room.pk})
            subscribed = await socket.wait_for("subscribed", timeout=5, room=room.pk)
            assert subscribed["can_post"] and subscribed["kind"] == "study_group"
        hello = await post(ada_socket, "hello from process A")
        assert (await lin_socket.wait_for("room_message", id=hello["id"]))["topic"] == (
            f"room:{room.pk}"
        )
        # lin goes away; two messages are posted meanwhile; lin comes back on process A.
        await lin_socket.close()
        missed = [await post(ada_socket, f"missed {n}") for n in range(2)]
        lin_again, _ = await LiveSocket.open(servers[0].url, lin_token)
        await lin_again.send({"type": "subscribe", "room": room.pk, "since": hello["id"]})
        await lin_again.wait_for("subscribed", timeout=5)
        after = await post(ada_socket, "live again")
        await lin_again.wait_for("room_message", timeout=5, id=after["id"])
        got = [f["id"] for f in lin_again.frames if f["type"] == "room_message"]
        assert got == [m["id"] for m in missed] + [after["id"]]

        # lin is removed from the (private) room: lin's socket leaves it, and stays open.
        await sync_to_async(services.room_member_remove)(room=room, user=lin)
        gone = await lin_again.wait_for("unsubscribed", timeout=1, room=room.pk)
        assert gone["reason"] == "forbidden"
        secret = await post(ada_socket, "after lin left")
        await asyncio.sleep(0.3)
        assert secret["id"] not in [f.get("id") for f in lin_again.frames]
        await lin_again.send({"type": "ping"})
        await lin_again.wait_for("pong", timeout=5)
        # And cannot come back in.
        await lin_again.send({"type": "subscribe", "room": room.pk})
        refused = await lin_again.wait_for("error", timeout=5, room=room.pk)
        assert refused["code"] == "not_found"
        for socket in (ada_socket, lin_again):
            await socket.close()
        await sync_to_async(connections.close_all)()

    asyncio.run(run())
    assert Room.objects.get(pk=room.pk).messages.count() == 5
