"""Suggestions on open sockets: the editors of a document hear of each suggestion as it is
made and decided (notices on the document's topic), an accepted suggestion reaches them as an
ordinary revision credited to the suggester, and an editor typing on the same line while it
is accepted loses nothing."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from accounts.tests.factories import UserFactory
from collaboration import ot, services
from collaboration.models import EditPolicy, EditSource, Operation
from collaboration.tests.conftest import registry_cleanup  # noqa: F401 - the fixture
from collaboration.tests.live_client import Client, join
from contributions.proposals import suggestions

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("registry_cleanup")]

TEXT = "# Attention\n\nThe quick brown fox jumps over teh lazy dog.\n\nThe end.\n"


@sync_to_async
def setup_document():
    owner = UserFactory(username="olga")
    reader = UserFactory(username="rita")
    document = services.document_create(
        owner=owner, title="Attention", content=TEXT, edit_policy=EditPolicy.MEMBERS
    )
    return owner, reader, document


@sync_to_async
def suggest(document, user, passage: str, text: str):
    document.refresh_from_db()
    start = document.content.index(passage)
    suggestion, _created = suggestions.suggestion_create(
        document=document,
        user=user,
        start=start,
        end=start + len(passage),
        text=text,
        revision=document.revision,
    )
    return suggestion


@sync_to_async
def accept(suggestion, user):
    return suggestions.suggestion_accept(suggestion=suggestion, user=user)


@sync_to_async
def stored(document):
    document.refresh_from_db()
    return document.content, document.revision


class Replica:
    """An editor's copy of the text over a socket, as the browser keeps it: one edit in
    flight, later ones composed into a buffer, remote revisions transformed past both."""

    def __init__(self, client: Client, joined: dict):
        self.client = client
        self.text = joined["content"]
        self.revision = joined["revision"]
        self.inflight: tuple[str, list] | None = None
        self.buffer: list | None = None
        self.count = 0
        self.remote: list[dict] = []
        self.notices: list[dict] = []

    async def type(self, ops: list) -> None:
        self.text = ot.apply(self.text, ops)
        if self.inflight is None:
            await self._send(ops)
        else:
            self.buffer = ops if self.buffer is None else ot.compose(self.buffer, ops)

    async def _send(self, ops: list) -> None:
        self.count += 1
        self.inflight = (f"typist-{self.count}", ops)
        await self.client.send(
            {
                "type": "edit",
                "revision": self.revision,
                "client_op_id": self.inflight[0],
                "edit": {"ops": ops},
            }
        )

    async def pump(self, timeout: float = 0.05) -> bool:
        """Handles one frame if one comes within `timeout`."""
        # (receive_output's own timeout would end the application: look first.)
        if await self.client.ws.receive_nothing(timeout, interval=min(timeout, 0.01)):
            return False
        frame = await self.client.recv()
        if frame["type"] == "ack":
            self.revision = frame["revision"]
            self.inflight = None
            if self.buffer is not None:
                ops, self.buffer = self.buffer, None
                await self._send(ops)
        elif frame["type"] == "edit" and frame["revision"] > self.revision:
            ops = frame["ops"]
            if self.inflight is not None:
                mine, ops = ot.transform(self.inflight[1], ops)
                self.inflight = (self.inflight[0], mine)
            if self.buffer is not None:
                self.buffer, ops = ot.transform(self.buffer, ops)
            self.text = ot.apply(self.text, ops)
            self.revision = frame["revision"]
            self.remote.append(frame)
        elif frame["type"] == "suggestion":
            self.notices.append(frame)
        return True

    async def settle(self, document) -> tuple[str, int]:
        for _ in range(400):
            await self.pump()
            text, revision = await stored(document)
            if self.inflight is None and self.buffer is None and self.revision == revision:
                return text, revision
        raise AssertionError("the editor's edits were never all acknowledged")


async def test_editors_hear_of_suggestions_and_receive_the_accepted_one_as_a_revision():
    owner, reader, document = await setup_document()
    editor, joined = await join(owner, document)
    watcher, _ = await join(reader, document)  # a reader's socket: read-only, still told
    assert joined["type"] == "authenticated"

    suggestion = await suggest(document, reader, "teh", "the")
    created = await editor.recv_type("suggestion")
    assert (created["event"], created["id"]) == ("created", 0)
    assert created["topic"] == f"doc:{document.pk}"
    assert created["suggestion"]["text"] == "the"
    assert created["suggestion"]["author"]["username"] == "rita"
    assert (await watcher.recv_type("suggestion"))["suggestion"] == created["suggestion"]

    await accept(suggestion, owner)
    revision = await editor.recv_type("edit")
    assert revision["revision"] == 1
    assert revision["user_id"] == reader.pk
    start = TEXT.index("teh")
    assert ot.apply(TEXT, revision["ops"]) == TEXT.replace("teh", "the")
    assert revision["ops"] == ot.normalize([start, "the", -3, len(TEXT) - start - 3])
    accepted = await editor.recv_type("suggestion")
    assert accepted["event"] == "accepted"
    assert accepted["suggestion"]["merged_revision"] == 1
    assert (await watcher.recv_type("edit"))["revision"] == 1
    await editor.close()
    await watcher.close()


async def test_typing_on_the_same_line_while_suggestions_are_accepted_loses_nothing():
    owner, reader, document = await setup_document()
    client, joined = await join(owner, document)
    typist = Replica(client, joined)
    typo = await suggest(document, reader, "teh", "the")
    word = await suggest(document, reader, "quick", "swift")

    typed: list[str] = []

    async def type_tokens(count: int, *, pump: bool = True) -> None:
        for number in range(count):
            token = f"<{len(typed)}>"
            # Right after "lazy": on the suggestions' line, outside their passages.
            position = typist.text.index(" dog.")
            await typist.type(ot.normalize([position, token, len(typist.text) - position]))
            typed.append(token)
            if number % 3 == 0:  # and at the start of the line
                position = typist.text.index("The ")
                await typist.type(ot.normalize([position, "^", len(typist.text) - position]))
                typed.append("^")
            if pump:
                await typist.pump(0.001)

    # One accepted while the editor types on.
    await type_tokens(10)
    accepting = asyncio.ensure_future(accept(typo, owner))
    while not accepting.done():
        await type_tokens(2)
    await accepting
    await type_tokens(10)
    await typist.settle(document)
    # The other accepted before the editor has heard of it: her next edits are made on the
    # text before it, and the server moves them past it.
    before = typist.revision
    await accept(word, owner)
    await type_tokens(4, pump=False)
    text, revision = await typist.settle(document)

    assert typist.text == text
    line = text.splitlines()[2]
    assert "^The swift brown fox jumps over the lazy" in line
    assert line.endswith(" dog.")
    body = [t for t in typed if t != "^"]
    assert line[line.index("lazy") + 4 : -len(" dog.")] == "".join(body)
    assert line.startswith("^" * typed.count("^") + "The swift")
    accepted = await sync_to_async(list)(
        Operation.objects.filter(document=document, source=EditSource.SUGGESTION).order_by(
            "revision"
        )
    )
    assert [(op.user_id, op.actor_id) for op in accepted] == [(reader.pk, owner.pk)] * 2
    assert accepted[-1].revision == before + 1
    transformed = await sync_to_async(
        Operation.objects.filter(
            document=document, base_revision=before, revision__gt=before + 1
        ).exists
    )()
    assert transformed, "an edit made before the second accept was moved past it"
    # The typist went through the accepted revisions like any others.
    assert {op.revision for op in accepted} <= {frame["revision"] for frame in typist.remote}
    assert revision > accepted[-1].revision
    await client.close()
