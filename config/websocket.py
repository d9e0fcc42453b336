"""WebSocket handshake guards shared by every socket route, and fast frame writing."""

import functools
import struct
from urllib.parse import urlparse

from django.conf import settings
from django.http.request import is_same_domain, split_domain_port


async def _deny(receive, send) -> None:
    """Refuses the handshake (HTTP 403) without starting a consumer or touching the database."""
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close", "code": 1008})


class OriginValidator:
    """Refuses a handshake whose Origin names a host outside ALLOWED_HOSTS.

    Browsers always send Origin, so a page on another site cannot ride a user's
    session cookie into our sockets (cross-site WebSocket hijacking). Scripts and
    bots may send no Origin at all; they still have to authenticate with a token
    in the first frame, and their cookies are ignored (see `StripCookiesWithoutOrigin`).
    """

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            origin = dict(scope.get("headers", [])).get(b"origin")
            if origin is not None and not self.origin_allowed(origin.decode("latin1")):
                return await _deny(receive, send)
            # The server's own send, for consumers that write many frames: it skips the
            # per-message work of the middlewares in between (sessions only act on accept).
            scope = dict(scope, server_send=send)
        return await self.application(scope, receive, send)

    @staticmethod
    def origin_allowed(origin: str) -> bool:
        parsed = urlparse(origin.lower())
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            return False
        host, _port = split_domain_port(parsed.netloc)
        allowed = settings.ALLOWED_HOSTS
        return any(pattern == "*" or is_same_domain(host, pattern) for pattern in allowed)


class StripCookiesWithoutOrigin:
    """Drops cookies from handshakes without Origin: only browsers may use the session."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            headers = scope.get("headers", [])
            if not any(name == b"origin" for name, _ in headers):
                scope = dict(scope, headers=[(n, v) for n, v in headers if n != b"cookie"])
        return await self.application(scope, receive, send)


# --- Writing the same frame to many sockets ----------------------------------------------


def send_limit(send) -> int:
    """The largest message the server's own send accepts on this socket (0: no limit known).

    Autobahn (daphne) refuses to send messages above its incoming limit; callers that
    cannot write raw frames use this to fail clearly instead of silently.
    """
    protocol = send.args[0] if isinstance(send, functools.partial) and send.args else None
    limit = getattr(protocol, "maxMessagePayloadSize", 0)
    return limit if isinstance(limit, int) and limit > 0 else 0


def text_frame(payload: bytes) -> bytes:
    """One unfragmented, unmasked WebSocket text frame (RFC 6455 section 5.2), as a server sends."""
    length = len(payload)
    if length < 126:
        header = bytes((0x81, length))
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, length)
    else:
        header = struct.pack("!BBQ", 0x81, 127, length)
    return header + payload


class RawWriter:
    """Writes ready-made frames straight to daphne's transport for one socket.

    Going through the ASGI send, every frame to every socket is a coroutine call, a
    UTF-8 encoding and autobahn's framing; a broadcast to 50 sockets encodes and frames
    the same text 50 times. A frame built once can be written to every transport as it
    is. Only for what autobahn would send the same way: an open socket without
    per-message compression or automatic fragmentation. `for_send` answers None anywhere
    else (tests, other servers), and callers then use the ASGI send.

    Frames of any size are written: daphne's `--websocket-max-message-size` limits what
    clients may send (memory exhaustion), but autobahn also refuses to *send* anything
    larger, and a server started without the Makefile's flags would then silently never
    deliver a large document to the socket that asked for it.
    """

    __slots__ = ("direct", "protocol")

    # What a Twisted TCP transport must have for `write` to send without queueing.
    DIRECT_SEND_ATTRIBUTES = (
        "TLS", "connected", "_writeDisconnected", "_tempDataBuffer", "dataBuffer", "offset",
        "writeSomeData",
    )  # fmt: skip

    def __init__(self, protocol):
        self.protocol = protocol
        transport = getattr(protocol, "transport", None)
        self.direct = all(hasattr(transport, name) for name in self.DIRECT_SEND_ATTRIBUTES)

    @classmethod
    def for_send(cls, send) -> "RawWriter | None":
        protocol = send.args[0] if isinstance(send, functools.partial) and send.args else None
        if (
            protocol is None
            or not hasattr(protocol, "transport")
            or not hasattr(protocol, "STATE_OPEN")
            or getattr(protocol, "_perMessageCompress", None) is not None
            or getattr(protocol, "autoFragmentSize", 0)
        ):
            return None
        return cls(protocol)

    def usable(self) -> bool:
        protocol = self.protocol
        return protocol.state == protocol.STATE_OPEN and protocol.transport is not None

    def write(self, data: bytes) -> None:
        """Sends at once when nothing is queued before it; otherwise queues as usual.

        Twisted's write only queues and sends when the reactor next sees the socket
        writable: two epoll registrations and a loop pass per socket per broadcast. On a
        plain TCP transport with an empty queue the bytes can go out right away; what the
        kernel does not take is queued behind them.
        """
        transport = self.protocol.transport
        if (
            self.direct
            and transport.TLS is False  # never below a TLS layer
            and transport.connected
            and not transport._writeDisconnected
            and not transport._tempDataBuffer
            and len(transport.dataBuffer) == transport.offset
        ):
            sent = transport.writeSomeData(data)
            if isinstance(sent, int) and sent > 0:
                if sent == len(data):
                    return
                data = data[sent:]
        transport.write(data)
