"""Getting frames onto the wire: one flusher per process, large frames never lost silently.

Every frame a socket is sent waits in its outbox; one task per process writes every
socket's queued frames, in order. A broadcast to 50 sockets then costs one task wake-up
instead of 50, and the same text is framed once (config/websocket.RawWriter).

A frame larger than `WS_MAX_SEND_BYTES` goes out as `frame_part` frames to a client that
said it accepts them (`"frame_parts": true` when authenticating). Otherwise it is written
whole; only where that is impossible (a server that refuses to send it) the socket gets a
`message_too_large` error and is closed, instead of waiting forever.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from typing import Protocol

from django.conf import settings

from config import metrics
from config.websocket import RawWriter, text_frame

from ..realtime import wire

logger = logging.getLogger(__name__)

OUTBOX_LIMIT = 20_000
# Inside a JSON string a code point takes at most 6 bytes (a control character is
# escaped as backslash, "u" and four hex digits), plus room for the part's own fields.
PART_BYTES_PER_CHAR = 6
PART_OVERHEAD = 200


class Sender(Protocol):
    outbox: deque[str]
    scope: dict
    raw_writer: RawWriter | None
    send_limit: int  # what the server's own send accepts (0: unknown)
    accepts_parts: bool
    ack_timers: list[metrics.EditTimer]  # acks in the outbox whose writing is timed

    async def base_send(self, message: dict) -> None: ...

    def frame_too_large(self, size: int) -> None: ...


def split_frame(text: str, max_bytes: int) -> list[str]:
    """`frame_part` frames carrying `text` in order; joined, their `data` is `text`."""
    per_part = max(1, (max_bytes - PART_OVERHEAD) // PART_BYTES_PER_CHAR)
    count = math.ceil(len(text) / per_part)
    return [
        wire.dumps(
            {
                "type": "frame_part",
                "index": index,
                "count": count,
                "data": text[index * per_part : (index + 1) * per_part],
            }
        )
        for index in range(count)
    ]


class Flusher:
    """Writes queued frames of every socket of this process, from one task."""

    _by_loop: dict[int, Flusher] = {}

    def __init__(self):
        self.dirty: dict[int, Sender] = {}
        self.wake = asyncio.Event()
        self.timings = False  # REALTIME_TIMINGS: set by the first socket that times
        self.task = asyncio.create_task(self._run(), name="socket-flusher")

    @classmethod
    def current(cls) -> Flusher:
        loop = asyncio.get_running_loop()
        flusher = cls._by_loop.get(id(loop))
        if flusher is None or flusher.task.done() or flusher.task.get_loop() is not loop:
            flusher = cls._by_loop[id(loop)] = cls()
        return flusher

    def mark(self, sender: Sender) -> None:
        self.dirty[id(sender)] = sender
        self.wake.set()

    async def _run(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.dirty:
                started = time.perf_counter() if self.timings else 0.0
                batch, self.dirty = self.dirty, {}
                # A broadcast queues the same str for every socket: frame it once per pass.
                # The dict holds the texts, so no id is reused while it lives.
                framed: dict[int, tuple[str, bytes]] = {}
                for sender in batch.values():
                    try:
                        await self._flush(sender, framed)
                    except Exception:  # the frame boundary: the socket is gone or broken
                        sender.outbox.clear()  # its disconnect cleans up
                        logger.debug("send failed", exc_info=True)
                    finally:
                        if sender.ack_timers:
                            # Written (or lost with a broken socket): the acks' time ends here.
                            now = time.perf_counter()
                            for timer in sender.ack_timers:
                                timer.written(now)
                            sender.ack_timers.clear()
                if self.timings:
                    metrics.flush_pass_seconds.observe(time.perf_counter() - started)

    @staticmethod
    async def _flush(sender: Sender, framed: dict[int, tuple[str, bytes]]) -> None:
        outbox = sender.outbox
        split_above = settings.WS_MAX_SEND_BYTES if sender.accepts_parts else 0
        writer = sender.raw_writer
        if writer is not None and not writer.usable():
            writer = None
        chunks: list[bytes] = []
        while outbox:
            text = outbox.popleft()
            entry = framed.get(id(text))
            if entry is None:
                payload = text.encode()
                if split_above and len(payload) > split_above:
                    outbox.extendleft(reversed(split_frame(text, split_above)))
                    continue
                if writer is None:
                    await Flusher._send(sender, text, len(payload))
                    continue
                entry = framed[id(text)] = (text, text_frame(payload))
            chunks.append(entry[1])
        if chunks:
            writer.write(b"".join(chunks))

    @staticmethod
    async def _send(sender: Sender, text: str, size: int) -> None:
        """Through the server's ASGI send (no raw writer here): refuse what it cannot send."""
        if sender.send_limit and size > sender.send_limit:
            sender.frame_too_large(size)
            return
        # The server's send skips per-message middleware work (config/websocket.py puts it
        # in the scope); frames only ever queue after accept().
        send = sender.scope.get("server_send", sender.base_send)
        await send({"type": "websocket.send", "text": text})
