"""WebSocket handshake guards shared by every socket route."""

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
