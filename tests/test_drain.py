"""A rolling update, as Kubernetes does it: SIGTERM to one of two daphne processes while
clients edit one document on both.

The stopped process commits and answers the edits it took, tells its clients 1012
("service restart") and exits 0; they reconnect to the other process by themselves
(bench/client.py, as the editor does) and resend what was never answered. At the end every
replica equals the stored text, the log is gap-free, and every acknowledged edit is in it
exactly once.
"""

import asyncio
import random
import signal

import pytest
import websockets
from asgiref.sync import sync_to_async
from django.db import connections

from accounts.tests.factories import UserFactory
from bench.client import ReplicaClient, Stats
from collaboration.models import Operation
from collaboration.tests.factories import DocumentFactory
from tests.live import access_token
from tests.servers import SEVERAL_PROCESSES, DaphneServer
from tests.test_multiprocess import edit_randomly, settle

pytestmark = SEVERAL_PROCESSES

EXIT_WAIT_SECONDS = 60  # a bound for a hung process, far above DRAIN_SECONDS


@pytest.fixture
def servers():
    started = [DaphneServer(log_name="drain-0.log"), DaphneServer(log_name="drain-1.log")]
    yield started
    for server in started:
        server.kill()


async def sigterm_and_wait(server: DaphneServer) -> int:
    server.process.send_signal(signal.SIGTERM)
    return await asyncio.to_thread(server.process.wait, EXIT_WAIT_SECONDS)


def test_sigterm_drains_a_process_and_its_clients_move_without_losing_an_edit(servers):
    user = UserFactory()
    document = DocumentFactory(owner=user, content="Start 😀 here.\n")
    token = access_token(user)
    urls = [server.url for server in servers]

    async def run():
        rng = random.Random(14)
        stats = Stats()
        clients = [
            ReplicaClient(urls[i % 2], token, str(document.pk), name=f"c{i}", stats=stats,
                          alternates=urls)
            for i in range(6)
        ]  # fmt: skip
        for client in clients:
            await client.connect()
        on_drained = [c for c in clients if c.url == servers[1].url]
        await edit_randomly(clients, rng, seconds=2, rate=60)

        # Edits keep coming while the process drains, exits and its clients move.
        editing = asyncio.create_task(edit_randomly(clients, rng, seconds=4, rate=60))
        await asyncio.sleep(0.5)
        exit_code = await sigterm_and_wait(servers[1])
        await editing
        with pytest.raises(OSError):  # the drained process no longer listens
            await websockets.connect(servers[1].url, open_timeout=2)
        await edit_randomly(clients, rng, seconds=1, rate=60)

        text, revision = await settle(clients, document.pk)
        for client in clients:
            await client.close()
        await sync_to_async(connections.close_all)()
        return clients, on_drained, stats, exit_code, text, revision

    clients, on_drained, stats, exit_code, text, revision = asyncio.run(run())

    assert exit_code == 0
    log = servers[1].log_path.read_text()
    assert "Traceback" not in log, log[-3000:]
    assert "drained in" in log, log[-3000:]
    # Every client of the drained process was told to move, and moved.
    assert on_drained and all(c.restarts == 1 for c in on_drained)
    assert all(c.url == servers[0].url for c in clients)
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
    assert acked == set(stored_ids), "every stored edit acknowledged, every acknowledged stored"
    assert stats.acked >= 200
    assert all(c.text == text for c in clients)
