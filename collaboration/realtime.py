"""Fan-out of committed revisions, presence and relays to every live socket.

Design (shared/docs/performance-notes.md):
- One `DocumentHub` per document per server process holds that process's
  sockets and what the process knows of the document (a `commit.DocumentState`).
  Edits from those sockets queue in the hub and are committed in batches by one
  committer per process: on PostgreSQL in one round trip from the event loop
  (`commit.commit_documents_fast`), otherwise, or when that cannot decide, in
  one transaction under the row lock in a database thread (`commit.commit_documents`).
- Between processes, one Redis pub/sub message per batch per document: every
  process subscribed to the document receives it once and writes the frame,
  serialised once, to each of its local sockets. Without Redis (development,
  tests) the bus is in-process.
- Pub/sub can lose messages (Redis restart, a slow subscriber), so the hub
  never trusts it for completeness: revisions are delivered strictly in order;
  a gap, or a document that moved on in the database while the hub heard
  nothing, is filled from the operation log.
- Presence lives in Redis with expiring entries, refreshed by each process's
  heartbeat, so a dead process's sockets vanish from the participant list.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connections, reset_queries

from config import metrics

from . import commit as commit_module

logger = logging.getLogger(__name__)

PROCESS_ID = f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
_EDITS_OUT = metrics.websocket_messages.labels("out", "edit")  # bound once: a hot counter
HUB_LOG_SIZE = 1000
GAP_WAIT_SECONDS = 0.05
WATCHDOG_SECONDS = 1.0
DB_CHECK_SECONDS = 3.0
CLOSE_TIMEOUT_SECONDS = 5.0
OUTBOX_LIMIT = 20_000
# One committer per process forms the largest groups: one transaction for every document
# with pending edits, instead of several threads fighting over the GIL.
COMMIT_WORKERS = 1
DB_THREADS = 4  # joins, gap fills, chat and the committer
MAX_BATCH = 256  # operations of one document in one commit
MAX_GROUP = 16  # documents committed together in one transaction

PALETTE = [
    "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#46a5a5", "#f032e6", "#7a9a01",
    "#c0392b", "#008080", "#9a6324", "#800000", "#2e8b57", "#000075", "#b8860b", "#5b5ea6",
]  # fmt: skip


def user_color(user_id: int) -> str:
    """A stable colour per user, the same in every process and every session."""
    return PALETTE[(user_id * 7) % len(PALETTE)]


def channel_name(document_id: int) -> str:
    prefix = getattr(settings, "CHANNEL_LAYER_PREFIX_REALTIME", "learnai")
    return f"{prefix}:doc:{int(document_id)}"


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


_OWN_ORIGIN = PROCESS_ID.encode()


def _wire(origin: str, message: dict) -> str:
    """A bus message: the sender's process id, a newline, the JSON.

    The id comes first so a process skips its own messages (it already delivered them)
    without decoding them.
    """
    return f"{origin}\n{dumps(message)}"


# --- Database calls off the event loop ---------------------------------------

_db_executor: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _db_executor
    if _db_executor is None:
        _db_executor = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="db")
    return _db_executor


async def run_db(func: Callable, /, *args, **kwargs):
    """Runs ORM code in a small dedicated thread pool (bounded database connections).

    Each of these few long-lived threads keeps its connection between calls (taking it
    from the pool again for every commit costs more than the commit); a connection that
    saw an error is closed, and the next call opens a fresh one.
    """

    def call():
        connection = connections["default"]
        try:
            return func(*args, **kwargs)
        except Exception:
            connection.close()
            raise
        finally:
            if settings.TESTING:
                # Test databases are dropped at the end; pooled threads must not hold them.
                connections.close_all()
            if settings.DEBUG:
                reset_queries()  # DEBUG keeps every query; these threads never see a request end

    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor(), call)


# --- The bus between processes ------------------------------------------------


class LocalBus:
    """In-process bus: development and tests (one process, no Redis)."""

    def __init__(self, registry: Registry):
        self.registry = registry

    async def start(self) -> None:
        return None

    async def subscribe(self, document_id: int) -> None:
        return None

    async def unsubscribe(self, document_id: int) -> None:
        return None

    async def publish(self, document_id: int, message: dict) -> None:
        # Already delivered locally by the publisher; nothing else listens.
        return None

    # Presence, kept in this process only.
    async def presence_set(self, document_id: int, conn_id: str, info: dict) -> None:
        self.registry.local_presence.setdefault(document_id, {})[conn_id] = info

    async def presence_remove(self, document_id: int, conn_id: str) -> None:
        self.registry.local_presence.get(document_id, {}).pop(conn_id, None)

    async def presence_list(self, document_id: int) -> list[dict]:
        return list(self.registry.local_presence.get(document_id, {}).values())

    async def presence_refresh(self, entries: dict[int, dict[str, dict]]) -> None:
        return None

    async def presence_expire(self, document_ids: list[int]) -> dict[int, list[dict]]:
        return {}

    async def close(self) -> None:
        return None


class RedisBus:
    """Redis pub/sub between processes, with reconnection, plus presence in Redis."""

    def __init__(self, registry: Registry, url: str):
        import redis.asyncio as aioredis

        self.registry = registry
        self.url = url
        # A blocking pool: a burst of commands (200 sockets joining at once) waits for a
        # free connection instead of failing with "Too many connections".
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=64, timeout=5, socket_timeout=5, socket_connect_timeout=3
        )
        self.client = aioredis.Redis(connection_pool=pool)
        self.pubsub = None
        self.channels: set[str] = set()
        self.listener: asyncio.Task | None = None
        self.connected = asyncio.Event()

    async def start(self) -> None:
        if self.listener is None:
            self.listener = asyncio.create_task(self._listen(), name="redis-bus-listener")

    async def _listen(self) -> None:
        backoff = 0.1
        while True:
            try:
                self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
                # Subscribe to something first so get_message has a connection to read.
                await self.pubsub.subscribe(f"learnai:process:{PROCESS_ID}")
                self.connected.set()
                # Documents opened from here on subscribe by themselves; these are the ones
                # opened before (or while the line above was waiting for Redis).
                if self.channels:
                    await self.pubsub.subscribe(*self.channels)
                backoff = 0.1
                # Messages may have been missed while disconnected: check the log.
                self.registry.request_db_check()
                handled = 0
                while True:
                    message = await self.pubsub.get_message(timeout=1.0)
                    if message is None or message.get("type") != "message":
                        continue
                    handled += 1
                    if handled % 32 == 0:
                        # Buffered messages come without a real wait: let sockets and
                        # commits run between bursts.
                        await asyncio.sleep(0)
                    origin, _, body = message["data"].partition(b"\n")
                    if origin == _OWN_ORIGIN:
                        continue  # this process delivered it to its sockets already
                    channel = message["channel"].decode()
                    try:
                        document_id = int(channel.rsplit(":", 1)[1])
                        payload = json.loads(body)
                    except (ValueError, IndexError):
                        continue
                    self.registry.dispatch(document_id, payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.connected.clear()
                logger.warning("redis bus lost its connection (%s); reconnecting", exc)
                with contextlib.suppress(Exception):
                    await self.pubsub.aclose()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)

    async def subscribe(self, document_id: int) -> None:
        name = channel_name(document_id)
        self.channels.add(name)
        if self.connected.is_set():
            try:
                await self.pubsub.subscribe(name)
            except Exception as exc:  # the listener reconnects and resubscribes
                logger.warning("subscribe to %s failed: %s", name, exc)

    async def unsubscribe(self, document_id: int) -> None:
        name = channel_name(document_id)
        self.channels.discard(name)
        if self.connected.is_set():
            with contextlib.suppress(Exception):
                await self.pubsub.unsubscribe(name)

    async def publish(self, document_id: int, message: dict) -> None:
        try:
            await self.client.publish(channel_name(document_id), _wire(PROCESS_ID, message))
        except Exception as exc:
            # Other processes will find the revisions in the log by themselves.
            logger.warning("publish to document %s failed: %s", document_id, exc)

    def _keys(self, document_id: int) -> tuple[str, str]:
        base = f"learnai:presence:{int(document_id)}"
        return base, base + ":info"

    async def presence_set(self, document_id: int, conn_id: str, info: dict) -> None:
        zkey, hkey = self._keys(document_id)
        expires = time.time() + settings.PRESENCE_TTL_SECONDS
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.zadd(zkey, {conn_id: expires})
                pipe.hset(hkey, conn_id, dumps(info))
                pipe.expire(zkey, settings.PRESENCE_TTL_SECONDS * 4)
                pipe.expire(hkey, settings.PRESENCE_TTL_SECONDS * 4)
                await pipe.execute()
        except Exception as exc:
            logger.warning("presence update failed: %s", exc)

    async def presence_remove(self, document_id: int, conn_id: str) -> None:
        zkey, hkey = self._keys(document_id)
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.zrem(zkey, conn_id)
                pipe.hdel(hkey, conn_id)
                await pipe.execute()
        except Exception as exc:
            logger.warning("presence removal failed: %s", exc)

    async def presence_list(self, document_id: int) -> list[dict]:
        zkey, hkey = self._keys(document_id)
        try:
            conns = await self.client.zrangebyscore(zkey, time.time(), "+inf")
            if not conns:
                return []
            infos = await self.client.hmget(hkey, conns)
        except Exception as exc:
            logger.warning("presence read failed: %s", exc)
            return [info for info in self.registry.local_infos(document_id)]
        return [json.loads(i) for i in infos if i]

    async def presence_refresh(self, entries: dict[int, dict[str, dict]]) -> None:
        """Heartbeat: pushes the expiry of this process's live connections forward."""
        if not entries:
            return
        expires = time.time() + settings.PRESENCE_TTL_SECONDS
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for document_id, conns in entries.items():
                    zkey, hkey = self._keys(document_id)
                    pipe.zadd(zkey, dict.fromkeys(conns, expires))
                    pipe.hset(hkey, mapping={c: dumps(info) for c, info in conns.items()})
                    pipe.expire(zkey, settings.PRESENCE_TTL_SECONDS * 4)
                    pipe.expire(hkey, settings.PRESENCE_TTL_SECONDS * 4)
                await pipe.execute()
        except Exception as exc:
            logger.warning("presence heartbeat failed: %s", exc)

    async def presence_expire(self, document_ids: list[int]) -> dict[int, list[dict]]:
        """Removes entries whose process stopped refreshing them; returns what was removed."""
        removed: dict[int, list[dict]] = {}
        now = time.time()
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for document_id in document_ids:
                    pipe.zrangebyscore(self._keys(document_id)[0], "-inf", now)
                found = await pipe.execute()  # one round trip for every document
            for document_id, stale in zip(document_ids, found, strict=True):
                if not stale:
                    continue
                zkey, hkey = self._keys(document_id)
                infos = await self.client.hmget(hkey, stale)
                # zrem answers how many it removed: only one process reports each entry.
                for conn, info in zip(stale, infos, strict=True):
                    if await self.client.zrem(zkey, conn):
                        await self.client.hdel(hkey, conn)
                        if info:
                            removed.setdefault(document_id, []).append(json.loads(info))
        except Exception as exc:
            logger.warning("presence expiry failed: %s", exc)
        return removed

    async def close(self) -> None:
        if self.listener:
            self.listener.cancel()
            with contextlib.suppress(BaseException):
                # A listener stuck in the Redis client must not hold up a shutdown.
                await asyncio.wait_for(self.listener, CLOSE_TIMEOUT_SECONDS)
        with contextlib.suppress(Exception):
            await self.client.aclose()


def _sync_publish(document_id: int, message: dict) -> None:
    """Publishes from synchronous code (REST views, Celery tasks)."""
    if settings.REDIS_URL:
        try:
            _sync_redis().publish(channel_name(document_id), _wire("sync", message))
        except Exception as exc:
            logger.warning("publish to document %s failed: %s", document_id, exc)
    # Sockets of this very process, if it serves any (daphne runs sync views in threads).
    registry = Registry.current_any()
    if registry is not None:
        registry.loop.call_soon_threadsafe(registry.dispatch, document_id, message)


_sync_client = None


def _sync_redis():
    global _sync_client
    if _sync_client is None:
        import redis

        pool = redis.BlockingConnectionPool.from_url(
            settings.REDIS_URL, max_connections=32, timeout=5, socket_timeout=3,
            socket_connect_timeout=3,
        )  # fmt: skip
        _sync_client = redis.Redis(connection_pool=pool)
    return _sync_client


def broadcast_committed(document_id: int, frames: list[dict]) -> None:
    """Tells every live socket about revisions committed outside the socket path.

    Call it from `transaction.on_commit`: the REST API, restores and merges.
    """
    if frames:
        _sync_publish(document_id, {"k": "ops", "frames": frames})


# --- Sockets and hubs -------------------------------------------------------------


@dataclass
class SocketHandle:
    """A live socket as the hub sees it."""

    conn_id: str
    send_text: Callable[[str], None]  # enqueue a text frame; never blocks
    user_id: int
    username: str
    color: str
    can_edit: bool
    delivered: int | None = None  # last revision this socket has; None while joining
    waiting_acks: dict[int, list[str]] = field(default_factory=dict)  # revision -> op ids

    def presence_info(self) -> dict:
        return {
            "conn_id": self.conn_id,
            "user_id": self.user_id,
            "username": self.username,
            "color": self.color,
        }


@dataclass
class _Queued:
    pending: commit_module.PendingOperation
    conn_id: str
    arrived: float


class DocumentHub:
    def __init__(self, registry: Registry, document_id: int):
        self.registry = registry
        self.document_id = document_id
        self.sockets: dict[str, SocketHandle] = {}
        self.revision: int | None = None  # highest revision delivered, in order
        # (revision, frame, serialised edit frame, conn_id of the sender here or None)
        self.log: deque[tuple[int, dict, str, str | None]] = deque(maxlen=HUB_LOG_SIZE)
        self.buffer: dict[int, dict] = {}
        self.gap_since: float | None = None
        self.filling = False
        self.state: commit_module.DocumentState | None = None
        self.queue: list[_Queued] = []
        self.committing = False
        self.scheduled = False
        self.solo = 0  # commits to make one op at a time (after a failed batch)
        self.publishing: asyncio.Task | None = None  # the latest publish, to chain the next
        self.awaiting_ack: dict[str, str] = {}  # client_op_id -> conn_id, in flight here
        self.subscribed = False

    # Joining and leaving.
    def add(self, handle: SocketHandle) -> None:
        self.sockets[handle.conn_id] = handle

    def remove(self, conn_id: str) -> None:
        self.sockets.pop(conn_id, None)

    def joined(self, handle: SocketHandle, revision: int, content: str | None = None) -> None:
        """The socket has the text at `revision`; from now on it gets every later one.

        The text read for the joining socket also seeds the commit state, so the first
        edit of a freshly opened document is stored in one round trip.
        """
        handle.delivered = revision
        if self.revision is None:
            self.revision = revision
            for rev in [r for r in self.buffer if r <= revision]:
                del self.buffer[rev]
            self._drain_buffer()
        if self.state is None and content is not None and not self.committing:
            self.state = commit_module.DocumentState(self.document_id, revision, content)
            self._advance_state()
        self._catch_up(handle)

    # Ordered delivery.
    def receive(self, frames: list[dict]) -> None:
        """Takes committed revisions from any source, in any order, duplicates allowed."""
        for frame in frames:
            rev = frame["revision"]
            if self.revision is not None and rev <= self.revision:
                continue
            self.buffer[rev] = frame
        self._drain_buffer()

    def _drain_buffer(self) -> None:
        if self.revision is None:
            return
        while self.revision + 1 in self.buffer:
            self._deliver(self.buffer.pop(self.revision + 1))
        if self.buffer:
            if self.gap_since is None:
                self.gap_since = time.monotonic()
                self.registry.loop.call_later(GAP_WAIT_SECONDS, self.registry.gap_check, self)
        else:
            self.gap_since = None

    def _deliver(self, frame: dict) -> None:
        rev = frame["revision"]
        text = dumps(
            {
                "type": "edit",
                "revision": rev,
                "ops": frame["ops"],
                "user_id": frame.get("user_id"),
                "client_op_id": frame.get("client_op_id"),
            }
        )
        origin = self.awaiting_ack.pop(frame.get("client_op_id"), None)
        self.revision = rev
        self.log.append((rev, frame, text, origin))
        if not self.committing:
            self._advance_state()
        for handle in list(self.sockets.values()):
            self._send_revision(handle, rev, frame, text, origin)

    def _advance_state(self) -> None:
        """Brings the commit state up to the revisions this hub delivered (from its log).

        Revisions heard from other processes while a commit was in flight are not in the
        state that commit returns; without this, the next commit would find the document
        moved, or a client already at those revisions would wait for the locked path.
        """
        state = self.state
        if state is None or self.revision is None or state.revision >= self.revision:
            return
        missing = self.revision - state.revision
        entries = list(itertools.islice(reversed(self.log), missing))[::-1]
        if len(entries) != missing or entries[0][0] != state.revision + 1:
            return  # not all in the log: the next commit catches up from the database
        try:
            for rev, frame, _text, _origin in entries:
                state.advance(rev, frame["ops"])
        except Exception:
            self.state = None

    def _send_revision(
        self, handle: SocketHandle, rev: int, frame: dict, text: str, origin: str | None
    ) -> None:
        if handle.delivered is None or rev <= handle.delivered:
            return
        if rev > handle.delivered + 1:
            self._catch_up(handle)  # sends this revision too, when the log has the gap
            return
        self._send_one(handle, rev, frame, text, origin)
        if handle.waiting_acks:
            self._flush_waiting_acks(handle)

    @staticmethod
    def _send_one(handle: SocketHandle, rev: int, frame: dict, text: str, origin) -> None:
        """An ack to the socket that sent the op, the edit frame to everyone else."""
        if handle.conn_id == origin:
            handle.send_text(
                dumps({"type": "ack", "client_op_id": frame["client_op_id"], "revision": rev})
            )
        else:
            handle.send_text(text)
        handle.delivered = rev
        _EDITS_OUT.inc()

    def _catch_up(self, handle: SocketHandle) -> None:
        """Sends a socket what the hub log has after the socket's revision."""
        if handle.delivered is None or self.revision is None:
            return
        if handle.delivered >= self.revision:
            self._flush_waiting_acks(handle)
            return
        if not self.log or self.log[0][0] > handle.delivered + 1:
            self.registry.schedule_socket_fill(self, handle)
            return
        for rev, frame, text, origin in self.log:
            if rev == handle.delivered + 1:
                self._send_one(handle, rev, frame, text, origin)
        self._flush_waiting_acks(handle)

    def _flush_waiting_acks(self, handle: SocketHandle) -> None:
        for rev in sorted(r for r in handle.waiting_acks if r <= (handle.delivered or -1)):
            for client_op_id in handle.waiting_acks.pop(rev):
                handle.send_text(
                    dumps({"type": "ack", "client_op_id": client_op_id, "revision": rev})
                )

    def ack_duplicate(self, handle: SocketHandle, client_op_id: str, revision: int) -> None:
        """Acks a resubmitted op, after the socket has every revision before it."""
        handle.waiting_acks.setdefault(revision, []).append(client_op_id)
        if handle.delivered is not None and handle.delivered >= revision:
            self._flush_waiting_acks(handle)

    # Commits.
    def submit(self, pending: commit_module.PendingOperation, conn_id: str) -> None:
        # Known before the commit: whichever path delivers the revision first (this
        # commit, the bus, a fill from the log) then acks the sender instead of echoing.
        self.awaiting_ack[pending.client_op_id] = conn_id
        self.queue.append(_Queued(pending, conn_id, time.perf_counter()))
        if not self.committing and not self.scheduled:
            self.scheduled = True
            self.registry.ready.put_nowait(self)

    def take_batch(self) -> list[_Queued]:
        """The next operations to commit (one at a time after a failed batch)."""
        self.scheduled = False
        size = 1 if self.solo > 0 else MAX_BATCH
        self.solo = max(0, self.solo - 1)
        batch, self.queue = self.queue[:size], self.queue[size:]
        self.committing = bool(batch)
        return batch

    def commit_failed(self, batch: list[_Queued], exc: Exception, *, alone: bool) -> None:
        """A commit raised: retry one by one, or report the error to the senders."""
        self.state = None
        self.committing = False
        missing = type(exc).__name__ == "DoesNotExist"
        if not missing and (len(batch) > 1 or not alone):
            # One bad op must not sink its neighbours: retry them one at a time, alone.
            logger.warning(
                "commit of %d operations failed (%s); retrying one by one", len(batch), exc
            )
            self.queue[:0] = batch
            self.solo = len(batch)
            self._reschedule()
            return
        for queued in batch:
            self.awaiting_ack.pop(queued.pending.client_op_id, None)
            if missing:
                self._send_error(queued, "not_found", "this document no longer exists")
            else:
                self._send_error(
                    queued, "internal_error", "the edit could not be saved; send it again"
                )
        if not missing:
            logger.error("commit of an operation failed: %s", exc)
        self._reschedule()

    async def commit_done(
        self,
        batch: list[_Queued],
        results: list[commit_module.CommitResult],
        state,
        caught_up: list[dict],
    ) -> None:
        """Acks, errors and broadcasts for a committed batch."""
        self.state = state
        if caught_up:  # revisions of other processes, read under the lock: no gap to wait on
            self.receive(caught_up)
        self.committing = False
        self._advance_state()
        done = time.perf_counter()
        committed, duplicates = [], []
        for queued, result in zip(batch, results, strict=True):
            metrics.operation_commit_seconds.observe(done - queued.arrived)
            if result.error is not None:
                self.awaiting_ack.pop(result.client_op_id, None)
                self._send_error(queued, result.error.code, result.error.message)
            elif result.duplicate:
                duplicates.append((queued, result))
            else:
                committed.append(result.frame())
        if committed:
            metrics.operations_committed.labels("socket").inc(len(committed))
            metrics.commit_batch_size.observe(len(committed))
            # This process first (the acks), then every other process.
            self.receive(committed)
        fresh = {frame["client_op_id"] for frame in committed}
        for queued, result in duplicates:
            if result.client_op_id not in fresh:
                self.awaiting_ack.pop(result.client_op_id, None)
            handle = self.sockets.get(queued.conn_id)
            if handle is not None:
                self.ack_duplicate(handle, result.client_op_id, result.revision)
        self._reschedule()
        if committed:
            self._publish(committed)

    def _publish(self, frames: list[dict]) -> None:
        """Publishes in commit order without holding up the committer meanwhile."""
        previous = self.publishing

        async def publish() -> None:
            if previous is not None:
                await asyncio.shield(previous)
            await self.registry.bus.publish(self.document_id, {"k": "ops", "frames": frames})

        self.publishing = self.registry.loop.create_task(publish())

    def _reschedule(self) -> None:
        if self.queue and not self.scheduled:
            self.scheduled = True
            self.registry.ready.put_nowait(self)

    def _send_error(self, queued: _Queued, code: str, message: str) -> None:
        handle = self.sockets.get(queued.conn_id)
        if handle is not None:
            handle.send_text(
                dumps(
                    {
                        "type": "error",
                        "code": code,
                        "message": message,
                        "client_op_id": queued.pending.client_op_id,
                    }
                )
            )

    # Relays (cursor, typing, chat, presence).
    def relay(self, frame: dict, exclude: str | None = None) -> None:
        text = dumps(frame)
        for handle in list(self.sockets.values()):
            if handle.conn_id != exclude and handle.delivered is not None:
                handle.send_text(text)


class FastCommitter:
    """The one-round-trip commit (commit.commit_documents_fast) on the event loop itself.

    An autocommit psycopg connection owned by the loop: a commit is one query and one
    await, with no hop to a thread and no wait for the GIL while the row is locked.
    PostgreSQL only; after an error the connection is dropped, the batch goes the
    locking way, and the fast path rests for a moment before it reconnects.
    """

    RETRY_AFTER_SECONDS = 5.0

    def __init__(self):
        self.connection = None
        self.resting_until = 0.0

    @staticmethod
    def enabled() -> bool:
        return settings.COMMIT_FAST_PATH and connections["default"].vendor == "postgresql"

    def available(self) -> bool:
        return self.enabled() and time.monotonic() >= self.resting_until

    async def commit(self, batches: list):
        """Yields (index, outcome) per batch as `commit.commit_documents_fast` does;
        after a database error, `Unresolved` for every batch not answered yet."""
        answered: set[int] = set()
        try:
            if self.connection is None or self.connection.closed:
                self.connection = await self.connect()
            async for index, outcome in commit_module.commit_documents_fast(
                self.connection, batches
            ):
                answered.add(index)
                yield index, outcome
        except Exception as exc:
            logger.warning("one-round-trip commit failed (%s); committing under the lock", exc)
            self.resting_until = time.monotonic() + self.RETRY_AFTER_SECONDS
            await self.close()
            # The states only ever moved to committed revisions; the locked path goes on
            # from there (an op committed just before the error comes back as a duplicate).
            for index in range(len(batches)):
                if index not in answered:
                    yield index, commit_module.Unresolved()
        finally:
            if settings.TESTING:
                await self.close()  # test databases are dropped at the end

    @staticmethod
    async def connect():
        """A new autocommit connection to the default database (its test copy in tests)."""
        import psycopg

        params = connections["default"].get_connection_params()
        for key in ("context", "cursor_factory", "prepare_threshold"):
            params.pop(key, None)
        return await psycopg.AsyncConnection.connect(autocommit=True, **params)

    async def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()


class Registry:
    """All hubs of one process (one event loop), the bus and the background tasks."""

    _by_loop: dict[int, Registry] = {}

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.hubs: dict[int, DocumentHub] = {}
        self.ready: asyncio.Queue[DocumentHub] = asyncio.Queue()
        self.local_presence: dict[int, dict[str, dict]] = {}
        self.tasks: list[asyncio.Task] = []
        self.db_check_requested = asyncio.Event()
        self.started = False
        self.fast = FastCommitter()
        self.background: set[asyncio.Task] = set()  # locked commits in flight
        if settings.REDIS_URL:
            self.bus: LocalBus | RedisBus = RedisBus(self, settings.REDIS_URL)
        else:
            self.bus = LocalBus(self)

    @classmethod
    def current(cls) -> Registry:
        loop = asyncio.get_running_loop()
        registry = cls._by_loop.get(id(loop))
        if registry is None or registry.loop is not loop or loop.is_closed():
            registry = cls(loop)
            cls._by_loop = {k: r for k, r in cls._by_loop.items() if not r.loop.is_closed()}
            cls._by_loop[id(loop)] = registry
        return registry

    @classmethod
    def current_any(cls) -> Registry | None:
        """The registry of this process's serving loop, from any thread."""
        for registry in cls._by_loop.values():
            if not registry.loop.is_closed() and registry.loop.is_running():
                return registry
        return None

    async def start(self) -> None:
        if self.started:
            return
        self.started = True
        await self.bus.start()
        for i in range(COMMIT_WORKERS):
            self.tasks.append(asyncio.create_task(self._commit_worker(), name=f"committer-{i}"))
        self.tasks.append(asyncio.create_task(self._watchdog(), name="hub-watchdog"))

    async def stop(self) -> None:
        for task in [*self.tasks, *self.background]:
            task.cancel()
        for task in [*self.tasks, *self.background]:
            with contextlib.suppress(BaseException):
                await task
        self.tasks.clear()
        await self.bus.close()
        await self.fast.close()
        self.started = False

    async def hub(self, document_id: int) -> DocumentHub:
        await self.start()
        hub = self.hubs.get(document_id)
        if hub is None:
            hub = self.hubs[document_id] = DocumentHub(self, document_id)
        if not hub.subscribed:
            hub.subscribed = True
            await self.bus.subscribe(document_id)
        return hub

    async def release(self, hub: DocumentHub) -> None:
        """Drops a hub once its last socket left and nothing is in flight."""
        if hub.sockets or hub.queue or hub.committing:
            return
        if self.hubs.get(hub.document_id) is hub:
            del self.hubs[hub.document_id]
            hub.subscribed = False
            await self.bus.unsubscribe(hub.document_id)

    def dispatch(self, document_id: int, message: dict) -> None:
        """A message from the bus (or a sync publisher in this process)."""
        hub = self.hubs.get(document_id)
        if hub is None:
            return
        kind = message.get("k")
        if kind == "ops":
            hub.receive(message.get("frames") or [])
        elif kind == "relay":
            hub.relay(message["frame"], exclude=message.get("exclude"))

    async def relay(self, document_id: int, frame: dict, exclude: str | None = None) -> None:
        """Sends a frame to every socket of the document in every process."""
        hub = self.hubs.get(document_id)
        if hub is not None:
            hub.relay(frame, exclude=exclude)
        await self.bus.publish(document_id, {"k": "relay", "frame": frame, "exclude": exclude})

    def local_infos(self, document_id: int) -> list[dict]:
        hub = self.hubs.get(document_id)
        if hub is None:
            return []
        return [h.presence_info() for h in hub.sockets.values()]

    def gap_check(self, hub: DocumentHub) -> None:
        """A gap outlived GAP_WAIT_SECONDS: fetch the missing revisions from the log."""
        if hub.gap_since is not None and time.monotonic() - hub.gap_since >= GAP_WAIT_SECONDS:
            self.loop.create_task(self._fill_hub(hub))
        elif hub.gap_since is not None:
            self.loop.call_later(GAP_WAIT_SECONDS, self.gap_check, hub)

    def request_db_check(self) -> None:
        self.db_check_requested.set()

    def schedule_socket_fill(self, hub: DocumentHub, handle: SocketHandle) -> None:
        """A socket is behind what the hub log holds: send it the rest from the database."""
        if getattr(handle, "_filling", False):
            return
        handle._filling = True  # type: ignore[attr-defined]
        self.loop.create_task(self._fill_socket(hub, handle))

    async def _fill_socket(self, hub: DocumentHub, handle: SocketHandle) -> None:
        try:
            upto = hub.revision or 0
            if handle.delivered is None or handle.delivered >= upto:
                return
            rows = await run_db(commit_module._load_ops, hub.document_id, handle.delivered, upto)
            frames = await run_db(_frames_for, hub.document_id, [r for r, _ in rows])
            for frame in frames:
                if frame["revision"] == handle.delivered + 1:
                    handle.send_text(dumps(dict(frame, type="edit")))
                    handle.delivered = frame["revision"]
            hub._catch_up(handle)
        except Exception:
            logger.exception("could not fill socket %s", handle.conn_id)
        finally:
            handle._filling = False  # type: ignore[attr-defined]

    async def _fill_hub(self, hub: DocumentHub, target: int | None = None) -> None:
        """Fetches revisions the hub is missing from the log (gap or silence)."""
        if hub.filling or hub.revision is None:
            return
        hub.filling = True
        try:
            upto = target if target is not None else min(hub.buffer, default=hub.revision + 1) - 1
            if upto <= hub.revision:
                return
            frames = await run_db(_frames_between, hub.document_id, hub.revision, upto)
            hub.receive(frames)
        except Exception:
            logger.exception("could not fill document %s from the log", hub.document_id)
        finally:
            hub.filling = False

    async def _commit_worker(self) -> None:
        """Commits what is pending, for as many documents as are ready, in one transaction."""
        while True:
            first = await self.ready.get()
            hubs = [first]
            while len(hubs) < MAX_GROUP and not self.ready.empty():
                hubs.append(self.ready.get_nowait())
            try:
                # Hubs retrying after a failure go alone; the rest share one transaction.
                alone = [h for h in hubs if h.solo > 0]
                together = [h for h in hubs if h.solo == 0]
                for group in ([together] if together else []) + [[h] for h in alone]:
                    await self._commit_group(group)
            except Exception:
                logger.exception("commit worker failed")
            finally:
                for hub in hubs:
                    if not hub.sockets:
                        await self.release(hub)

    async def _commit_group(self, hubs: list[DocumentHub]) -> None:
        work = [(hub, hub.take_batch()) for hub in hubs]
        work = [(hub, batch) for hub, batch in work if batch]
        if not work:
            return
        caught_up: dict[int, list[dict]] = {}
        if self.fast.available():
            slow = []
            batches = [
                (hub.document_id, [q.pending for q in batch], hub.state) for hub, batch in work
            ]
            async for index, outcome in self.fast.commit(batches):
                hub, batch = work[index]
                if isinstance(outcome, commit_module.Unresolved):
                    slow.append((hub, batch))
                    caught_up[hub.document_id] = outcome.caught_up
                elif isinstance(outcome, Exception):
                    hub.commit_failed(batch, outcome, alone=True)
                else:
                    await hub.commit_done(batch, *outcome)
            work = slow
            if not work:
                return
            # The locked path takes a thread and several round trips: the committer goes on
            # with other documents meanwhile (these hubs stay marked as committing).
            task = self.loop.create_task(self._commit_locked(work, caught_up, release=True))
            self.background.add(task)
            task.add_done_callback(self.background.discard)
            return
        await self._commit_locked(work, caught_up)

    async def _commit_locked(
        self, work: list, caught_up: dict[int, list[dict]], *, release: bool = False
    ) -> None:
        """Commits under the row lock (commit.commit_documents) in a database thread."""
        metrics.commit_rounds.labels("locked").inc(len(work))
        try:
            outcomes = await run_db(
                commit_module.commit_documents,
                [(hub.document_id, [q.pending for q in batch], hub.state) for hub, batch in work],
            )
        except Exception as exc:
            for hub, batch in work:
                hub.commit_failed(batch, exc, alone=len(work) == 1)
        else:
            for (hub, batch), outcome in zip(work, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    hub.commit_failed(batch, outcome, alone=True)
                else:
                    results, state, newer = outcome
                    await hub.commit_done(
                        batch, results, state, caught_up.get(hub.document_id, []) + newer
                    )
        if release:
            for hub, _batch in work:
                if not hub.sockets:
                    await self.release(hub)

    async def _watchdog(self) -> None:
        """Fills gaps, notices silent documents, keeps presence alive."""
        last_db_check = time.monotonic()
        last_heartbeat = time.monotonic()
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.db_check_requested.wait(), WATCHDOG_SECONDS / 4)
            now = time.monotonic()
            try:
                for hub in list(self.hubs.values()):
                    if hub.gap_since is not None and now - hub.gap_since > GAP_WAIT_SECONDS:
                        await self._fill_hub(hub)
                if self.db_check_requested.is_set() or now - last_db_check > DB_CHECK_SECONDS:
                    self.db_check_requested.clear()
                    last_db_check = now
                    await self._check_database_revisions()
                if now - last_heartbeat > settings.PRESENCE_TTL_SECONDS / 3:
                    last_heartbeat = now
                    await self._presence_heartbeat()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("watchdog pass failed")

    async def _check_database_revisions(self) -> None:
        active = {d: h for d, h in self.hubs.items() if h.sockets and h.revision is not None}
        if not active:
            return
        revisions = await run_db(_current_revisions, list(active))
        for document_id, revision in revisions.items():
            hub = active[document_id]
            if hub.revision is not None and revision > hub.revision:
                await self._fill_hub(hub, target=revision)

    async def _presence_heartbeat(self) -> None:
        entries = {
            d: {h.conn_id: h.presence_info() for h in hub.sockets.values()}
            for d, hub in self.hubs.items()
            if hub.sockets
        }
        await self.bus.presence_refresh(entries)
        removed = await self.bus.presence_expire(list(entries))
        for document_id, infos in removed.items():
            participants = await self.participants(document_id)
            present = {p["user_id"] for p in participants}
            for info in infos:
                if info["user_id"] in present:
                    continue
                present.add(info["user_id"])
                await self.relay(
                    document_id,
                    {
                        "type": "presence",
                        "event": "leave",
                        "user": _public_user(info),
                        "participants": participants,
                    },
                )
        session_conns = [h.conn_id for hub in self.hubs.values() for h in hub.sockets.values()]
        if session_conns:
            from . import services

            touch = getattr(services, "session_touch", None)
            if touch is not None:
                await run_db(touch, connection_ids=session_conns)

    async def participants(self, document_id: int) -> list[dict]:
        """Everyone on the document, once per user, in every process."""
        infos = await self.bus.presence_list(document_id)
        seen: dict[int, dict] = {}
        for info in infos:
            seen.setdefault(info["user_id"], _public_user(info))
        return sorted(seen.values(), key=lambda p: p["username"].lower())


def _public_user(info: dict) -> dict:
    return {"user_id": info["user_id"], "username": info["username"], "color": info["color"]}


def _frames_between(document_id: int, after: int, upto: int) -> list[dict]:
    from .models import Operation

    rows = Operation.objects.filter(
        document_id=document_id, revision__gt=after, revision__lte=upto
    ).order_by("revision")
    return [
        {"revision": r.revision, "ops": r.ops, "user_id": r.user_id, "client_op_id": r.client_op_id}
        for r in rows.only("revision", "ops", "user_id", "client_op_id")
    ]


def _frames_for(document_id: int, revisions: list[int]) -> list[dict]:
    if not revisions:
        return []
    return _frames_between(document_id, min(revisions) - 1, max(revisions))


def _current_revisions(document_ids: list[int]) -> dict[int, int]:
    from .models import Document

    return dict(Document.objects.filter(pk__in=document_ids).values_list("pk", "revision"))


def participants_now(document_id: int) -> list[dict]:
    """Who is on the document's live editor right now, from synchronous code (pages).

    Reads the same presence entries the sockets keep fresh: Redis when configured
    (every process), otherwise this process's own registry. One entry per user.
    """
    infos: list[dict] = []
    if settings.REDIS_URL:
        base = f"learnai:presence:{int(document_id)}"
        try:
            client = _sync_redis()
            conns = client.zrangebyscore(base, time.time(), "+inf")
            if conns:
                infos = [json.loads(i) for i in client.hmget(base + ":info", conns) if i]
        except Exception as exc:
            logger.warning("presence read failed: %s", exc)
            return []
    else:
        registry = Registry.current_any()
        if registry is not None:
            infos = list(registry.local_presence.get(int(document_id), {}).values())
    seen: dict[int, dict] = {}
    for info in infos:
        seen.setdefault(info["user_id"], _public_user(info))
    return sorted(seen.values(), key=lambda p: p["username"].lower())
