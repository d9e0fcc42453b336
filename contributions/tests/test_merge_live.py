"""A merge while people type: two real daphne processes on PostgreSQL + Redis, two editors
typing into the document (one on each process) while a proposal is opened, edited,
approved and merged over REST. Every character both editors typed and every change of
the proposal ends in the text, every replica ends equal to the stored text, and the
editors received the merge as an ordinary revision."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest
import requests
from asgiref.sync import sync_to_async
from django.db import connections

from accounts.tests.factories import UserFactory
from bench.client import ReplicaClient, Stats
from collaboration.models import Document, EditSource, Operation
from collaboration.selectors import document_text
from tests.live import access_token
from tests.servers import SEVERAL_PROCESSES, start_servers

from .factories_proposals import make_document, reviewer

pytestmark = SEVERAL_PROCESSES

TEXT = """# Attention

## Queries and keys

Each token asks a question with its query.

## Values

The answer mixes the values by the weights.

## Heads

Several heads look at different things.

## Notes

"""
# Each typist inserts its numbered tokens just before its own anchor.
ANCHORS = {"left": "\n\n## Values", "right": "\n\n## Heads"}


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        started = start_servers(2, log_name="merge-live", env={"WS_EDIT_RATE_PER_SECOND": "1000"})
    yield started
    for server in started:
        server.stop()


def call(server, method: str, path: str, user, body: dict | None = None) -> dict:
    response = requests.request(
        method,
        f"{server.base_url}{path}",
        json=body,
        headers={"Authorization": f"Bearer {access_token(user)}"},
        timeout=30,
    )
    assert response.status_code < 300, (method, path, response.status_code, response.text)
    return response.json()


async def type_tokens(client: ReplicaClient, anchor: str, typed: list[str], stop: asyncio.Event):
    for number in itertools.count():
        if stop.is_set():
            return
        token = f"[{client.name}{number}]"
        position = client.text.index(anchor)
        await client.edit([position, token, len(client.text) - position])
        typed.append(token)
        await asyncio.sleep(0.02)


async def settle(clients: list[ReplicaClient], document_id: int, timeout: float = 30):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        revision, content = await sync_to_async(document_text)(document_id=document_id)
        stored = {"revision": revision, "content": content}
        if all(c.idle.is_set() for c in clients) and all(
            c.text == stored["content"] and c.revision == stored["revision"] for c in clients
        ):
            return stored
        await asyncio.sleep(0.2)
    raise AssertionError("the editors' replicas did not converge on the stored text")


def test_editors_typing_during_a_merge_lose_nothing(servers):
    owner, author, merger = UserFactory(), UserFactory(), reviewer()
    document = make_document(owner=owner, content=TEXT)
    stats = Stats()

    def proposal_flow() -> dict:
        proposal = call(
            servers[0],
            "POST",
            "/api/proposals",
            author,
            {"document_id": document.pk, "title": "Count the heads"},
        )
        branch = proposal["branch"]
        branch_text = Document.objects.get(pk=branch["id"]).content
        position = branch_text.index("Several heads")
        call(
            servers[1],
            "POST",
            f"/api/documents/{branch['id']}/operations",
            author,
            {
                "revision": branch["revision"],
                "client_op_id": "count-heads",
                "ops": [position, "Eight", -len("Several"), len(branch_text) - position - 7],
            },
        )
        call(
            servers[0],
            "POST",
            f"/api/proposals/{proposal['id']}/reviews",
            merger,
            {"verdict": "approve"},
        )
        return call(servers[1], "POST", f"/api/proposals/{proposal['id']}/merge", merger)

    token = access_token(owner)

    async def run():
        clients = [
            ReplicaClient(servers[0].url, token, str(document.pk), name="left", stats=stats),
            ReplicaClient(servers[1].url, token, str(document.pk), name="right", stats=stats),
        ]
        for client in clients:
            await client.connect()
        typed: dict[str, list[str]] = {"left": [], "right": []}
        stop = asyncio.Event()
        typists = [
            asyncio.create_task(type_tokens(c, ANCHORS[c.name], typed[c.name], stop))
            for c in clients
        ]
        await asyncio.sleep(0.5)
        merged = await sync_to_async(proposal_flow, thread_sensitive=False)()
        await asyncio.sleep(0.5)
        stop.set()
        await asyncio.gather(*typists)
        stored = await settle(clients, document.pk)
        for client in clients:
            await client.close()
        await sync_to_async(connections.close_all)()
        return merged, stored, typed, clients

    merged, stored, typed, clients = asyncio.run(run())

    assert merged["state"] == "merged"
    text = stored["content"]
    assert "Eight heads look at different things." in text
    assert "Several heads" not in text
    for name, tokens in typed.items():
        assert tokens, f"{name} typed nothing"
        missing = [token for token in tokens if token not in text]
        assert not missing, f"{name} lost {missing[:5]}"
        # In the order typed, where they were typed.
        section = text[: text.index(ANCHORS[name])]
        assert section.endswith("".join(tokens))
    assert not [e for e in stats.errors if e.get("code") != "rate_limited"], stats.errors[:3]
    merge_op = Operation.objects.get(document=document, revision=merged["merged_revision"])
    assert merge_op.source == EditSource.MERGE and merge_op.user_id == author.pk
    # The typing went on before and after the merge revision.
    socket_edits = Operation.objects.filter(document=document, source=EditSource.SOCKET)
    assert socket_edits.filter(revision__lt=merge_op.revision).exists()
    assert socket_edits.filter(revision__gt=merge_op.revision).exists()
    # Both editors' replicas went through the merge revision like any other.
    assert all(c.revision >= merged["merged_revision"] for c in clients)
