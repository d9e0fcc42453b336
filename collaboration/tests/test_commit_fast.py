"""The one-round-trip commit (commit.commit_documents_fast and the database function).

PostgreSQL only: the function is created by migration 0004 on PostgreSQL, and SQLite
always commits under the row lock. CI runs these on PostgreSQL.
"""

import asyncio

import psycopg
import pytest
from asgiref.sync import sync_to_async
from django.db import connection, connections

from collaboration import commit, ot
from collaboration.commit import DocumentState, PendingOperation, Unresolved
from collaboration.models import Document, Operation, Snapshot
from collaboration.realtime.committer import FastCommitter
from config import metrics

from .factories import DocumentFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the one-round-trip commit is a PostgreSQL function; SQLite always locks",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
async def _close_thread_connections():
    yield
    # ORM calls above ran in asgiref's shared thread: close what they opened.
    await sync_to_async(connections.close_all)()


async def _commit_all(connection, batches) -> list:
    """Every outcome of commit_documents_fast, in the order of `batches`."""
    outcomes = [None] * len(batches)
    async for index, outcome in commit.commit_documents_fast(connection, batches):
        outcomes[index] = outcome
    return outcomes


@pytest.fixture
async def pg():
    conn = await FastCommitter.connect()
    yield conn
    await conn.close()


def _state(document: Document) -> DocumentState:
    document.refresh_from_db()
    return DocumentState(document.pk, document.revision, document.content)


def _insert(text: str, at: int, length: int) -> list:
    return ot.normalize([at, text, length - at])


def _locked_commit(document_id, pending):
    results, _state = commit.commit_operations(document_id=document_id, pending=pending)
    return results


def _log(document_id):
    return list(
        Operation.objects.filter(document_id=document_id)
        .order_by("revision")
        .values_list("revision", "client_op_id", "ops")
    )


async def test_a_batch_is_stored_in_one_call_with_gap_free_revisions(pg, owner):
    document = await sync_to_async(DocumentFactory)(owner=owner, content="hello")
    state = await sync_to_async(_state)(document)
    pending = [
        PendingOperation("a-1", 0, owner.pk, ops=[5, " world"]),
        PendingOperation("b-1", 0, owner.pk, ops=["Oh, ", 5]),
        PendingOperation("c-1", 0, owner.pk, ops=[5, "!"]),
    ]
    (outcome,) = await _commit_all(pg, [(document.pk, pending, state)])

    results, new_state, caught_up = outcome
    assert [r.revision for r in results] == [1, 2, 3]
    assert caught_up == []
    assert new_state.revision == 3 and new_state.content == "Oh, hello! world"
    await sync_to_async(document.refresh_from_db)()
    assert document.revision == 3 and document.content == "Oh, hello! world"
    assert document.last_edited_by_id == owner.pk
    log = await sync_to_async(_log)(document.pk)
    assert [(rev, op_id) for rev, op_id, _ops in log] == [(1, "a-1"), (2, "b-1"), (3, "c-1")]
    text = "hello"
    for _rev, _op_id, ops in log:
        text = ot.apply(text, ops)
    assert text == document.content


async def test_another_process_committing_first_is_caught_up_and_transformed(pg, owner):
    document = await sync_to_async(DocumentFactory)(owner=owner, content="abc")
    state = await sync_to_async(_state)(document)  # this process holds revision 0
    # Meanwhile another process commits two revisions under the lock.
    await sync_to_async(_locked_commit)(
        document.pk,
        [
            PendingOperation("other-1", 0, owner.pk, ops=["X", 3]),
            PendingOperation("other-2", 1, owner.pk, ops=[4, "Y"]),
        ],
    )
    mine = PendingOperation("mine-1", 0, owner.pk, ops=[1, "-", 2])
    (outcome,) = await _commit_all(pg, [(document.pk, [mine], state)])

    results, new_state, caught_up = outcome
    assert [frame["client_op_id"] for frame in caught_up] == ["other-1", "other-2"]
    assert [frame["revision"] for frame in caught_up] == [1, 2]
    assert results[0].revision == 3
    assert new_state.content == "Xa-bcY"
    await sync_to_async(document.refresh_from_db)()
    assert (document.revision, document.content) == (3, "Xa-bcY")


async def test_an_op_id_committed_elsewhere_is_a_duplicate_not_a_second_copy(pg, owner):
    document = await sync_to_async(DocumentFactory)(owner=owner, content="abc")
    state = await sync_to_async(_state)(document)
    op = PendingOperation("same-id", 0, owner.pk, ops=[3, "!"])
    await sync_to_async(_locked_commit)(document.pk, [op])
    resent = PendingOperation("same-id", 0, owner.pk, ops=[3, "!"])
    fresh = PendingOperation("next", 0, owner.pk, ops=["#", 3])

    (outcome,) = await _commit_all(pg, [(document.pk, [resent, fresh], state)])

    results, _state_after, _caught_up = outcome
    assert results[0].duplicate and results[0].revision == 1
    assert results[1].committed and results[1].revision == 2
    await sync_to_async(document.refresh_from_db)()
    assert document.content == "#abc!"
    assert [op_id for _r, op_id, _o in await sync_to_async(_log)(document.pk)] == [
        "same-id",
        "next",
    ]


async def test_a_deleted_document_and_a_state_behind_the_base(pg, owner):
    gone = await sync_to_async(DocumentFactory)(owner=owner, content="x")
    gone_state = await sync_to_async(_state)(gone)
    await sync_to_async(gone.delete)()
    kept = await sync_to_async(DocumentFactory)(owner=owner, content="y")
    kept_state = await sync_to_async(_state)(kept)
    ahead = PendingOperation("ahead", 5, owner.pk, ops=[1, "z"])  # the process never saw 5

    outcomes = await _commit_all(
        pg,
        [
            (gone.pk, [PendingOperation("g", 0, owner.pk, ops=[1, "!"])], gone_state),
            (kept.pk, [ahead], kept_state),
            (kept.pk, [PendingOperation("n", 0, owner.pk, ops=[1, "!"])], None),
        ],
    )

    assert isinstance(outcomes[0], Document.DoesNotExist)
    assert isinstance(outcomes[1], Unresolved)  # only the locked path may judge it
    assert isinstance(outcomes[2], Unresolved)  # nothing held: the locked path loads it
    assert await Operation.objects.filter(document_id=kept.pk).acount() == 0


async def test_crossing_a_snapshot_boundary_writes_a_snapshot(pg, owner, settings):
    settings.SNAPSHOT_EVERY = 2
    document = await sync_to_async(DocumentFactory)(owner=owner, content="")
    state = await sync_to_async(_state)(document)
    pending = [PendingOperation(f"s-{n}", 0, owner.pk, ops=["a"]) for n in (0, 1)]
    await _commit_all(pg, [(document.pk, pending, state)])
    assert await sync_to_async(
        lambda: list(Snapshot.objects.filter(document=document).values_list("revision", "content"))
    )() == [(2, "aa")]


async def test_several_processes_committing_at_once_keep_one_gap_free_history(owner):
    """Four committers (as four server processes would), each with its own connection and
    state, hammer one document; half of their attempts find it moved. Every op lands once."""
    document = await sync_to_async(DocumentFactory)(owner=owner, content="")
    per_writer, writers = 40, 4

    async def writer(name: str) -> list[int]:
        conn = await FastCommitter.connect()
        state = await sync_to_async(_state)(document)
        committed = []
        try:
            for n in range(per_writer):
                base = state.revision
                op = PendingOperation(
                    f"{name}-{n}", base, owner.pk, ops=_insert(name, 0, len(state.content))
                )
                (outcome,) = await _commit_all(conn, [(document.pk, [op], state)])
                if isinstance(outcome, Unresolved):  # three conflicts in a row: lock it
                    results, state = await sync_to_async(commit.commit_operations)(
                        document_id=document.pk, pending=[op], state=state
                    )
                else:
                    results, state, _caught_up = outcome
                assert results[0].committed
                committed.append(results[0].revision)
                await asyncio.sleep(0)
        finally:
            await conn.close()
        return committed

    moved_before = metrics.commit_rounds.labels("moved")._value.get()
    revisions = await asyncio.gather(*(writer(name) for name in "ABCD"))
    assert metrics.commit_rounds.labels("moved")._value.get() > moved_before  # conflicts met

    total = per_writer * writers
    assert sorted(r for rs in revisions for r in rs) == list(range(1, total + 1))
    log = await sync_to_async(_log)(document.pk)
    assert [rev for rev, _id, _ops in log] == list(range(1, total + 1))
    assert len({op_id for _rev, op_id, _ops in log}) == total
    text = ""
    for _rev, _id, ops in log:
        text = ot.apply(text, ops)
    await sync_to_async(document.refresh_from_db)()
    assert text == document.content and len(text) == total
    assert sorted(text) == sorted("ABCD" * per_writer)


async def test_the_committer_falls_back_to_the_lock_when_the_database_call_fails(
    owner, monkeypatch
):
    document = await sync_to_async(DocumentFactory)(owner=owner, content="abc")
    state = await sync_to_async(_state)(document)
    committer = FastCommitter()

    async def broken(*_args, **_kwargs):
        raise psycopg.OperationalError("server closed the connection unexpectedly")
        yield  # an async generator, like the real one

    monkeypatch.setattr(commit, "commit_documents_fast", broken)
    op = PendingOperation("x", 0, owner.pk, ops=[3, "!"])
    (outcome,) = [o async for _index, o in committer.commit([(document.pk, [op], state)])]

    assert isinstance(outcome, Unresolved)
    assert not committer.available()  # rests a moment before trying again
    assert state.revision == 0  # nothing half-applied to what the process holds


async def test_documents_stored_at_once_are_answered_before_moved_ones_are_retried(pg, owner):
    calm = await sync_to_async(DocumentFactory)(owner=owner, content="calm")
    busy = await sync_to_async(DocumentFactory)(owner=owner, content="busy")
    calm_state = await sync_to_async(_state)(calm)
    busy_state = await sync_to_async(_state)(busy)
    await sync_to_async(_locked_commit)(
        busy.pk, [PendingOperation("elsewhere", 0, owner.pk, ops=[4, "!"])]
    )

    order = []
    async for index, outcome in commit.commit_documents_fast(
        pg,
        [
            (busy.pk, [PendingOperation("b", 0, owner.pk, ops=["*", 4])], busy_state),
            (calm.pk, [PendingOperation("c", 0, owner.pk, ops=["*", 4])], calm_state),
        ],
    ):
        order.append(index)
        results, _state_after, caught_up = outcome
        assert results[0].committed
        if index == 0:
            assert [frame["client_op_id"] for frame in caught_up] == ["elsewhere"]

    assert order == [1, 0]  # the calm document did not wait for the busy one's second try
    await sync_to_async(busy.refresh_from_db)()
    assert (busy.revision, busy.content) == (2, "*busy!")
