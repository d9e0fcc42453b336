"""One document's sockets in one process: revisions delivered in order, edits queued.

The hub holds what the process knows of the document (a `commit.DocumentState`) and the
edits its sockets sent, which the committer takes in batches. Committed revisions reach
the hub from its own commits, from the bus and from the operation log, in any order and
possibly twice; each socket still gets every revision once, in order, with its own edits
answered by `ack` instead of an echo.

Each revision frame carries the document's access version at commit (`av`). A hub that
sees it grow has its sockets' rights re-decided before it delivers that revision, so a
reader removed from the document never receives text written after the removal, even if
the "access changed" message itself was lost on the way.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from config import metrics

from .. import commit as commit_module
from ..models import Document
from . import wire

if TYPE_CHECKING:
    from .registry import Registry
    from .sockets import SocketHandle

logger = logging.getLogger(__name__)

_EDITS_OUT = metrics.websocket_messages.labels("out", "edit")  # bound once: a hot counter
HUB_LOG_SIZE = 1000
GAP_WAIT_SECONDS = 0.05
MAX_BATCH = 256  # operations of one document in one commit


@dataclass
class Queued:
    pending: commit_module.PendingOperation
    conn_id: str
    arrived: float
    timer: metrics.EditTimer | None = None  # only with REALTIME_TIMINGS


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
        self.access_version: int | None = None  # the highest seen; rights decided on it
        self.queue: list[Queued] = []
        self.committing = False
        self.scheduled = False
        self.solo = 0  # commits to make one op at a time (after a failed batch)
        self.awaiting_ack: dict[str, str] = {}  # client_op_id -> conn_id, in flight here
        self.timers: dict[str, metrics.EditTimer] = {}  # client_op_id -> timer (timings on)
        self.committed_here = 0  # the latest revision this process committed
        self.subscribed = False

    # --- joining and leaving ----------------------------------------------------------
    def add(self, handle: SocketHandle) -> None:
        self.sockets[handle.conn_id] = handle

    def remove(self, conn_id: str) -> None:
        self.sockets.pop(conn_id, None)
        # Edits of a socket that left are dropped unanswered (a socket that lost its
        # rights must not have them committed; a client that reconnects resends them with
        # the same ids). Those the committer already took are committed.
        dropped = [q for q in self.queue if q.conn_id == conn_id]
        if dropped:
            self.queue = [q for q in self.queue if q.conn_id != conn_id]
            for queued in dropped:
                self._forget(queued.pending.client_op_id)
        self._reschedule()  # the others' edits may have waited on this socket's review

    def joined(self, handle: SocketHandle, revision: int, content: str | None = None) -> None:
        """The socket has the text at `revision`; from now on it gets every later one.

        The text read for the joining socket also seeds the commit state, so the first
        edit of a freshly opened document is stored in one round trip.
        """
        handle.delivered = revision
        if self.access_version is not None and (handle.document_version or 0) < (
            self.access_version
        ):
            # Access changed between this socket's decision and its arrival here.
            self.registry.reviewer.request([handle])
        else:
            # A newer version than the other sockets were decided on: decide them again.
            self.note_access_version(handle.document_version)
        if self.revision is None:
            self.revision = revision
            for rev in [r for r in self.buffer if r <= revision]:
                del self.buffer[rev]
            self._drain_buffer()
        if self.state is None and content is not None and not self.committing:
            self.state = commit_module.DocumentState(self.document_id, revision, content)
            self._advance_state()
        self.catch_up(handle)

    # --- ordered delivery ---------------------------------------------------------------
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

    def note_access_version(self, version: int | None, *, review: bool = True) -> None:
        """Access to the document changed at `version`: re-decide before delivering more."""
        if version is None:
            return
        if self.access_version is None:
            self.access_version = version  # the first socket's rights were decided on it
            return
        if version <= self.access_version:
            return
        self.access_version = version
        if review and self.sockets:
            self.registry.reviewer.request(self.sockets.values())

    def _deliver(self, frame: dict) -> None:
        self.note_access_version(frame.get("av"))
        rev = frame["revision"]
        text = wire.dumps(
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
        if self.timers:
            self.timers.pop(frame.get("client_op_id"), None)  # its socket left: not timed

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
        except ValueError:
            self.state = None

    def _send_revision(
        self, handle: SocketHandle, rev: int, frame: dict, text: str, origin: str | None
    ) -> None:
        if handle.delivered is None or rev <= handle.delivered:
            return
        if rev > handle.delivered + 1:
            self.catch_up(handle)  # sends this revision too, when the log has the gap
            return
        self._send_one(handle, rev, frame, text, origin)
        if handle.waiting_acks:
            self._flush_waiting_acks(handle)

    def _send_one(self, handle: SocketHandle, rev: int, frame: dict, text: str, origin) -> None:
        """An ack to the socket that sent the op, the edit frame to everyone else."""
        if handle.conn_id == origin:
            handle.send_text(
                wire.dumps({"type": "ack", "client_op_id": frame["client_op_id"], "revision": rev})
            )
            if self.timers and (timer := self.timers.pop(frame["client_op_id"], None)):
                timer.acked = time.perf_counter()
                handle.ack_timed(timer)
        else:
            handle.send_text(text)
        handle.delivered = rev
        _EDITS_OUT.inc()

    def catch_up(self, handle: SocketHandle) -> None:
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
                    wire.dumps({"type": "ack", "client_op_id": client_op_id, "revision": rev})
                )

    def ack_duplicate(self, handle: SocketHandle, client_op_id: str, revision: int) -> None:
        """Acks a resubmitted op, after the socket has every revision before it."""
        handle.waiting_acks.setdefault(revision, []).append(client_op_id)
        if handle.delivered is not None and handle.delivered >= revision:
            self._flush_waiting_acks(handle)

    # --- commits ------------------------------------------------------------------------
    def submit(
        self,
        pending: commit_module.PendingOperation,
        conn_id: str,
        timer: metrics.EditTimer | None = None,
    ) -> None:
        # Known before the commit: whichever path delivers the revision first (this
        # commit, the bus, a fill from the log) then acks the sender instead of echoing.
        self.awaiting_ack[pending.client_op_id] = conn_id
        now = time.perf_counter()
        if timer is not None:
            timer.submitted = now
            self.timers[pending.client_op_id] = timer
        self.queue.append(Queued(pending, conn_id, now, timer))
        self._reschedule()

    def take_batch(self) -> list[Queued]:
        """The next operations to commit (one at a time after a failed batch)."""
        self.scheduled = False
        size = 1 if self.solo > 0 else MAX_BATCH
        self.solo = max(0, self.solo - 1)
        batch, self.queue = self.queue[:size], self.queue[size:]
        self.committing = bool(batch)
        if self.timers:
            now = time.perf_counter()
            for queued in batch:
                if queued.timer is not None:
                    queued.timer.batched = now
        return batch

    def commit_failed(self, batch: list[Queued], exc: Exception, *, alone: bool) -> None:
        """A commit raised: retry one by one, or report the error to the senders."""
        self.state = None
        self.committing = False
        missing = isinstance(exc, Document.DoesNotExist)
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
            self._forget(queued.pending.client_op_id)
            if missing:
                self._send_error(queued, "not_found", "this document no longer exists")
            else:
                self._send_error(
                    queued, "internal_error", "the edit could not be saved; send it again"
                )
        if not missing:
            logger.error("commit of an operation failed: %s", exc)
        self._reschedule()

    def access_stale(self, batch: list[Queued], stale: commit_module.AccessStale) -> None:
        """Nothing was committed: rights moved since these edits were allowed.

        The edits go back to the front of the queue, and the rights of their sockets are
        decided again; `restamp` then sends on those still allowed and refuses the rest.
        """
        self.committing = False
        if stale.caught_up:
            self.receive([dict(frame, av=stale.document_version) for frame in stale.caught_up])
        self.queue[:0] = batch
        self.note_access_version(stale.document_version)
        behind = []
        for queued in batch:
            handle = self.sockets.get(queued.conn_id)
            if handle is not None and queued.pending.access == handle.stamp():
                behind.append(handle)  # the socket itself was decided on the old versions
        if behind:
            self.registry.reviewer.request(behind)  # restamp runs when the review is done
        else:
            self.restamp()

    def restamp(self) -> None:
        """Queued edits whose stamp is out of date: re-stamped if their socket may still
        edit, refused with `forbidden` otherwise (nothing of theirs is committed)."""
        keep = []
        for queued in self.queue:
            handle = self.sockets.get(queued.conn_id)
            if handle is None:
                self._forget(queued.pending.client_op_id)
                continue
            if handle.held is not None:
                keep.append(queued)  # still being decided; restamped after that
                continue
            if queued.pending.access != handle.stamp():
                if not handle.can_edit:
                    self._forget(queued.pending.client_op_id)
                    self._send_error(queued, "forbidden", "you may no longer edit this document")
                    continue
                queued.pending.access = handle.stamp()
            keep.append(queued)
        self.queue = keep
        self._reschedule()

    def _forget(self, client_op_id: str) -> None:
        """An edit of this process that will not be acked from here."""
        self.awaiting_ack.pop(client_op_id, None)
        self.timers.pop(client_op_id, None)

    def ready_to_commit(self) -> bool:
        """Edits wait while the rights of a socket here are being decided."""
        return not any(handle.held is not None for handle in self.sockets.values())

    async def commit_done(
        self,
        batch: list[Queued],
        results: list[commit_module.CommitResult],
        state: commit_module.DocumentState,
        caught_up: list[dict],
    ) -> None:
        """Acks, errors and broadcasts for a committed batch."""
        self.state = state
        version = state.access_version
        if caught_up:  # revisions of other processes, read under the lock: no gap to wait on
            self.receive([dict(frame, av=version) for frame in caught_up])
        self.committing = False
        self._advance_state()
        done = time.perf_counter()
        committed, duplicates = [], []
        for queued, result in zip(batch, results, strict=True):
            metrics.operation_commit_seconds.observe(done - queued.arrived)
            if queued.timer is not None:
                queued.timer.committed = done
            if result.error is not None:
                self._forget(result.client_op_id)
                self._send_error(queued, result.error.code, result.error.message)
            elif result.duplicate:
                duplicates.append((queued, result))
            else:
                committed.append(dict(result.frame(), av=version))
        if committed:
            metrics.operations_committed.labels("socket").inc(len(committed))
            metrics.commit_batch_size.observe(len(committed))
            # This process first (the acks), then every other process.
            self.receive(committed)
        fresh = {frame["client_op_id"] for frame in committed}
        for queued, result in duplicates:
            if result.client_op_id not in fresh:
                self._forget(result.client_op_id)
            handle = self.sockets.get(queued.conn_id)
            if handle is not None:
                self.ack_duplicate(handle, result.client_op_id, result.revision)
        self._reschedule()
        if committed:
            self._publish(committed)
            self.committed_here = committed[-1]["revision"]
            self.registry.revisions_committed(self.document_id, committed[0]["revision"])

    def _publish(self, frames: list[dict]) -> None:
        """Publishes in commit order without holding up the committer meanwhile (the bus
        sends what a committer round queued in one pipeline, in order)."""
        message: dict = {"k": "ops", "frames": frames}
        if self.registry.timings:
            message["t"] = time.time()  # wall clock: comparable in another process
        self.registry.bus.publish_soon(wire.DOCUMENT, self.document_id, message)

    def _reschedule(self) -> None:
        if self.queue and not self.scheduled and not self.committing and self.ready_to_commit():
            self.scheduled = True
            self.registry.committer.ready.put_nowait(self)

    def _send_error(self, queued: Queued, code: str, message: str) -> None:
        handle = self.sockets.get(queued.conn_id)
        if handle is not None:
            handle.send_text(
                wire.dumps(
                    {
                        "type": "error",
                        "code": code,
                        "message": message,
                        "client_op_id": queued.pending.client_op_id,
                    }
                )
            )

    # --- relays (cursor, typing, chat, presence) ------------------------------------------
    def relay(self, frame: dict, exclude: str | None = None) -> None:
        text = wire.dumps(frame)
        for handle in list(self.sockets.values()):
            if handle.conn_id != exclude and handle.delivered is not None:
                handle.send_text(text)
