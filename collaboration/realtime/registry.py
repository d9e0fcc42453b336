"""One process's live state: its hubs and sockets, the bus, and the background loops.

There is one `Registry` per event loop (per server process). It routes what the bus
brings (revisions, relays, topic frames, access changes) to the right sockets (a
document's topic frames to the sockets joined to it and to those that subscribed to it
without joining: document pages), and its watchdog keeps them honest when the bus is
not: it fills gaps from the operation log, notices documents that moved in the database
while the bus was silent, polls the access versions the sockets' rights were decided on
(`ACCESS_POLL_SECONDS`), refreshes presence, and has the post-commit hook catch up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from django.conf import settings

from config import metrics
from config.drain import wait_until

from .. import revisions, selectors
from ..services import sessions as session_services
from . import process, wire
from .access import CLOSE_FORBIDDEN, Reviewer, revoked_frame
from .bus import Bus, LocalBus, RedisBus
from .committer import Committer
from .db import run_db
from .hub import GAP_WAIT_SECONDS, DocumentHub
from .presence import LocalPresence, Presence, RedisPresence, one_per_user, presence_frame
from .sockets import SocketHandle
from .topics import Topics

logger = logging.getLogger(__name__)

WATCHDOG_SECONDS = 1.0
DB_CHECK_SECONDS = 3.0
HOOK_CATCH_UP_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 5.0  # per background task, once cancelled
LAG_PROBE_SECONDS = 0.05  # how often the loop's lag is sampled (timings on)


class Registry:
    """All hubs and sockets of one process (one event loop), the bus and background tasks."""

    _by_loop: dict[int, Registry] = {}

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.hubs: dict[int, DocumentHub] = {}
        self.sockets: dict[str, SocketHandle] = {}
        self.by_user: dict[int, set[SocketHandle]] = {}
        self.tasks: list[asyncio.Task] = []
        self.db_check_requested = asyncio.Event()
        self.started = False
        self.local_presence = LocalPresence()
        if settings.REDIS_URL:
            self.bus: Bus = RedisBus(self, settings.REDIS_URL)
            self.presence: Presence = RedisPresence(self.bus.client, self.local_presence)
        else:
            self.bus = LocalBus()
            self.presence = self.local_presence
        self.committer = Committer(self)
        self.reviewer = Reviewer(self)
        self.topics = Topics(self)
        self.hook_documents: dict[int, int] = {}  # document -> first revision to deliver
        self.hook_task: asyncio.Task | None = None
        self.hook_left: set[int] = set()  # documents whose last delivery was left to another
        # Stage timings of edits, loop lag, bus transit (config/metrics.py; off by default).
        self.timings: bool = settings.REALTIME_TIMINGS

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
    def existing(cls) -> Registry | None:
        """This loop's registry, if a socket ever made one (None: nothing to drain)."""
        loop = asyncio.get_running_loop()
        registry = cls._by_loop.get(id(loop))
        return registry if registry is not None and registry.loop is loop else None

    async def start(self) -> None:
        if self.started:
            return
        self.started = True
        process.announce(self)
        await self.bus.start()
        self.tasks.append(asyncio.create_task(self.committer.run(), name="committer"))
        self.tasks.append(asyncio.create_task(self._watchdog(), name="hub-watchdog"))
        if self.timings:
            self.tasks.append(asyncio.create_task(self._lag_probe(), name="loop-lag-probe"))

    async def stop(self) -> None:
        process.withdraw(self)
        hook = self.hook_task
        if hook is not None and not hook.done():
            # A delivery runs in a database thread that cancelling cannot stop: let the one
            # under way end, so its transaction is over before whatever follows the stop
            # (a shutdown, a test's flush) touches the tables.
            self.hook_documents.clear()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(hook), timeout=10)
        extra = [t for t in (self.hook_task, self.reviewer.task) if t is not None]
        for task in [*self.tasks, *extra]:
            task.cancel()
        for task in [*self.tasks, *extra]:
            # Bounded (asyncio.wait does not cancel again and wait): a task that ignored its
            # cancellation must not hold up a shutdown.
            await asyncio.wait({task}, timeout=STOP_TIMEOUT_SECONDS)
            if task.done() and not task.cancelled():
                task.exception()  # retrieved, so asyncio does not log it as never retrieved
            elif not task.done():
                logger.error("task %s did not stop when cancelled", task.get_name())
        self.tasks.clear()
        await self.committer.stop()
        await self.bus.close()
        self.started = False

    async def settle(self, deadline: float) -> bool:
        """Commits and answers the edits the hubs hold, and publishes them to the other
        processes: the drain's first step (config/sigterm.py), once sockets send no new
        edits. False if `deadline` (time.monotonic()) came first; what is then still
        unanswered is resent by its clients wherever they reconnect."""

        def idle() -> bool:
            busy = any(hub.queue or hub.committing for hub in self.hubs.values())
            return not busy and not self.committer.background

        settled = await wait_until(idle, deadline)
        try:
            async with asyncio.timeout_at(self.loop.time() + max(0.0, deadline - time.monotonic())):
                await self.bus.flushed()
        except TimeoutError:
            return False
        return settled

    # --- sockets -------------------------------------------------------------------------
    async def connect(self, handle: SocketHandle, *, user_since: int | None = None):
        """Registers a signed-in socket and puts it on its user's topic; returns the
        user topic's backlog (see Topics.attach) for the caller to send."""
        await self.start()
        self.sockets[handle.conn_id] = handle
        self.by_user.setdefault(handle.user_id, set()).add(handle)
        return await self.topics.attach(handle, wire.USER, handle.user_id, user_since)

    async def disconnect(self, handle: SocketHandle) -> None:
        """Forgets a socket (after it closed): topics, presence, its hub."""
        handle.gone = True
        self.sockets.pop(handle.conn_id, None)
        users = self.by_user.get(handle.user_id)
        if users is not None:
            users.discard(handle)
            if not users:
                del self.by_user[handle.user_id]
        await self.topics.detach(handle, wire.USER, handle.user_id)
        for room_id in list(handle.rooms):
            await self.topics.detach(handle, wire.ROOM, room_id)
        handle.rooms.clear()
        for document_id in list(handle.documents):
            await self.topics.detach(handle, wire.DOCUMENT, document_id)
        handle.documents.clear()
        if handle.document_id is None:
            return
        await self.topics.detach(handle, wire.DOCUMENT, handle.document_id)
        hub = self.hubs.get(handle.document_id)
        if hub is None:
            return
        hub.remove(handle.conn_id)
        try:
            await self.presence.remove(hub.document_id, handle.conn_id)
            participants = await self.participants(hub.document_id)
            if all(p["user_id"] != handle.user_id for p in participants):
                await self.relay(
                    hub.document_id,
                    presence_frame("leave", handle.presence_info(), participants),
                )
        finally:
            await self.release(hub)

    def revoke(self, handle: SocketHandle, reason: str) -> None:
        """The socket lost its rights: it gets nothing more, then an error, then closes."""
        handle.revoke(revoked_frame(reason), CLOSE_FORBIDDEN)
        if handle.document_id is not None and (hub := self.hubs.get(handle.document_id)):
            hub.remove(handle.conn_id)  # its queued edits are dropped, never committed
            hub.restamp()

    def leave_room(self, handle: SocketHandle, room_id: int, *, reason: str = "") -> None:
        """Takes the socket off a room's topic (at once; the bus follows)."""
        handle.rooms.pop(room_id, None)
        message = "You may no longer read this room." if reason else ""
        self._leave_topic(handle, wire.ROOM, room_id, {"room": room_id}, reason, message)

    def leave_document(
        self, handle: SocketHandle, document_id: int, *, reason: str = "", deleted: bool = False
    ) -> None:
        """Takes the socket off the topic of a document it subscribed to (not joined)."""
        handle.documents.pop(document_id, None)
        message = ""
        if reason:
            message = (
                "This document was deleted." if deleted else "You may no longer read this document."
            )
        ref = {"document": document_id}
        self._leave_topic(handle, wire.DOCUMENT, document_id, ref, reason, message)

    def _leave_topic(
        self, handle: SocketHandle, kind: str, object_id: int, ref: dict, reason: str, message: str
    ) -> None:
        """Nothing more of the topic reaches the socket, not even what is held back; then
        `unsubscribed`, past any hold (it explains the silence)."""
        topic = wire.topic_name(kind, object_id)
        handle.drop_held(topic)
        last = self.topics.remove(handle, kind, object_id)
        frame = {"type": "unsubscribed", **ref, "topic": topic}
        if reason:
            frame.update(reason=reason, message=message)
        handle.send_past_hold(wire.dumps(frame))
        if last:
            self.loop.create_task(self.bus.unsubscribe(kind, object_id))

    # --- hubs ----------------------------------------------------------------------------
    async def hub(self, document_id: int) -> DocumentHub:
        await self.start()
        hub = self.hubs.get(document_id)
        if hub is None:
            hub = self.hubs[document_id] = DocumentHub(self, document_id)
        if not hub.subscribed:
            hub.subscribed = True
            await self.bus.subscribe(wire.DOCUMENT, document_id)
        return hub

    async def release(self, hub: DocumentHub) -> None:
        """Drops a hub once its last socket left and nothing is in flight."""
        if hub.sockets or hub.queue or hub.committing:
            return
        if self.hubs.get(hub.document_id) is hub:
            del self.hubs[hub.document_id]
            self.hook_left.discard(hub.document_id)
            hub.subscribed = False
            await self.bus.unsubscribe(wire.DOCUMENT, hub.document_id)

    # --- what the bus brings -----------------------------------------------------------------
    def dispatch(self, kind: str, object_id: int, message: dict) -> None:
        """A message from the bus, or from a publisher in this process."""
        k = message.get("k")
        if k == "topic":
            # Every kind: a document's topic reaches the sockets joined to it (they are on
            # it from their join) and those that subscribed to it, once each.
            if isinstance(message.get("frame"), dict):
                self.topics.deliver(kind, object_id, message["frame"])
        elif kind == wire.DOCUMENT:
            hub = self.hubs.get(object_id)
            if k == "access":
                joined = hub.sockets.values() if hub is not None else ()
                self.reviewer.request({*joined, *self.topics.sockets(kind, object_id)})
            elif hub is None:
                return
            elif k == "ops":
                if self.timings and isinstance(message.get("t"), float):
                    metrics.bus_transit_seconds.observe(max(0.0, time.time() - message["t"]))
                hub.receive(message.get("frames") or [])
            elif k == "relay":
                hub.relay(message["frame"], exclude=message.get("exclude"))
        elif k == "access" and kind == wire.USER:
            self.reviewer.request(self.by_user.get(object_id, ()))
        elif k == "access" and kind == wire.ROOM:
            self.reviewer.request(self.topics.sockets(wire.ROOM, object_id))

    async def relay(self, document_id: int, frame: dict, exclude: str | None = None) -> None:
        """Sends a frame to every socket of the document in every process."""
        hub = self.hubs.get(document_id)
        if hub is not None:
            hub.relay(frame, exclude=exclude)
        self.bus.publish_soon(
            wire.DOCUMENT, document_id, {"k": "relay", "frame": frame, "exclude": exclude}
        )

    # --- presence ------------------------------------------------------------------------
    def local_presence_infos(self, document_id: int) -> list[dict]:
        return self.local_presence.infos(document_id)

    async def participants(self, document_id: int) -> list[dict]:
        """Everyone on the document, once per user, in every process."""
        return one_per_user(await self.presence.list(document_id))

    # --- gaps and fills ---------------------------------------------------------------------
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
        if handle.filling:
            return
        handle.filling = True
        self.loop.create_task(self._fill_socket(hub, handle))

    async def _fill_socket(self, hub: DocumentHub, handle: SocketHandle) -> None:
        try:
            upto = hub.revision or 0
            if handle.delivered is None or handle.delivered >= upto:
                return
            frames, _version = await run_db(
                _frames_between, hub.document_id, handle.delivered, upto
            )
            for frame in frames:
                if frame["revision"] == handle.delivered + 1:
                    handle.send_text(wire.dumps(dict(frame, type="edit")))
                    handle.delivered = frame["revision"]
            hub.catch_up(handle)
        except Exception:  # a background task: the socket reconnects and catches up itself
            logger.exception("could not fill socket %s", handle.conn_id)
        finally:
            handle.filling = False

    async def _fill_hub(self, hub: DocumentHub, target: int | None = None) -> None:
        """Fetches revisions the hub is missing from the log (gap or silence)."""
        if hub.filling or hub.revision is None:
            return
        hub.filling = True
        try:
            upto = target if target is not None else min(hub.buffer, default=hub.revision + 1) - 1
            if upto <= hub.revision:
                return
            frames, version = await run_db(_frames_between, hub.document_id, hub.revision, upto)
            hub.receive([dict(frame, av=version) for frame in frames])
        except Exception:  # a background task: the watchdog tries again
            logger.exception("could not fill document %s from the log", hub.document_id)
        finally:
            hub.filling = False

    # --- the post-commit hook -------------------------------------------------------------
    def revisions_committed(self, document_id: int, first_revision: int) -> None:
        """Revisions were committed from here: have the hook's receivers get them."""
        if not revisions.has_receivers():
            return
        self.hook_documents.setdefault(document_id, first_revision)
        if self.hook_task is None or self.hook_task.done():
            self.hook_task = self.loop.create_task(self._deliver_hooks(), name="revision-hook")

    async def _deliver_hooks(self) -> None:
        # Revisions committed meanwhile join this delivery: a busy document's keystrokes
        # reach the receivers a few at a time instead of one transaction each.
        await asyncio.sleep(settings.HOOK_DELAY_SECONDS)
        while self.hook_documents:
            document_id, first = self.hook_documents.popitem()
            if self._leave_to_later_committer(document_id):
                metrics.hook_deliveries.labels("left").inc()
                continue
            metrics.hook_deliveries.labels("delivered").inc()
            try:
                await run_db(revisions.deliver, document_id=document_id, first_revision=first)
            except Exception:  # the catch-up pass delivers what this missed
                logger.exception("post-commit hook for document %s failed", document_id)

    def _leave_to_later_committer(self, document_id: int) -> bool:
        """True: skip this delivery, another process (or a REST edit) committed the
        document after this process last did.

        Whoever committed the latest revision delivers it, after its own gathering, and a
        delivery hands the receivers everything up to then, this process's revisions too:
        on a document edited through two processes, one delivery instead of two queuing on
        the same cursors. Never twice in a row, so that two processes taking turns cannot
        keep leaving it to each other; and if the other process dies first, the catch-up
        passes (the watchdogs', Celery beat's) deliver.
        """
        hub = self.hubs.get(document_id)
        if document_id in self.hook_left or hub is None or hub.revision is None:
            self.hook_left.discard(document_id)
            return False
        if hub.revision <= hub.committed_here:
            return False
        self.hook_left.add(document_id)
        return True

    async def _lag_probe(self) -> None:
        """How late the loop wakes a timer: the wait any frame or commit sees before it
        even starts (timings on)."""
        while True:
            expected = time.perf_counter() + LAG_PROBE_SECONDS
            await asyncio.sleep(LAG_PROBE_SECONDS)
            metrics.event_loop_lag_seconds.observe(max(0.0, time.perf_counter() - expected))

    # --- the watchdog ------------------------------------------------------------------------
    async def _watchdog(self) -> None:
        """Fills gaps, notices silent documents and moved rights, keeps presence alive."""
        now = time.monotonic()
        last_db_check = last_poll = last_heartbeat = last_hooks = now
        while True:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
            # that arrives as the event is set, and this loop would outlive stop().
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(WATCHDOG_SECONDS / 4):
                    await self.db_check_requested.wait()
            now = time.monotonic()
            try:
                for hub in list(self.hubs.values()):
                    if hub.gap_since is not None and now - hub.gap_since > GAP_WAIT_SECONDS:
                        await self._fill_hub(hub)
                check_revisions = (
                    self.db_check_requested.is_set() or now - last_db_check > DB_CHECK_SECONDS
                )
                if check_revisions or now - last_poll > settings.ACCESS_POLL_SECONDS:
                    self.db_check_requested.clear()
                    last_poll = now
                    if check_revisions:
                        last_db_check = now
                    await self._poll(check_revisions=check_revisions)
                if now - last_heartbeat > settings.PRESENCE_TTL_SECONDS / 3:
                    last_heartbeat = now
                    await self._presence_heartbeat()
                if now - last_hooks > HOOK_CATCH_UP_SECONDS:
                    last_hooks = now
                    await self._hooks_catch_up()
            except asyncio.CancelledError:
                raise
            except Exception:  # a background loop: log and go on
                logger.exception("watchdog pass failed")

    async def _poll(self, *, check_revisions: bool) -> None:
        """Compares revisions and access versions with the database (one snapshot)."""
        if not self.sockets:
            return
        room_ids = sorted({room for h in self.sockets.values() for room in h.rooms})
        followed = {d for h in self.sockets.values() for d in h.documents}
        snapshot = await run_db(
            selectors.access_snapshot,
            document_ids=sorted(followed.union(self.hubs)),
            user_ids=list(self.by_user),
            room_ids=room_ids,
        )
        stale: list[SocketHandle] = []
        for document_id, (revision, version) in snapshot.documents.items():
            hub = self.hubs.get(document_id)
            if hub is None:
                continue
            hub.note_access_version(version)
            if check_revisions and hub.revision is not None and revision > hub.revision:
                await self._fill_hub(hub, target=revision)
        for document_id, hub in list(self.hubs.items()):
            if document_id not in snapshot.documents and hub.sockets:
                stale.extend(hub.sockets.values())  # deleted
        for handle in list(self.sockets.values()):
            user = snapshot.users.get(handle.user_id)
            if (
                user is None
                or user[0] != handle.user_version
                or user[1] != handle.credential.stamp
                or not user[2]
                or any(snapshot.rooms.get(r, -1) != v for r, v in handle.rooms.items())
                or any(
                    snapshot.documents.get(d, (0, -1))[1] != v for d, v in handle.documents.items()
                )
            ):
                stale.append(handle)
        if stale:
            self.reviewer.request(stale)

    async def _presence_heartbeat(self) -> None:
        entries = {
            d: {h.conn_id: h.presence_info() for h in hub.sockets.values()}
            for d, hub in self.hubs.items()
            if hub.sockets
        }
        await self.presence.refresh(entries)
        removed = await self.presence.expire(list(entries))
        for document_id, infos in removed.items():
            participants = await self.participants(document_id)
            present = {p["user_id"] for p in participants}
            for info in infos:
                if info["user_id"] in present:
                    continue
                present.add(info["user_id"])
                await self.relay(
                    document_id,
                    presence_frame("leave", info, participants),
                )
        session_conns = [h.conn_id for hub in self.hubs.values() for h in hub.sockets.values()]
        if session_conns:
            await run_db(session_services.session_touch, connection_ids=session_conns)

    async def _hooks_catch_up(self) -> None:
        # Documents waiting for this process's own delivery are not behind: left out.
        behind = [d for d in self.hubs if d not in self.hook_documents]
        if behind and revisions.has_receivers():
            await run_db(revisions.deliver_pending, document_ids=behind)


def _frames_between(document_id: int, after: int, upto: int) -> tuple[list[dict], int]:
    """Broadcast frames of revisions after..upto, and the document's access version now."""
    frames = list(
        selectors.operations_between(document_id=document_id, after=after, upto=upto).values(
            "revision", "ops", "user_id", "client_op_id"
        )
    )
    version = selectors.document_access_version(document_id=document_id)
    return frames, version
