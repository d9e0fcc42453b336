"""Two real daphne processes on PostgreSQL + Redis: every client ends with the server's text.

Clients are spread over both processes and edit one document at once (inserts
and deletes, astral characters included); some drop their connection with an
unacknowledged edit and reconnect to the other process; Redis connections are
killed mid-run; one process is killed and its clients move to the other. At the
end every replica equals the stored text, the log is gap-free, and every
acknowledged edit is in it exactly once.
"""

import asyncio
import random
import time

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections
from rest_framework_simplejwt.tokens import AccessToken

from accounts.tests.factories import UserFactory
from bench.client import ReplicaClient, Stats
from collaboration.models import Operation
from collaboration.selectors import document_text
from collaboration.tests.factories import DocumentFactory
from tests.servers import SEVERAL_PROCESSES, DaphneServer

pytestmark = SEVERAL_PROCESSES


# A tiny checkpoint size: the stored text of this short document lags behind its revision
# most of the time (collaboration/checkpoints.py), so joins, catch-ups and the committer's
# reloads all rebuild it from the log, through the faults below.
LAGGING_CHECKPOINTS = {"CONTENT_CHECKPOINT_CHARS": "4"}


@pytest.fixture
def servers():
    started = [DaphneServer(env=LAGGING_CHECKPOINTS), DaphneServer(env=LAGGING_CHECKPOINTS)]
    yield started
    for server in started:
        server.kill()


def kill_redis_connections() -> None:
    """What a Redis restart does to its clients: every connection drops at once."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    client.client_kill_filter(_type="pubsub")
    client.client_kill_filter(_type="normal", skipme=True)
    client.close()


async def edit_randomly(clients, rng, seconds: float, rate: float) -> None:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        client = rng.choice(clients)
        if client.joined.is_set():
            await client.edit(client.random_edit(rng))
        await asyncio.sleep(1 / rate)


async def settle(clients, document_id: int, timeout: float = 30) -> tuple[str, int]:
    from asgiref.sync import sync_to_async

    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        revision, content = await sync_to_async(document_text)(document_id=document_id)
        doc = {"revision": revision, "content": content}
        if all(c.idle.is_set() for c in clients) and all(
            c.text == doc["content"] and c.revision == doc["revision"] for c in clients
        ):
            return doc["content"], doc["revision"]
        await asyncio.sleep(0.2)
    states = [(c.name, c.revision, c.idle.is_set(), c.inflight) for c in clients]
    raise AssertionError(f"replicas did not converge on revision {doc['revision']}: {states}")


async def scenario(servers, token: str, document_id: int) -> tuple[list, Stats]:
    rng = random.Random(7)
    stats = Stats()
    clients = [
        ReplicaClient(servers[i % 2].url, token, str(document_id), name=f"c{i}", stats=stats)
        for i in range(6)
    ]
    for client in clients:
        await client.connect()
    await edit_randomly(clients, rng, seconds=3, rate=60)

    # Two clients lose their connection with edits in flight and come back on the other
    # process, resending what was never acknowledged.
    for client in clients[:2]:
        await client.edit(client.random_edit(rng))
        await client.drop()
        await client.edit(client.random_edit(rng))  # typed while offline: buffered
    await edit_randomly(clients[2:], rng, seconds=1, rate=60)
    for i, client in enumerate(clients[:2]):
        await client.reconnect(servers[(i + 1) % 2].url)
    await edit_randomly(clients, rng, seconds=2, rate=60)

    # Redis drops every connection: processes reconnect and fill gaps from the log.
    kill_redis_connections()
    await edit_randomly(clients, rng, seconds=3, rate=60)

    # One process dies; its clients move to the other one and resubmit.
    servers[1].kill()
    moved = [c for c in clients if f":{servers[1].port}/" in c.url]
    for client in moved:
        await client.drop()
    await edit_randomly([c for c in clients if c not in moved], rng, seconds=0.5, rate=40)
    for client in moved:
        await client.reconnect(servers[0].url)
    await edit_randomly(clients, rng, seconds=2, rate=60)
    return clients, stats


def test_two_processes_converge_with_drops_redis_loss_and_a_dead_process(servers):
    user = UserFactory()
    document = DocumentFactory(owner=user, content="Start 😀 here.\n")
    token = str(AccessToken.for_user(user))

    async def run():
        clients, stats = await scenario(servers, token, document.pk)
        text, revision = await settle(clients, document.pk)
        for client in clients:
            await client.close()
        await sync_to_async(connections.close_all)()
        return clients, stats, text, revision

    clients, stats, text, revision = asyncio.run(run())

    assert not [e for e in stats.errors if e.get("code") != "rate_limited"], stats.errors[:3]
    revisions = list(
        Operation.objects.filter(document=document)
        .order_by("revision")
        .values_list("revision", flat=True)
    )
    assert revisions == list(range(1, revision + 1)), "the log has a gap"
    stored_ids = list(
        Operation.objects.filter(document=document).values_list("client_op_id", flat=True)
    )
    assert len(stored_ids) == len(set(stored_ids)), "an edit was applied twice"
    acked = set().union(*(c.acked_ids for c in clients))
    assert acked <= set(stored_ids), "an acknowledged edit is missing from the log"
    assert len(acked) == len(stored_ids), "every stored edit was acknowledged to its sender"
    assert stats.acked >= 200
    assert all(c.text == text for c in clients)


async def _recv_until(ws, kind: str, timeout: float = 10, **match) -> dict:
    import json

    deadline = time.perf_counter() + timeout
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            raise AssertionError(f"no {kind} frame matching {match}")
        frame = json.loads(await asyncio.wait_for(ws.recv(), remaining))
        if frame.get("type") == kind and all(frame.get(k) == v for k, v in match.items()):
            return frame


@pytest.fixture
def short_presence_servers():
    started = [DaphneServer(env={"PRESENCE_TTL_SECONDS": "3"}) for _ in range(2)]
    yield started
    for server in started:
        server.kill()


def test_presence_cursors_and_chat_cross_processes_and_a_dead_process_leaves(
    short_presence_servers,
):
    import json

    import websockets

    servers = short_presence_servers
    ada, lin = UserFactory(username="ada"), UserFactory(username="lin")
    document = DocumentFactory(owner=ada, content="shared text")

    async def join(server, user):
        ws = await websockets.connect(server.url)
        await ws.send(
            json.dumps(
                {
                    "type": "authenticate",
                    "token": str(AccessToken.for_user(user)),
                    "document_id": str(document.pk),
                }
            )
        )
        return ws, json.loads(await ws.recv())

    async def run():
        a, a_auth = await join(servers[0], ada)
        assert [p["username"] for p in a_auth["participants"]] == ["ada"]
        b, b_auth = await join(servers[1], lin)
        assert {p["username"] for p in b_auth["participants"]} == {"ada", "lin"}
        joined = await _recv_until(a, "presence", event="join")
        assert joined["user"]["username"] == "lin"

        await b.send(json.dumps({"type": "cursor_update", "cursor": {"line": 1, "column": 2}}))
        cursor = await _recv_until(a, "cursor_update")
        assert (cursor["username"], cursor["cursor"]) == ("lin", {"line": 1, "column": 2})

        await a.send(json.dumps({"type": "chat_message", "chat": {"message": "hi lin"}}))
        chat = await _recv_until(b, "chat_message")
        assert (chat["message"], chat["user"]["username"]) == ("hi lin", "ada")

        # lin's process dies without a word: ada sees lin leave once the entry expires.
        servers[1].kill()
        left = await _recv_until(a, "presence", timeout=15, event="leave")
        assert left["user"]["username"] == "lin"
        assert [p["username"] for p in left["participants"]] == ["ada"]
        await a.close()

    asyncio.run(run())
