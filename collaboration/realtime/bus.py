"""The bus between server processes: Redis pub/sub, or nothing at all without Redis.

A process subscribes to the channel of every document, user and room it has sockets
for. Several parts of a process may need one channel at once (a document's hub and the
document pages subscribed to its topic share the document's channel), so both buses count
subscribers per channel: the channel is left only when the last of them leaves.

Pub/sub can lose messages (Redis restarts, slow subscribers), so nothing relies on it
alone: revisions are filled from the operation log, access changes are also polled.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from . import wire

logger = logging.getLogger(__name__)

CLOSE_TIMEOUT_SECONDS = 5.0
YIELD_EVERY = 32  # messages handled before letting sockets and commits run


class Listener(Protocol):
    def dispatch(self, kind: str, object_id: int, message: dict) -> None: ...

    def request_db_check(self) -> None: ...


class Subscribers:
    """How many parts of this process need each channel. `add` is True for the first,
    `remove` True for the last (only then does the bus talk to Redis)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def add(self, name: str) -> bool:
        self.counts[name] = self.counts.get(name, 0) + 1
        return self.counts[name] == 1

    def remove(self, name: str) -> bool:
        count = self.counts.get(name, 0)
        if count <= 1:
            self.counts.pop(name, None)
            return count == 1
        self.counts[name] = count - 1
        return False

    def count(self, name: str) -> int:
        return self.counts.get(name, 0)

    def names(self) -> list[str]:
        return list(self.counts)


class LocalBus:
    """One process, no Redis (development and tests): publishers deliver locally."""

    client = None

    def __init__(self) -> None:
        self.subscribers = Subscribers()  # kept as RedisBus does, so both behave alike

    async def start(self) -> None:
        return None

    async def subscribe(self, kind: str, object_id: int) -> None:
        self.subscribers.add(wire.channel(kind, object_id))

    async def unsubscribe(self, kind: str, object_id: int) -> None:
        self.subscribers.remove(wire.channel(kind, object_id))

    def subscriber_count(self, kind: str, object_id: int) -> int:
        return self.subscribers.count(wire.channel(kind, object_id))

    async def publish(self, kind: str, object_id: int, message: dict) -> None:
        return None  # delivered locally by the publisher; nobody else listens

    def publish_soon(self, kind: str, object_id: int, message: dict) -> None:
        return None

    async def flushed(self) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisBus:
    """Redis pub/sub with reconnection; every channel is subscribed again after a drop."""

    def __init__(self, listener: Listener, url: str):
        self.listener = listener
        # A blocking pool: a burst of commands (200 sockets joining at once) waits for a
        # free connection instead of failing with "Too many connections".
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=64, timeout=5, socket_timeout=5, socket_connect_timeout=3
        )
        self.client = aioredis.Redis(connection_pool=pool)
        self.pubsub = None
        self.subscribers = Subscribers()
        self.task: asyncio.Task | None = None
        self.connected = asyncio.Event()
        self.outgoing: list[tuple[str, str]] = []  # (channel, data) queued by publish_soon
        self.sender: asyncio.Task | None = None

    async def start(self) -> None:
        if self.task is None:
            self.task = asyncio.create_task(self._listen(), name="redis-bus-listener")

    async def _listen(self) -> None:
        backoff = 0.1
        while True:
            try:
                self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
                # Subscribe to something first so get_message has a connection to read.
                await self.pubsub.subscribe(wire.process_channel())
                self.connected.set()
                # Channels opened from here on subscribe by themselves; these are the ones
                # opened before (or while the line above was waiting for Redis).
                if channels := self.subscribers.names():
                    await self.pubsub.subscribe(*channels)
                backoff = 0.1
                # Messages may have been missed while disconnected: check the database.
                self.listener.request_db_check()
                await self._read()
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                self.connected.clear()
                logger.warning("redis bus lost its connection (%s); reconnecting", exc)
                with contextlib.suppress(RedisError, OSError):
                    await self.pubsub.aclose()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)

    async def _read(self) -> None:
        handled = 0
        while True:
            message = await self.pubsub.get_message(timeout=1.0)
            if message is None or message.get("type") != "message":
                continue
            handled += 1
            if handled % YIELD_EVERY == 0:
                # Buffered messages come without a real wait: let sockets and commits run.
                await asyncio.sleep(0)
            origin, body = wire.decode(message["data"])
            if origin == wire.OWN_ORIGIN:
                continue  # this process delivered it to its sockets already
            target = wire.parse_channel(message["channel"].decode())
            if target is None:
                continue
            try:
                payload = json.loads(body)
            except ValueError:
                continue
            try:
                self.listener.dispatch(*target, payload)
            except Exception:  # one bad message must not stop the listener
                logger.exception("bus message on %s could not be handled", target)

    async def subscribe(self, kind: str, object_id: int) -> None:
        name = wire.channel(kind, object_id)
        if self.subscribers.add(name) and self.connected.is_set():
            try:
                await self.pubsub.subscribe(name)
            except (RedisError, OSError) as exc:  # the listener reconnects and resubscribes
                logger.warning("subscribe to %s failed: %s", name, exc)

    async def unsubscribe(self, kind: str, object_id: int) -> None:
        name = wire.channel(kind, object_id)
        if self.subscribers.remove(name) and self.connected.is_set():
            with contextlib.suppress(RedisError, OSError):
                await self.pubsub.unsubscribe(name)

    def subscriber_count(self, kind: str, object_id: int) -> int:
        return self.subscribers.count(wire.channel(kind, object_id))

    async def publish(self, kind: str, object_id: int, message: dict) -> None:
        try:
            await self.client.publish(
                wire.channel(kind, object_id), wire.encode(wire.PROCESS_ID, message)
            )
        except (RedisError, OSError) as exc:
            # Other processes find revisions in the log by themselves.
            logger.warning("publish to %s %s failed: %s", kind, object_id, exc)

    def publish_soon(self, kind: str, object_id: int, message: dict) -> None:
        """Queues a message for the other processes; returns at once.

        Everything queued while the loop runs other work (a committer round settling 16
        documents, a broadcast) goes out in one pipeline: one round trip and one pass
        through the client instead of one per message. One sender at a time sends the
        queue in order, so messages of a channel arrive in the order they were queued.
        """
        self.outgoing.append((wire.channel(kind, object_id), wire.encode(wire.PROCESS_ID, message)))
        if self.sender is None or self.sender.done():
            self.sender = asyncio.get_running_loop().create_task(
                self._send_outgoing(), name="redis-bus-sender"
            )

    async def _send_outgoing(self) -> None:
        while self.outgoing:
            batch, self.outgoing = self.outgoing, []
            try:
                if len(batch) == 1:  # a pipeline of one costs more than the command alone
                    await self.client.publish(*batch[0])
                    continue
                async with self.client.pipeline(transaction=False) as pipe:
                    for name, data in batch:
                        pipe.publish(name, data)
                    await pipe.execute()
            except (RedisError, OSError) as exc:
                # Other processes find revisions in the log by themselves.
                logger.warning("publish of %d messages failed: %s", len(batch), exc)

    async def flushed(self) -> None:
        """Returns once everything queued by `publish_soon` so far was sent (or failed)."""
        while self.sender is not None and not self.sender.done():
            await asyncio.shield(self.sender)

    async def close(self) -> None:
        if self.sender is not None and not self.sender.done():
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(self.flushed(), CLOSE_TIMEOUT_SECONDS)
        if self.task:
            self.task.cancel()
            with contextlib.suppress(BaseException):
                # A listener stuck in the Redis client must not hold up a shutdown.
                await asyncio.wait_for(self.task, CLOSE_TIMEOUT_SECONDS)
        with contextlib.suppress(RedisError, OSError):
            await self.client.aclose()


Bus = LocalBus | RedisBus
