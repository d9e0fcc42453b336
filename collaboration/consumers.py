"""The live editing socket at /ws/collab/ (shared/docs/realtime-protocol.md).

The consumer parses frames, checks who may do what and hands the work to the
document's hub (realtime.py) or to services. Every frame it sends goes through
one outbox per socket, so the order the hub decides is the order on the wire.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import deque
from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from config import metrics
from config.websocket import RawWriter, text_frame

from . import realtime
from .commit import PendingOperation

logger = logging.getLogger(__name__)

AUTH_TIMEOUT_SECONDS = 15
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_SLOW = 4408  # the client did not read its frames fast enough
MAX_CLIENT_OP_ID = 100
CURSOR_RATE_PER_SECOND = 60


class AccessRefused(Exception):
    def __init__(self, code: str, message: str, close_code: int):
        super().__init__(message)
        self.code = code
        self.message = message
        self.close_code = close_code


class TokenBucket:
    """Allows `rate` events per second on average, bursts up to `rate`."""

    def __init__(self, rate: float):
        self.rate = float(rate)
        self.tokens = float(rate)
        self.updated = time.monotonic()

    def take(self) -> int:
        """0 if allowed, else milliseconds until the next event would be."""
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0
        return max(1, int((1 - self.tokens) / self.rate * 1000))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _resolve_document(*, user, document_ref, session_id, conn_id) -> dict:
    """Finds the document and checks access (and the session seat), or raises AccessRefused."""
    from . import permissions
    from .models import CollaborationSession, Document

    document = None
    ref = str(document_ref)
    if ref.isascii() and ref.isdigit():
        document = Document.objects.filter(pk=int(ref)).first()
    if document is None:
        document = Document.objects.filter(slug=ref).first()
    if document is None:
        raise AccessRefused("not_found", "there is no such document", CLOSE_NOT_FOUND)
    if not permissions.can_read_document(user, document):
        raise AccessRefused("forbidden", "you do not have access to this document", CLOSE_FORBIDDEN)
    can_edit = permissions.can_edit_document(user, document)

    session = None
    if session_id not in (None, ""):
        if not (str(session_id).isascii() and str(session_id).isdigit()):
            raise AccessRefused("not_found", "there is no such session", CLOSE_NOT_FOUND)
        session = CollaborationSession.objects.filter(
            pk=int(session_id), document=document, is_active=True
        ).first()
        if session is None:
            raise AccessRefused(
                "not_found", "there is no such active session on this document", CLOSE_NOT_FOUND
            )
        from . import services

        join = getattr(services, "session_join", None)
        if join is not None:
            try:
                join(session_id=session.pk, user=user, connection_id=conn_id)
            except Exception as exc:  # SessionFull, SessionForbidden
                raise AccessRefused("forbidden", str(exc), CLOSE_FORBIDDEN) from exc

    return {
        "document_id": document.pk,
        "slug": document.slug,
        "title": document.title,
        "can_edit": can_edit,
        "session_id": session.pk if session else None,
    }


def _read_document(*, document_id: int, since: int | None) -> dict:
    """The text and revision now, plus the ops after `since` when the log has them all."""
    from .models import Document, Operation

    row = Document.objects.filter(pk=document_id).values("revision", "content").get()
    ops_since = None
    if since is not None and since == row["revision"]:
        ops_since = []  # nothing happened since: an empty list, not a missing one
    elif since is not None and 0 <= since < row["revision"]:
        rows = list(
            Operation.objects.filter(
                document_id=document_id, revision__gt=since, revision__lte=row["revision"]
            )
            .order_by("revision")
            .values("revision", "ops", "user_id", "client_op_id")
        )
        if len(rows) == row["revision"] - since:
            ops_since = rows
    return {"revision": row["revision"], "content": row["content"], "ops_since": ops_since}


def _user_from_token(token: str):
    """The active user a JWT access token (or an API key) names, or None."""
    from django.contrib.auth import get_user_model
    from rest_framework_simplejwt.exceptions import TokenError
    from rest_framework_simplejwt.settings import api_settings
    from rest_framework_simplejwt.tokens import AccessToken

    if token.startswith("Api-Key "):
        token = token[len("Api-Key ") :]
    if token.startswith("lai_"):
        from accounts.services import user_from_api_key

        return user_from_api_key(token)
    try:
        access = AccessToken(token)
    except TokenError:
        return None
    user_id = access.get(api_settings.USER_ID_CLAIM)
    user = get_user_model().objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
    return user if user is not None and user.is_active else None


def _chat_create(*, document_id, user, message, message_type, session_id):
    from . import services
    from .models import Document

    document = Document.objects.get(pk=document_id)
    return services.chat_message_create(
        document=document,
        user=user,
        message=message,
        message_type=message_type,
        session=document.sessions.filter(pk=session_id).first() if session_id else None,
    )


def _session_leave(conn_id: str) -> None:
    from . import services

    leave = getattr(services, "session_leave", None)
    if leave is not None:
        leave(connection_id=conn_id)


class Flusher:
    """Writes queued frames of every socket of this process, from one task.

    A broadcast to 50 sockets then costs one task wake-up instead of 50; each
    socket's frames still leave in the order they were queued.
    """

    _by_loop: dict[int, Flusher] = {}

    def __init__(self):
        self.dirty: dict[int, DocumentConsumer] = {}
        self.wake = asyncio.Event()
        self.task = asyncio.create_task(self._run(), name="socket-flusher")

    @classmethod
    def current(cls) -> Flusher:
        loop = asyncio.get_running_loop()
        flusher = cls._by_loop.get(id(loop))
        if flusher is None or flusher.task.done() or flusher.task.get_loop() is not loop:
            flusher = cls._by_loop[id(loop)] = cls()
        return flusher

    def mark(self, consumer: DocumentConsumer) -> None:
        self.dirty[id(consumer)] = consumer
        self.wake.set()

    async def _run(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.dirty:
                batch, self.dirty = self.dirty, {}
                # A broadcast queues the same str for every socket: frame it once per pass.
                # The dict holds the texts, so no id is reused while it lives.
                framed: dict[int, tuple[str, bytes]] = {}
                for consumer in batch.values():
                    try:
                        await self._flush(consumer, framed)
                    except Exception:
                        consumer.outbox.clear()  # the socket is gone; its disconnect cleans up
                        logger.debug("send failed", exc_info=True)

    @staticmethod
    async def _flush(consumer: DocumentConsumer, framed: dict[int, tuple[str, bytes]]) -> None:
        outbox = consumer.outbox
        # The server's send skips per-message middleware work (config/websocket.py puts it
        # in the scope); frames only ever queue after accept().
        send = consumer.scope.get("server_send", consumer.base_send)
        writer = consumer.raw_writer
        if writer is None or not writer.usable():
            while outbox:
                await send({"type": "websocket.send", "text": outbox.popleft()})
            return
        chunks: list[bytes] = []
        while outbox:
            text = outbox.popleft()
            entry = framed.get(id(text))
            if entry is None:
                payload = text.encode()
                if not writer.fits(len(payload)):
                    # Too big for the socket's limit: let the server refuse it as it would.
                    if chunks:
                        writer.write(b"".join(chunks))
                        chunks = []
                    await send({"type": "websocket.send", "text": text})
                    continue
                entry = framed[id(text)] = (text, text_frame(payload))
            chunks.append(entry[1])
        if chunks:
            writer.write(b"".join(chunks))


class DocumentConsumer(AsyncWebsocketConsumer):
    """One participant on one document."""

    # No channel layer: fan-out goes through realtime's per-process bus, and a socket
    # must survive a Redis restart (channels-redis would end the consumer with it).
    channel_layer_alias = "__no_channel_layer__"

    async def dispatch(self, message):
        # Channels closes old database connections before every frame (a thread hop
        # each time); this consumer never touches the ORM on the event loop.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        self.conn_id = uuid.uuid4().hex
        self.user = None
        self.hub: realtime.DocumentHub | None = None
        self.handle: realtime.SocketHandle | None = None
        self.document_id: int | None = None
        self.session_id: int | None = None
        self.authenticating = False
        self.closed = False
        self.outbox: deque[str] = deque()
        self.edit_bucket = TokenBucket(settings.WS_EDIT_RATE_PER_SECOND)
        self.chat_bucket = TokenBucket(settings.WS_CHAT_RATE_PER_SECOND)
        self.cursor_bucket = TokenBucket(CURSOR_RATE_PER_SECOND)
        await self.accept()
        metrics.websocket_connections.labels("collab").inc()
        self.flusher = Flusher.current()
        self.raw_writer = RawWriter.for_send(self.scope.get("server_send"))
        self.auth_timer = asyncio.get_running_loop().call_later(
            AUTH_TIMEOUT_SECONDS, self._start_auth_timeout
        )

    def _start_auth_timeout(self) -> None:
        self.closing = asyncio.ensure_future(self._auth_timeout())

    async def disconnect(self, code):
        self.closed = True
        metrics.websocket_connections.labels("collab").dec()
        self.auth_timer.cancel()
        self.outbox.clear()
        hub, handle = self.hub, self.handle
        if hub is None or handle is None:
            return
        hub.remove(self.conn_id)
        registry = hub.registry
        try:
            await registry.bus.presence_remove(hub.document_id, self.conn_id)
            participants = await registry.participants(hub.document_id)
            if all(p["user_id"] != handle.user_id for p in participants):
                await registry.relay(
                    hub.document_id,
                    {
                        "type": "presence",
                        "event": "leave",
                        "user": realtime._public_user(handle.presence_info()),
                        "participants": participants,
                    },
                )
            if self.session_id is not None:
                await realtime.run_db(_session_leave, self.conn_id)
        except Exception:
            logger.exception("cleanup after disconnect failed")
        finally:
            await registry.release(hub)

    # --- Sending -------------------------------------------------------------
    def send_text(self, text: str) -> None:
        """Queues a frame; the process's flusher sends every socket's frames in order."""
        if self.closed:
            return
        if len(self.outbox) >= realtime.OUTBOX_LIMIT:
            # A client this far behind gets dropped; it reconnects and catches up.
            self.closed = True
            self.closing = asyncio.ensure_future(self.close(code=CLOSE_TOO_SLOW))
            return
        self.outbox.append(text)
        self.flusher.mark(self)

    def send_frame(self, frame: dict) -> None:
        metrics.websocket_messages.labels("out", frame.get("type", "?")).inc()
        self.send_text(realtime.dumps(frame))

    def send_error(self, code: str, message: str, **extra) -> None:
        self.send_frame({"type": "error", "code": code, "message": message, **extra})

    async def _refuse(self, code: str, message: str, close_code: int) -> None:
        """Error frame, then close (first-frame failures)."""
        self.send_error(code, message)
        await self._flush()
        self.closed = True
        await self.close(code=close_code)

    async def _flush(self) -> None:
        for _ in range(200):
            if not self.outbox:
                return
            await asyncio.sleep(0.005)

    async def _auth_timeout(self) -> None:
        if self.handle is None and not self.closed and not self.authenticating:
            await self._refuse(
                "not_authenticated", "authenticate within 15 seconds", CLOSE_UNAUTHENTICATED
            )

    # --- Receiving -----------------------------------------------------------
    async def receive(self, text_data=None, bytes_data=None):
        if self.closed:
            return
        try:
            await self._receive(text_data, bytes_data)
        except Exception:
            # Never let one bad frame kill the connection or the process.
            logger.exception("frame handling failed")
            self.send_error("invalid_operation", "the frame could not be processed")

    async def _receive(self, text_data, bytes_data) -> None:
        first = self.handle is None
        if self.authenticating:
            self.send_error("not_authenticated", "wait for the answer to authenticate")
            return
        size = len(bytes_data) if bytes_data is not None else len(text_data or "")
        limit = settings.WS_MAX_FRAME_BYTES
        if size * (1 if bytes_data is not None else 4) > limit and (
            bytes_data is not None or len(text_data.encode("utf-8", "surrogatepass")) > limit
        ):
            metrics.websocket_messages.labels("in", "too_large").inc()
            if first:
                await self._refuse("message_too_large", "frame too large", CLOSE_UNAUTHENTICATED)
            else:
                self.send_error(
                    "message_too_large",
                    f"frames are limited to {limit} bytes",
                    **self._op_id(text_data),
                )
            return
        try:
            if bytes_data is not None:
                raise ValueError("binary frames are not supported")
            data = json.loads(text_data)
        except ValueError:
            metrics.websocket_messages.labels("in", "invalid").inc()
            if first:
                await self._refuse(
                    "invalid_json", "send a JSON authenticate frame first", CLOSE_UNAUTHENTICATED
                )
            else:
                self.send_error("invalid_json", "frames must be JSON text")
            return
        kind = data.get("type") if isinstance(data, dict) else None
        metrics.websocket_messages.labels(
            "in", kind if isinstance(kind, str) and len(kind) < 20 else "?"
        ).inc()
        if first:
            if kind != "authenticate":
                await self._refuse(
                    "not_authenticated",
                    'the first frame must be {"type": "authenticate", ...}',
                    CLOSE_UNAUTHENTICATED,
                )
                return
            self.authenticating = True
            try:
                await self._authenticate(data)
            finally:
                self.authenticating = False
            return
        handler = {
            "edit": self._edit,
            "cursor_update": self._cursor,
            "typing": self._typing,
            "chat_message": self._chat,
            "ping": self._ping,
            "authenticate": self._already_authenticated,
        }.get(kind)
        if handler is None:
            if not isinstance(data, dict) or not isinstance(kind, str):
                self.send_error("unknown_type", 'every frame needs a string "type"')
            else:
                self.send_error("unknown_type", f"unknown frame type {kind[:40]!r}")
            return
        await handler(data)

    @staticmethod
    def _op_id(text: str | None) -> dict:
        # Best effort for oversized edits: find their client_op_id without parsing it all.
        if not text:
            return {}
        head = text[:400]
        marker = '"client_op_id"'
        at = head.find(marker)
        if at < 0:
            return {}
        rest = head[at + len(marker) :].lstrip(" :")
        if rest.startswith('"'):
            end = rest.find('"', 1)
            if 0 < end <= MAX_CLIENT_OP_ID + 1:
                return {"client_op_id": rest[1:end]}
        return {}

    async def _authenticate(self, data: dict) -> None:
        token = data.get("token")
        if token is not None and (not isinstance(token, str) or not token):
            await self._refuse("not_authenticated", "token must be a string", CLOSE_UNAUTHENTICATED)
            return
        if token:
            user = await realtime.run_db(_user_from_token, token)
        else:
            scope_user = self.scope.get("user")
            user = scope_user if scope_user is not None and scope_user.is_authenticated else None
        if user is None:
            await self._refuse(
                "not_authenticated",
                "the token is invalid or expired; sign in again",
                CLOSE_UNAUTHENTICATED,
            )
            return
        document_ref = data.get("document_id")
        if (
            not isinstance(document_ref, str | int)
            or isinstance(document_ref, bool)
            or document_ref == ""
        ):
            await self._refuse("not_found", "document_id is required", CLOSE_NOT_FOUND)
            return
        since = data.get("revision")
        if since is not None and not _is_int(since):
            since = None
        session_id = data.get("session_id")
        self.user = user

        registry = realtime.Registry.current()
        # Find the document id first (cheap), register for broadcasts, then read the text.
        try:
            probe = await realtime.run_db(
                _resolve_document,
                user=user,
                document_ref=document_ref,
                session_id=session_id,
                conn_id=self.conn_id,
            )
        except AccessRefused as exc:
            await self._refuse(exc.code, exc.message, exc.close_code)
            return
        self.document_id = probe["document_id"]
        self.session_id = probe["session_id"]
        hub = await registry.hub(self.document_id)
        handle = realtime.SocketHandle(
            conn_id=self.conn_id,
            send_text=self.send_text,
            user_id=user.pk,
            username=user.username,
            color=realtime.user_color(user.pk),
            can_edit=probe["can_edit"],
        )
        hub.add(handle)
        self.hub, self.handle = hub, handle
        # Registered for broadcasts before reading the text, so nothing is missed.
        try:
            joined = await realtime.run_db(
                _read_document, document_id=self.document_id, since=since
            )
        except Exception:
            hub.remove(self.conn_id)
            self.hub = self.handle = None
            await registry.release(hub)
            await self._refuse("not_found", "there is no such document", CLOSE_NOT_FOUND)
            return
        await registry.bus.presence_set(self.document_id, self.conn_id, handle.presence_info())
        participants = await registry.participants(self.document_id)
        if self.closed:
            return
        self.auth_timer.cancel()
        frame = {
            "type": "authenticated",
            "user": {"id": user.pk, "username": user.username},
            "document_id": str(self.document_id),
            "slug": probe["slug"],
            "title": probe["title"],
            "revision": joined["revision"],
            "content": joined["content"],
            "can_edit": probe["can_edit"],
            "participants": participants,
            "color": handle.color,
        }
        if joined["ops_since"] is not None:
            frame["ops_since"] = joined["ops_since"]
        elif since is not None and _is_int(since) and since < joined["revision"]:
            frame["ops_since"] = []
            frame["ops_since_complete"] = False
        if self.session_id is not None:
            frame["session_id"] = str(self.session_id)
        self.send_frame(frame)
        hub.joined(handle, joined["revision"], joined["content"])
        await registry.relay(
            self.document_id,
            {
                "type": "presence",
                "event": "join",
                "user": realtime._public_user(handle.presence_info()),
                "participants": participants,
            },
            exclude=self.conn_id,
        )

    async def _already_authenticated(self, data: dict) -> None:
        self.send_error("unknown_type", "this socket is already authenticated")

    async def _edit(self, data: dict) -> None:
        client_op_id = data.get("client_op_id")
        if not isinstance(client_op_id, str) or not 0 < len(client_op_id) <= MAX_CLIENT_OP_ID:
            self.send_error(
                "invalid_operation",
                f"client_op_id must be a string of 1 to {MAX_CLIENT_OP_ID} characters",
            )
            return
        ref = {"client_op_id": client_op_id}
        if not self.handle.can_edit:
            self.send_error("forbidden", "you may read this document but not edit it", **ref)
            return
        wait_ms = self.edit_bucket.take()
        if wait_ms:
            self.send_error(
                "rate_limited", "too many edits; slow down", retry_after_ms=wait_ms, **ref
            )
            return
        revision = data.get("revision")
        if not _is_int(revision) or revision < 0:
            self.send_error("invalid_operation", "revision must be a non-negative integer", **ref)
            return
        edit = data.get("edit")
        if not isinstance(edit, dict):
            self.send_error("invalid_operation", "edit must be an object", **ref)
            return
        pending = PendingOperation(
            client_op_id=client_op_id,
            base_revision=revision,
            user_id=self.user.pk,
            source="socket",
        )
        if "ops" in edit:
            if not isinstance(edit["ops"], list):
                self.send_error("invalid_operation", "edit.ops must be a list", **ref)
                return
            pending.ops = edit["ops"]
        elif "operation" in edit:
            pending.simple = edit
        else:
            self.send_error(
                "invalid_operation", "edit needs either ops or operation/position", **ref
            )
            return
        self.hub.submit(pending, self.conn_id)

    async def _cursor(self, data: dict) -> None:
        cursor = data.get("cursor")
        if (
            not isinstance(cursor, dict)
            or not all(_is_int(v) or v is None for v in cursor.values())
            or len(cursor) > 8
        ):
            self.send_error("invalid_operation", "cursor must be an object of integers")
            return
        if self.cursor_bucket.take():
            return  # cursors are hints: drop the excess silently
        frame = {
            "type": "cursor_update",
            "cursor": {k[:32]: v for k, v in cursor.items()},
            "user_id": self.handle.user_id,
            "username": self.handle.username,
            "color": self.handle.color,
        }
        revision = data.get("revision")
        if _is_int(revision):
            frame["revision"] = revision
        await self.hub.registry.relay(self.document_id, frame, exclude=self.conn_id)

    async def _typing(self, data: dict) -> None:
        is_typing = data.get("is_typing")
        if not isinstance(is_typing, bool):
            self.send_error("invalid_operation", "is_typing must be true or false")
            return
        if self.cursor_bucket.take():
            return
        await self.hub.registry.relay(
            self.document_id,
            {
                "type": "typing",
                "is_typing": is_typing,
                "user_id": self.handle.user_id,
                "username": self.handle.username,
                "color": self.handle.color,
            },
            exclude=self.conn_id,
        )

    async def _chat(self, data: dict) -> None:
        chat = data.get("chat")
        if not isinstance(chat, dict):
            self.send_error("invalid_operation", "chat must be an object with a message")
            return
        message = chat.get("message")
        message_type = chat.get("message_type", "text")
        if not isinstance(message, str) or not message.strip():
            self.send_error("invalid_operation", "a chat message needs some text")
            return
        if len(message) > 4000:
            self.send_error("message_too_large", "chat messages are limited to 4000 characters")
            return
        if message_type not in ("text", "code"):
            self.send_error("invalid_operation", "message_type must be text or code")
            return
        wait_ms = self.chat_bucket.take()
        if wait_ms:
            self.send_error("rate_limited", "too many messages; slow down", retry_after_ms=wait_ms)
            return
        try:
            stored = await realtime.run_db(
                _chat_create,
                document_id=self.document_id,
                user=self.user,
                message=message,
                message_type=message_type,
                session_id=self.session_id,
            )
        except Exception as exc:
            if exc.__class__.__name__ == "ValidationError":
                self.send_error(
                    "invalid_operation", "; ".join(getattr(exc, "messages", [str(exc)]))
                )
                return
            raise
        await self.hub.registry.relay(
            self.document_id,
            {
                "type": "chat_message",
                "id": stored.pk,
                "user": {"id": self.user.pk, "username": self.user.username},
                "message": stored.message,
                "message_type": stored.message_type,
                "created_at": stored.created_at.isoformat().replace("+00:00", "Z"),
                "color": self.handle.color,
            },
        )

    async def _ping(self, data: dict) -> None:
        self.send_frame({"type": "pong"})
