"""What the real-time profile changed: edit timings, batched bus publishes, the committer's lock
order, and post-commit deliveries left to the process that committed last
(bench/profile_realtime.md)."""

import asyncio
from types import SimpleNamespace

import pytest
from prometheus_client import REGISTRY
from redis.exceptions import RedisError

from collaboration.realtime import committer as committer_module
from collaboration.realtime import registry as registry_module
from collaboration.realtime import wire
from collaboration.realtime.bus import RedisBus
from collaboration.realtime.committer import Committer
from collaboration.realtime.registry import Registry
from collaboration.tests.live_client import join, make_doc, make_user
from config import metrics


def stage_count(stage: str) -> float:
    value = REGISTRY.get_sample_value("learnai_realtime_edit_stage_seconds_count", {"stage": stage})
    return value or 0.0


def stage_sum(stage: str) -> float:
    return REGISTRY.get_sample_value("learnai_realtime_edit_stage_seconds_sum", {"stage": stage})


# --- edit timings ---------------------------------------------------------------------------


def test_an_edit_timer_observes_each_stage_once_and_they_add_up_to_the_total():
    before = {stage: (stage_count(stage), stage_sum(stage) or 0.0) for stage in metrics.EDIT_STAGES}
    timer = metrics.EditTimer(10.0)
    timer.submitted, timer.batched, timer.committed, timer.acked = 10.001, 10.004, 10.009, 10.010
    timer.written(10.012)
    added = {
        stage: (stage_count(stage) - count, stage_sum(stage) - total)
        for stage, (count, total) in before.items()
    }
    assert all(count == 1 for count, _seconds in added.values())
    expected = {"parse": 0.001, "queued": 0.003, "commit": 0.005, "settle": 0.001, "write": 0.002}
    for stage, seconds in expected.items():
        assert added[stage][1] == pytest.approx(seconds, abs=1e-9)
    assert added["total"][1] == pytest.approx(sum(expected.values()), abs=1e-9)


async def _edit_once(user, document) -> None:
    client, joined = await join(user, document)
    assert joined["type"] == "authenticated"
    await client.send(
        {"type": "edit", "revision": 0, "client_op_id": "t1",
         "edit": {"operation": "insert", "position": 0, "text": "x"}}
    )  # fmt: skip
    assert (await client.recv_type("ack"))["revision"] == 1
    await client.close()


async def _counts_reach(target: float) -> bool:
    for _ in range(100):  # the flusher observes the timer right after writing the ack
        if all(stage_count(stage) >= target for stage in metrics.EDIT_STAGES):
            return True
        await asyncio.sleep(0.01)
    return False


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("registry_cleanup")
async def test_with_timings_on_a_socket_edit_is_timed_from_its_frame_to_its_written_ack(settings):
    settings.REALTIME_TIMINGS = True
    user = await make_user()
    document = await make_doc(content="", owner=user)
    before = stage_count("total")
    await _edit_once(user, document)
    assert await _counts_reach(before + 1)
    assert stage_count("total") == before + 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("registry_cleanup")
async def test_with_timings_off_nothing_is_timed(settings):
    settings.REALTIME_TIMINGS = False
    user = await make_user()
    document = await make_doc(content="", owner=user)
    before = {stage: stage_count(stage) for stage in metrics.EDIT_STAGES}
    await _edit_once(user, document)
    await asyncio.sleep(0.05)
    assert {stage: stage_count(stage) for stage in metrics.EDIT_STAGES} == before


# --- the bus: publishes queued together leave together ---------------------------------------


class FakePipeline:
    def __init__(self, client):
        self.client = client
        self.commands: list[tuple[str, str]] = []

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        return False

    def publish(self, channel: str, data: str) -> None:
        self.commands.append((channel, data))

    async def execute(self) -> None:
        if self.client.failures:
            self.client.failures -= 1
            raise RedisError("connection lost")
        self.client.sent.append(self.commands)


class FakeRedis:
    """Records what each pipeline would have sent."""

    def __init__(self):
        self.sent: list[list[tuple[str, str]]] = []
        self.failures = 0

    def pipeline(self, transaction: bool):
        assert transaction is False
        return FakePipeline(self)

    async def publish(self, channel: str, data: str) -> None:
        pipe = FakePipeline(self)
        pipe.publish(channel, data)
        await pipe.execute()

    async def aclose(self) -> None:
        return None


def _bus() -> tuple[RedisBus, FakeRedis]:
    listener = SimpleNamespace(dispatch=lambda *args: None, request_db_check=lambda: None)
    bus = RedisBus(listener, "redis://127.0.0.1:6379/0")  # connects only when used
    fake = bus.client = FakeRedis()
    return bus, fake


async def test_messages_queued_in_one_pass_go_out_in_one_pipeline_in_their_order():
    bus, fake = _bus()
    for revision, document_id in ((1, 7), (1, 8), (2, 7)):
        bus.publish_soon(wire.DOCUMENT, document_id, {"k": "ops", "frames": [revision]})
    await bus.flushed()
    assert len(fake.sent) == 1
    assert [(name, wire.decode(data.encode())[1]) for name, data in fake.sent[0]] == [
        (wire.channel(wire.DOCUMENT, 7), b'{"k":"ops","frames":[1]}'),
        (wire.channel(wire.DOCUMENT, 8), b'{"k":"ops","frames":[1]}'),
        (wire.channel(wire.DOCUMENT, 7), b'{"k":"ops","frames":[2]}'),
    ]
    bus.publish_soon(wire.DOCUMENT, 7, {"k": "ops", "frames": [3]})
    await bus.flushed()
    assert len(fake.sent) == 2
    await bus.close()


async def test_a_failed_pipeline_is_logged_and_later_messages_still_go_out(caplog):
    bus, fake = _bus()
    fake.failures = 1
    bus.publish_soon(wire.DOCUMENT, 7, {"k": "ops", "frames": [1]})
    await bus.flushed()
    assert fake.sent == []
    assert "publish of 1 messages failed" in caplog.text
    bus.publish_soon(wire.DOCUMENT, 7, {"k": "ops", "frames": [2]})
    await bus.flushed()
    assert len(fake.sent) == 1
    await bus.close()


# --- the committer: one lock order for every process -------------------------------------------


class FakeHub:
    def __init__(self, document_id: int):
        self.document_id = document_id
        self.state = None
        self.solo = 0
        self.sockets = {"someone": object()}

    def take_batch(self):
        return [SimpleNamespace(pending=f"op of {self.document_id}")]


async def test_a_round_commits_its_documents_in_id_order(monkeypatch):
    committer = Committer(SimpleNamespace(loop=asyncio.get_running_loop()))
    seen: list[list[int]] = []

    async def commit(batches):
        seen.append([document_id for document_id, _pending, _state in batches])
        return
        yield  # an async generator that answers nothing

    monkeypatch.setattr(committer.fast, "available", lambda: True)
    monkeypatch.setattr(committer.fast, "commit", commit)
    await committer._commit_group([FakeHub(30), FakeHub(10), FakeHub(20)])
    assert seen == [[10, 20, 30]]


async def test_the_locked_path_gets_the_same_order(monkeypatch):
    committer = Committer(SimpleNamespace(loop=asyncio.get_running_loop()))
    seen: list[list[int]] = []

    async def run_db(func, batches):
        seen.append([document_id for document_id, _pending, _state in batches])
        raise RuntimeError("stop here")

    monkeypatch.setattr(committer.fast, "available", lambda: False)
    monkeypatch.setattr(committer_module, "run_db", run_db)
    hubs = [FakeHub(3), FakeHub(1)]
    for hub in hubs:
        hub.commit_failed = lambda batch, exc, alone: None
    await committer._commit_group(hubs)
    assert seen == [[1, 3]]


# --- the post-commit hook: the latest committer delivers ----------------------------------------


class HookHub(FakeHub):
    def __init__(self, document_id: int, revision: int, committed_here: int):
        super().__init__(document_id)
        self.revision = revision
        self.committed_here = committed_here


@pytest.fixture
async def hook_registry(monkeypatch, settings):
    settings.HOOK_DELAY_SECONDS = 0
    registry = Registry(asyncio.get_running_loop())
    registry.delivered = []

    async def run_db(func, *, document_id, first_revision):
        assert func is registry_module.revisions.deliver
        registry.delivered.append(document_id)

    monkeypatch.setattr(registry_module, "run_db", run_db)
    monkeypatch.setattr(registry_module.revisions, "has_receivers", lambda: True)
    return registry


async def deliver_now(registry, document_id: int) -> None:
    registry.revisions_committed(document_id, 1)
    await registry.hook_task


async def test_a_process_that_committed_last_delivers(hook_registry):
    hook_registry.hubs = {7: HookHub(7, revision=12, committed_here=12)}
    await deliver_now(hook_registry, 7)
    assert hook_registry.delivered == [7]


async def test_a_later_commit_elsewhere_takes_the_delivery_but_never_twice_in_a_row(hook_registry):
    hook_registry.hubs = {7: HookHub(7, revision=12, committed_here=10)}
    await deliver_now(hook_registry, 7)
    assert hook_registry.delivered == []  # the process that committed 11 and 12 delivers
    await deliver_now(hook_registry, 7)
    assert hook_registry.delivered == [7]  # taking turns must not starve the receivers
    await deliver_now(hook_registry, 7)
    assert hook_registry.delivered == [7]


async def test_without_a_hub_the_process_delivers(hook_registry):
    await deliver_now(hook_registry, 8)
    assert hook_registry.delivered == [8]
