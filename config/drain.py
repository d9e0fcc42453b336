"""A web process's graceful drain: what it means, in one place (config/sigterm.py decides when).

Draining, a process takes no new socket, lets the edits its sockets already sent be
committed and answered, then closes every socket with 1012 ("service restart"): clients
reconnect to another process and resend whatever was never acknowledged, under the same
`client_op_id`, so nothing is lost or applied twice. HTTP requests under way finish.

The state is per process: daphne serves every socket and request from one event loop.
"""

from __future__ import annotations

import asyncio
import functools
import time
import weakref
from typing import Protocol

CLOSE_SERVICE_RESTART = 1012  # RFC 6455 section 7.4.1 / IANA: "Service Restart"


class Drainable(Protocol):
    """An open socket, as the drain sees it."""

    def close_for_restart(self) -> None:
        """Sends what is queued for the client, then closes with CLOSE_SERVICE_RESTART."""


class _State:
    def __init__(self):
        self.draining = False
        self.sockets: weakref.WeakSet[Drainable] = weakref.WeakSet()
        self.http_requests = 0


_state = _State()


def draining() -> bool:
    """True once the process began to drain: no new socket, no new edit."""
    return _state.draining


def start_draining() -> None:
    _state.draining = True


def socket_opened(socket: Drainable) -> None:
    _state.sockets.add(socket)


def socket_closed(socket: Drainable) -> None:
    """Called once the socket's own clean-up (presence, session) is over."""
    _state.sockets.discard(socket)


def open_sockets() -> int:
    return len(_state.sockets)


def http_requests() -> int:
    return _state.http_requests


def close_every_socket() -> None:
    for socket in list(_state.sockets):
        socket.close_for_restart()


async def wait_until(done, deadline: float, *, poll: float = 0.02) -> bool:
    """Polls `done()` until it is true (True) or `deadline` (time.monotonic()) passes."""
    while not done():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(poll)
    return True


class CountHttpRequests:
    """ASGI middleware for the "http" scope: how many requests are under way, so the drain
    lets them finish before the server stops (daphne cancels what is left)."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        _state.http_requests += 1
        try:
            return await self.application(scope, receive, send)
        finally:
            _state.http_requests -= 1


def close_with_code(server_send, code: int) -> bool:
    """Closes with `code` on daphne's own WebSocket protocol (True); False on another server.

    Autobahn's `sendClose` (what daphne's `websocket.close` uses) accepts only 1000 and
    3000-4999, so the registered codes a server means (1009 too big, 1012 service restart,
    1013 try again later) would raise instead of closing. Its `sendCloseFrame`, which
    daphne itself uses for 1011, sends any code. `server_send` is the scope's
    `server_send` (config/websocket.OriginValidator): daphne's bound `handle_reply`.
    """
    protocol = server_send.args[0] if isinstance(server_send, functools.partial) else None
    send_close_frame = getattr(protocol, "sendCloseFrame", None)
    if send_close_frame is None:
        return False
    if protocol.state == protocol.STATE_OPEN:  # closing or closed already: nothing to send
        send_close_frame(code=code, isReply=False)
    return True
