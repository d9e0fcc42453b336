"""The Redis bus between server processes (needs a real Redis: CI sets REDIS_URL)."""

import asyncio

import pytest
import redis.asyncio as aioredis
from django.conf import settings

from collaboration.realtime import wire
from collaboration.realtime.bus import RedisBus

pytestmark = pytest.mark.skipif(
    not settings.REDIS_URL,
    reason="the bus between processes is Redis pub/sub; without REDIS_URL the bus is "
    "in-process (CI runs this with REDIS_URL set)",
)


class Recorder:
    """Stands in for the registry: records what the bus dispatches."""

    def __init__(self):
        self.got: list[tuple[int, dict]] = []
        self.arrived = asyncio.Event()
        self.db_checks = 0

    def dispatch(self, kind, object_id, message):
        assert kind == wire.DOCUMENT
        self.got.append((object_id, message))
        self.arrived.set()

    def request_db_check(self):
        self.db_checks += 1


async def _publish_until_heard(recorder, document_id, message, publisher) -> None:
    channel = wire.channel(wire.DOCUMENT, document_id)
    for _ in range(50):
        await publisher.publish(channel, wire.encode("other-process", message))
        try:
            await asyncio.wait_for(recorder.arrived.wait(), 0.1)
            return
        except TimeoutError:
            continue
    raise AssertionError(f"document {document_id} never heard what another process published")


async def test_documents_opened_while_the_bus_connects_still_hear_other_processes():
    """A fresh process gets its first sockets while its bus is still connecting to Redis:
    every document opened then must be subscribed once the bus is up (a lost subscription
    left such documents hearing of other processes' edits only every few seconds)."""
    recorder = Recorder()
    bus = RedisBus(recorder, settings.REDIS_URL)
    publisher = aioredis.Redis.from_url(settings.REDIS_URL)
    try:
        await bus.start()
        await asyncio.sleep(0)  # the listener is now waiting for Redis, not yet connected
        assert not bus.connected.is_set()
        await bus.subscribe(wire.DOCUMENT, 987_001)
        await asyncio.wait_for(bus.connected.wait(), 5)
        await bus.subscribe(wire.DOCUMENT, 987_002)  # and one opened after it connected

        message = {"k": "ops", "frames": [{"revision": 1, "ops": ["x"]}]}
        for document_id in (987_001, 987_002):
            recorder.arrived.clear()
            await _publish_until_heard(recorder, document_id, message, publisher)
        assert [d for d, _m in recorder.got][:2] == [987_001, 987_002]
        # Whatever was published while it was not listening is looked up in the log.
        assert recorder.db_checks == 1
    finally:
        await bus.close()
        await publisher.aclose()


async def test_a_process_skips_its_own_messages_and_hears_everyone_elses():
    recorder = Recorder()
    bus = RedisBus(recorder, settings.REDIS_URL)
    publisher = aioredis.Redis.from_url(settings.REDIS_URL)
    try:
        await bus.start()
        await bus.subscribe(wire.DOCUMENT, 987_003)
        await asyncio.wait_for(bus.connected.wait(), 5)
        await bus.publish(
            wire.DOCUMENT, 987_003, {"k": "relay", "frame": {"type": "typing"}}
        )  # its own
        relay = {"k": "relay", "frame": {"type": "typing", "is_typing": True}}
        await _publish_until_heard(recorder, 987_003, relay, publisher)
        await asyncio.sleep(0.1)
        assert recorder.got == [(987_003, relay)]
    finally:
        await bus.close()
        await publisher.aclose()
