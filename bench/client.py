"""A protocol client that keeps an exact OT replica (ot.js-style), for benchmarks and tests.

One operation in flight at a time; later local edits are composed into a
buffer; remote operations are transformed against both; on reconnect the
client rejoins from its last revision and resends its unacknowledged
operation with the same client_op_id. A server that restarts closes with 1012
("service restart"): the client then reconnects by itself, to the next of its
URLs, as the editor does (frontend/connection.js).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collaboration import ot

ALPHABET = "abcdefghij klmnop\nqrstuvwxyz😀𝔸é中"
CLOSE_SERVICE_RESTART = 1012
RESTART_SPREAD_SECONDS = 1.0  # reconnects after a restart are spread over this window
RESTART_ATTEMPTS = 50


class ProtocolError(Exception):
    pass


@dataclass
class Stats:
    sent: int = 0
    acked: int = 0
    errors: list = field(default_factory=list)
    rate_limited: int = 0  # refused for the edit rate limit, then sent again
    ack_latencies: list = field(default_factory=list)
    fanout_latencies: list = field(default_factory=list)


class ReplicaClient:
    def __init__(
        self,
        url: str,
        token: str,
        document_id: str,
        *,
        name: str,
        stats: Stats | None = None,
        sent_at: dict | None = None,
        alternates: list[str] | None = None,
    ):
        self.url = url
        # Where to go when the server closes with 1012: the next URL in this ring.
        self.urls = [url, *(u for u in alternates or [] if u != url)]
        self.token = token
        self.document_id = str(document_id)
        self.name = name
        self.stats = stats or Stats()
        self.sent_at = sent_at if sent_at is not None else {}
        self.ws = None
        self.revision = 0
        self.text = ""
        self.inflight: tuple[str, list] | None = None  # (client_op_id, ops on self.revision)
        self.buffer: list | None = None
        self.counter = 0
        self.reader: asyncio.Task | None = None
        self.joined = asyncio.Event()
        self.idle = asyncio.Event()
        self.idle.set()
        self.closed_by_us = False
        self.acked_ids: set[str] = set()
        self._background: set[asyncio.Task] = set()
        self.restarts = 0  # closes with 1012 received
        self.moving: asyncio.Task | None = None

    # --- connection -----------------------------------------------------------
    async def connect(self, *, fresh: bool = True) -> None:
        self.joined.clear()
        self.ws = await websockets.connect(self.url, max_size=4 * 1024 * 1024, open_timeout=10)
        frame = {"type": "authenticate", "token": self.token, "document_id": self.document_id}
        if not fresh:
            frame["revision"] = self.revision
        await self.ws.send(json.dumps(frame))
        reply = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
        if reply.get("type") != "authenticated":
            raise ProtocolError(f"{self.name}: could not join: {reply}")
        if fresh or "ops_since" not in reply or reply.get("ops_since_complete") is False:
            if not fresh and (self.inflight or self.buffer):
                raise ProtocolError(f"{self.name}: cannot rebase pending edits")
            self.text = reply["content"]
            self.revision = reply["revision"]
        else:
            for op in reply["ops_since"]:
                self._on_remote(op["revision"], op["ops"], op.get("client_op_id"))
            if self.revision != reply["revision"]:
                raise ProtocolError(f"{self.name}: ops_since left a gap")
        self.reader = asyncio.create_task(self._read())
        self.joined.set()
        if self.inflight is not None:  # resend what was never acknowledged
            await self._send_op(*self.inflight)
        else:  # ops_since held our in-flight op: its ack; what was typed since goes now
            await self._maybe_send_buffer()

    async def close(self) -> None:
        self.closed_by_us = True
        if self.moving is not None:
            self.moving.cancel()
            with contextlib.suppress(BaseException):
                await self.moving
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(BaseException):
                await self.reader

    async def drop(self) -> None:
        """Loses the connection abruptly (as a network failure would)."""
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(BaseException):
                await self.reader
        if self.ws is not None:
            transport = getattr(self.ws, "transport", None)
            if transport is not None:
                transport.abort()
            with contextlib.suppress(Exception):
                await self.ws.close()

    async def reconnect(self, url: str | None = None) -> None:
        if url:
            self.url = url
        await self.connect(fresh=False)

    # --- editing --------------------------------------------------------------
    def random_edit(self, rng: random.Random) -> list:
        n = len(self.text)
        if n > 20 and rng.random() < 0.35:
            pos = rng.randrange(n)
            length = rng.randint(1, min(5, n - pos))
            return ot.normalize([pos, -length, n - pos - length])
        pos = rng.randint(0, n)
        piece = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 4)))
        return ot.normalize([pos, piece, n - pos])

    async def edit(self, ops: list) -> None:
        self.text = ot.apply(self.text, ops)
        if self.inflight is None:
            if self.buffer is not None:  # unsent edits go first, in the same op
                ops, self.buffer = ot.compose(self.buffer, ops), None
            self.counter += 1
            op_id = f"{self.name}-{self.counter}"
            self.inflight = (op_id, ops)
            self.idle.clear()
            await self._send_op(op_id, ops)
        else:
            self.buffer = ops if self.buffer is None else ot.compose(self.buffer, ops)

    async def _send_op(self, op_id: str, ops: list) -> None:
        self.sent_at.setdefault(op_id, time.perf_counter())
        self.stats.sent += 1
        with contextlib.suppress(Exception):
            await self.ws.send(
                json.dumps(
                    {
                        "type": "edit",
                        "revision": self.revision,
                        "client_op_id": op_id,
                        "edit": {"ops": ops},
                    }
                )
            )

    async def _read(self) -> None:
        try:
            await self._read_frames()
        except ProtocolError as exc:
            self.stats.errors.append({"code": "client_protocol_error", "message": str(exc)})
            raise
        if self.ws.close_code == CLOSE_SERVICE_RESTART and not self.closed_by_us:
            self.joined.clear()
            self.restarts += 1
            self.moving = asyncio.get_running_loop().create_task(self._move())

    async def _move(self) -> None:
        """The server restarts: rejoin on the next URL (then the others), resending what
        was never acknowledged. Spread like the editor's, so a process's clients do not
        all arrive at once."""
        await asyncio.sleep(random.random() * RESTART_SPREAD_SECONDS)
        start = self.urls.index(self.url) if self.url in self.urls else 0
        ring = self.urls[start + 1 :] + self.urls[: start + 1]
        for attempt in range(RESTART_ATTEMPTS):
            try:
                await self.reconnect(ring[attempt % len(ring)])
                return
            except (OSError, TimeoutError, websockets.WebSocketException) as exc:
                last = exc
                await asyncio.sleep(0.2)
            except ProtocolError as exc:  # the server answered, but not with the document
                self.stats.errors.append({"code": "client_protocol_error", "message": str(exc)})
                return
        self.stats.errors.append({"code": "client_reconnect_failed", "message": str(last)})

    async def _read_frames(self) -> None:
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "ack":
                    await self._on_ack(frame)
                elif kind == "edit":
                    now = time.perf_counter()
                    sent = self.sent_at.get(frame.get("client_op_id"))
                    if sent is not None:
                        self.stats.fanout_latencies.append(now - sent)
                    self._on_remote(frame["revision"], frame["ops"], frame.get("client_op_id"))
                    await self._maybe_send_buffer()
                elif kind == "error" and frame.get("code") == "rate_limited":
                    self.stats.rate_limited += 1
                    self._resend_later(frame)
                elif kind == "error":
                    self.stats.errors.append(frame)
        except (websockets.ConnectionClosed, ConnectionError):
            pass

    def _resend_later(self, frame: dict) -> None:
        """A refused edit changed nothing: send it again (same id) once the limit allows."""
        if self.inflight is None or frame.get("client_op_id") != self.inflight[0]:
            return
        op_id = self.inflight[0]
        delay = max(1, int(frame.get("retry_after_ms") or 1)) / 1000

        async def resend() -> None:
            await asyncio.sleep(delay)
            if self.inflight is not None and self.inflight[0] == op_id:
                await self._send_op(*self.inflight)

        task = asyncio.get_running_loop().create_task(resend())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _on_ack(self, frame: dict) -> None:
        if self.inflight is None or frame["client_op_id"] != self.inflight[0]:
            raise ProtocolError(f"{self.name}: unexpected ack {frame}")
        if frame["revision"] != self.revision + 1:
            raise ProtocolError(f"{self.name}: ack {frame['revision']} after {self.revision}")
        self._acknowledge(frame["client_op_id"], frame["revision"])
        await self._maybe_send_buffer()

    def _acknowledge(self, op_id: str, revision: int) -> None:
        sent = self.sent_at.get(op_id)
        if sent is not None:
            self.stats.ack_latencies.append(time.perf_counter() - sent)
        self.stats.acked += 1
        self.acked_ids.add(op_id)
        self.revision = revision
        self.inflight = None

    async def _maybe_send_buffer(self) -> None:
        if self.inflight is None and self.buffer is not None:
            ops, self.buffer = self.buffer, None
            self.counter += 1
            op_id = f"{self.name}-{self.counter}"
            self.inflight = (op_id, ops)
            await self._send_op(op_id, ops)
        if self.inflight is None and self.buffer is None:
            self.idle.set()

    def _on_remote(self, revision: int, ops: list, client_op_id: str | None) -> None:
        if revision <= self.revision:
            return
        if revision != self.revision + 1:
            raise ProtocolError(f"{self.name}: got revision {revision} at {self.revision}")
        if self.inflight is not None and client_op_id == self.inflight[0]:
            self._acknowledge(client_op_id, revision)  # our own op, seen after a reconnect
            return
        if self.inflight is not None:
            op_id, mine = self.inflight
            mine, ops = ot.transform(mine, ops)
            self.inflight = (op_id, mine)
        if self.buffer is not None:
            self.buffer, ops = ot.transform(self.buffer, ops)
        self.text = ot.apply(self.text, ops)
        self.revision = revision


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]
