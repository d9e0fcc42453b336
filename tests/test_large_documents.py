"""A document at the size limit joins over a server started the plain way.

`daphne config.asgi:application`, without the Makefile's size flags, limits messages to
1 MiB; a 1,000,000-code-point document's `authenticated` frame is larger. A client must
get its text (whole, or in `frame_part`s when it accepts them), never silence.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from accounts.tests.factories import UserFactory
from collaboration.models import Document
from collaboration.tests.factories import DocumentFactory
from tests.live import LiveSocket, access_token
from tests.servers import DaphneServer

pytestmark = pytest.mark.django_db(transaction=True)

LINE = "Attention é 😀 softmax(QKᵀ/√d)·V\n"
SIZE = 1_000_000  # code points: the protocol's document limit


@pytest.fixture(scope="module")
def plain_server(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        server = DaphneServer(log_name="large-documents.log")
    yield server
    server.stop()


def large_text() -> str:
    text = (LINE * (SIZE // len(LINE) + 1))[:SIZE]
    assert len(text) == SIZE and len(json.dumps(text, ensure_ascii=False).encode()) > 1 << 20
    return text


def test_a_one_million_code_point_document_joins_whole_or_in_parts(plain_server):
    user = UserFactory()
    text = large_text()
    document = DocumentFactory(owner=user, content=text)
    access = access_token(user)

    async def run():
        whole, joined = await LiveSocket.open(plain_server.url, access, document.pk)
        assert joined["content"] == text and joined["revision"] == 0

        parts_socket = await _open_with_parts(plain_server.url, access, document.pk)
        parts = [f for f in parts_socket.frames if f["type"] == "frame_part"]
        assert len(parts) >= 2 and [p["index"] for p in parts] == list(range(len(parts)))
        assert {p["count"] for p in parts} == {len(parts)}
        rebuilt = json.loads("".join(p["data"] for p in parts))
        assert rebuilt["type"] == "authenticated" and rebuilt["content"] == text

        # And the document is editable like any other (at the limit, so replace a character).
        await whole.send(
            {"type": "edit", "revision": 0, "client_op_id": "big-1",
             "edit": {"ops": [SIZE - 1, -1, "!"]}}
        )  # fmt: skip
        ack = await whole.wait_for("ack", timeout=20, client_op_id="big-1")
        assert ack["revision"] == 1
        edit = await parts_socket.wait_for("edit", timeout=20, revision=1)
        assert edit["ops"] == [SIZE - 1, "!", -1]  # canonical: the insert comes first
        for socket in (whole, parts_socket):
            await socket.close()
        await sync_to_async(connections.close_all)()

    asyncio.run(run())
    # The commit did not rewrite the million code points (collaboration/checkpoints.py):
    # the row still stores revision 0's text, and every read adds the edit.
    stored = Document.objects.get(pk=document.pk)
    assert (stored.revision, stored.content_revision) == (1, 0)
    assert stored.content_checkpoint == text
    assert stored.content == text[:-1] + "!"


async def _open_with_parts(url: str, token: str, document_id: int) -> LiveSocket:
    import websockets

    ws = await websockets.connect(url, max_size=None, open_timeout=10)
    await ws.send(
        json.dumps(
            {"type": "authenticate", "token": token, "document_id": str(document_id),
             "frame_parts": True}
        )
    )  # fmt: skip
    socket = LiveSocket(ws)
    last = await socket.wait_for("frame_part", timeout=30)
    while True:
        parts = [f for f in socket.frames if f["type"] == "frame_part"]
        if len(parts) == last["count"]:
            return socket
        await socket.wait_for("frame_part", timeout=30, index=len(parts))
