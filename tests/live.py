"""A plain protocol client for tests against real server processes: it records every
frame and how the socket closed, so tests can say what arrived and what never did."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import websockets
from websockets.exceptions import ConnectionClosed

from accounts.tokens import refresh_token_for


def access_token(user) -> str:
    """A JWT access token as the site issues them (stamped; needs the database)."""
    return str(refresh_token_for(user).access_token)


class LiveSocket:
    def __init__(self, ws):
        self.ws = ws
        self.frames: list[dict[str, Any]] = []
        self.close_code: int | None = None
        self.arrived = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def open(
        cls, url: str, token: str, document_id: int | str | None = None, **extra: Any
    ) -> tuple[LiveSocket, dict]:
        """Connects and authenticates; returns the socket and its `authenticated` frame."""
        ws = await websockets.connect(url, max_size=None, open_timeout=10)
        frame: dict[str, Any] = {"type": "authenticate", "token": token, **extra}
        if document_id is not None:
            frame["document_id"] = str(document_id)
        await ws.send(json.dumps(frame))
        socket = cls(ws)
        first = await socket.first_frame(timeout=20)
        if first.get("type") != "authenticated":
            raise AssertionError(f"could not join: {first}")
        return socket, first

    async def _read(self) -> None:
        try:
            with contextlib.suppress(ConnectionClosed):  # an abrupt close ends the reading
                async for message in self.ws:
                    self.frames.append(json.loads(message))
                    self.arrived.set()
        finally:
            self.close_code = self.ws.close_code
            self.arrived.set()

    async def first_frame(self, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        while not self.frames:
            if self.reader.done():
                raise AssertionError(f"closed ({self.close_code}) before any frame")
            await self._wait(deadline, "the first frame")
        return self.frames[0]

    async def _wait(self, deadline: float, what: str) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or (self.reader.done() and not self.arrived.is_set()):
            raise AssertionError(f"waited in vain for {what}; got {self.recent()}")
        self.arrived.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.arrived.wait(), remaining)

    async def wait_for(self, kind: str, timeout: float = 10, **match: Any) -> dict:
        """The first frame of this type whose fields match (already received or to come)."""
        deadline = time.monotonic() + timeout
        while True:
            for frame in self.frames:
                if frame.get("type") == kind and all(frame.get(k) == v for k, v in match.items()):
                    return frame
            if self.reader.done():
                raise AssertionError(
                    f"closed ({self.close_code}) without {kind} {match}; got {self.recent()}"
                )
            await self._wait(deadline, f"{kind} {match}")

    async def wait_closed(self, timeout: float = 10) -> int | None:
        await asyncio.wait_for(asyncio.shield(self.reader), timeout)
        return self.close_code

    def recent(self, count: int = 5) -> list[str]:
        """The last frames, shortened (a document's text can be a megabyte)."""
        return [json.dumps(frame)[:300] for frame in self.frames[-count:]]

    def revisions_seen(self) -> set[int]:
        return {f["revision"] for f in self.frames if f.get("type") in ("edit", "ack")}

    async def send(self, frame: dict) -> None:
        await self.ws.send(json.dumps(frame))

    async def close(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            await self.ws.close()
        with contextlib.suppress(BaseException):
            await self.reader
