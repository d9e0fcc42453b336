"""The post-commit hook: every revision reaches every receiver once, in order, after commit."""

import asyncio

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from collaboration import revisions, services, tasks
from collaboration.models import EditSource, RevisionCursor
from collaboration.tests.live_client import join, make_doc, make_user

pytestmark = pytest.mark.django_db(transaction=True)


class Recorder:
    """A receiver that keeps what it was given (and can be told to fail)."""

    def __init__(self):
        self.events: list[revisions.RevisionEvent] = []
        self.fail_on: int | None = None

    def __call__(self, event: revisions.RevisionEvent) -> None:
        if event.revision == self.fail_on:
            raise RuntimeError("the receiver broke")
        self.events.append(event)

    def seen(self, document_id: int) -> list[int]:
        return [e.revision for e in self.events if e.document_id == document_id]


@pytest.fixture
def recorder():
    record = Recorder()
    revisions.receiver("test.recorder")(record)
    yield record
    revisions.unregister("test.recorder")


def edit(document, user, base, text, op_id, **kwargs):
    return services.document_apply_operation(
        document_id=document.pk,
        user=user,
        base_revision=base,
        client_op_id=op_id,
        simple={"operation": "insert", "position": 0, "text": text},
        **kwargs,
    )


def test_rest_edits_and_restores_reach_the_receiver_in_order_with_their_source(recorder):
    owner = UserFactory()
    document = services.document_create(owner=owner, title="Hooked", content="base")
    for n in range(3):
        assert edit(document, owner, n, f"{n}", f"e{n}").committed
    services.document_restore(document_id=document.pk, user=owner, revision=0)

    assert recorder.seen(document.pk) == [1, 2, 3, 4]
    assert [e.source for e in recorder.events] == ["api", "api", "api", "restore"]
    first = recorder.events[0]
    assert (first.author_id, first.actor_id, first.client_op_id) == (owner.pk, owner.pk, "e0")
    assert first.ops == ["0", 4]
    assert RevisionCursor.objects.get(receiver="test.recorder", document=document).revision == 4


def test_a_merged_edit_credits_its_author_and_names_who_merged_it(recorder):
    author, reviewer = UserFactory(), UserFactory()
    document = services.document_create(owner=reviewer, title="Merged", content="x")
    result = edit(document, reviewer, 0, "from the proposal ", "m1", source=EditSource.MERGE,
                  author=author)  # fmt: skip
    assert result.committed
    (event,) = recorder.events
    assert (event.author_id, event.actor_id, event.source) == (author.pk, reviewer.pk, "merge")


def test_nothing_reaches_the_receiver_when_the_transaction_rolls_back(recorder):
    owner = UserFactory()
    document = services.document_create(owner=owner, title="Rolled back", content="")
    with pytest.raises(RuntimeError), transaction.atomic():
        edit(document, owner, 0, "never", "r1")
        raise RuntimeError("abort")
    assert recorder.events == []
    assert edit(document, owner, 0, "kept", "r2").committed
    assert recorder.seen(document.pk) == [1]


def test_a_failing_receiver_loses_nothing_and_the_others_go_on(recorder):
    owner = UserFactory()
    document = services.document_create(owner=owner, title="Flaky", content="")
    other = Recorder()
    revisions.receiver("test.other")(other)
    try:
        recorder.fail_on = 2
        for n in range(3):
            edit(document, owner, n, f"{n}", f"f{n}")
        # The broken receiver stopped before revision 2 and retries from there; the other
        # receiver got everything.
        assert recorder.seen(document.pk) == [1]
        assert other.seen(document.pk) == [1, 2, 3]
        recorder.fail_on = None
        assert revisions.deliver_pending() == 2
        assert recorder.seen(document.pk) == [1, 2, 3]
        assert revisions.deliver_pending() == 0  # nothing twice
    finally:
        revisions.unregister("test.other")


def test_all_receivers_of_a_document_are_served_by_one_read_of_the_log(monkeypatch):
    owner = UserFactory()
    document = services.document_create(owner=owner, title="Shared", content="")
    monkeypatch.setattr(revisions, "deliver_after_commit", lambda document_id, revision: None)
    for n in range(3):
        edit(document, owner, n, f"{n}", f"s{n}")
    many = [Recorder() for _ in range(3)]
    for n, record in enumerate(many):
        revisions.receiver(f"test.many{n}")(record)
    try:
        with CaptureQueriesContext(connection) as queries:
            revisions.deliver(document_id=document.pk, first_revision=1)
        assert all(record.seen(document.pk) == [1, 2, 3] for record in many)
        # The hook's own reads of the log (receivers may read it for their own reasons).
        chunk = f"LIMIT {revisions.DELIVERY_CHUNK}"
        log_reads = [
            q for q in queries if "collaboration_operation" in q["sql"] and chunk in q["sql"]
        ]
        assert len(log_reads) == 1  # not one per receiver
        assert revisions.deliver(document_id=document.pk) == 0
    finally:
        for n in range(3):
            revisions.unregister(f"test.many{n}")


def test_a_batch_receiver_gets_each_delivery_as_one_list_in_order(monkeypatch):
    owner = UserFactory()
    document = services.document_create(owner=owner, title="Batched", content="")
    monkeypatch.setattr(revisions, "deliver_after_commit", lambda document_id, revision: None)
    for n in range(4):
        edit(document, owner, n, f"{n}", f"b{n}")
    deliveries: list[list[int]] = []
    revisions.receiver("test.batch", batch=True)(
        lambda events: deliveries.append([e.revision for e in events])
    )
    try:
        revisions.deliver(document_id=document.pk, first_revision=1)
        assert deliveries == [[1, 2, 3, 4]]  # one call for the four revisions
        monkeypatch.undo()
        edit(document, owner, 4, "x", "b4")
        assert deliveries == [[1, 2, 3, 4], [5]]
    finally:
        revisions.unregister("test.batch")


def test_after_a_crash_the_catch_up_pass_delivers_from_the_log(recorder, monkeypatch):
    owner = UserFactory()
    document = services.document_create(owner=owner, title="Crashed", content="")
    # The process dies between committing and delivering: deliveries never happen.
    monkeypatch.setattr(revisions, "deliver_after_commit", lambda document_id, revision: None)
    for n in range(5):
        edit(document, owner, n, f"{n}", f"c{n}")
    assert recorder.events == []
    monkeypatch.undo()
    # Celery beat runs the catch-up pass every minute (also a web process's watchdog);
    # it counts revisions per receiver, and the apps register their own receivers too.
    assert tasks.deliver_revisions_task.apply().get() == 5 * len(revisions.receivers())
    assert recorder.seen(document.pk) == [1, 2, 3, 4, 5]
    assert tasks.deliver_revisions_task.apply().get() == 0


def test_a_receiver_registered_later_starts_with_the_next_revision():
    owner = UserFactory()
    document = services.document_create(owner=owner, title="Older", content="")
    edit(document, owner, 0, "before", "o1")
    late = Recorder()
    revisions.receiver("test.late")(late)
    try:
        edit(document, owner, 1, "after", "o2")
        assert late.seen(document.pk) == [2]
    finally:
        revisions.unregister("test.late")


def test_an_unknown_source_is_a_programming_error():
    owner = UserFactory()
    document = services.document_create(owner=owner, title="Sources", content="")
    with pytest.raises(ValueError, match="unknown edit source"):
        edit(document, owner, 0, "x", "s1", source="telepathy")


@pytest.mark.usefixtures("registry_cleanup")
async def test_socket_edits_reach_the_receiver_too(recorder):
    user = await make_user()
    document = await make_doc(content="", owner=user)
    client, _joined = await join(user, document)
    for n in range(4):
        await client.send(
            {"type": "edit", "revision": n, "client_op_id": f"s{n}",
             "edit": {"operation": "insert", "position": 0, "text": str(n)}}
        )  # fmt: skip
        await client.recv_type("ack")
    for _ in range(100):  # delivered by the process's hook task, after each commit
        if len(recorder.seen(document.pk)) == 4:
            break
        await asyncio.sleep(0.05)
    assert recorder.seen(document.pk) == [1, 2, 3, 4]
    assert {e.source for e in recorder.events} == {"socket"}
    await client.close()
