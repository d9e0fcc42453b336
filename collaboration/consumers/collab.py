"""The live socket at /ws/collab/ (shared/docs/realtime-protocol.md, docs/realtime-protocol.md).

The consumer parses frames and hands the work to services, selectors and the realtime
platform; it keeps no rule of its own. A socket authenticates first, with or without a
document: with one it edits, chats, sees who is there and receives the document's topic
(comment activity); either way it receives its user's topic and may subscribe to rooms
and to the topics of documents it may read (document pages, which join no document).
Every frame it sends goes through its outbox, so the order the platform decides is the
order on the wire.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import deque

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ValidationError

from accounts.credentials import Credential, credential_from_session, credential_from_token
from config import drain, metrics
from config.websocket import RawWriter, send_limit

from .. import selectors, services
from ..models import Document
from ..realtime import wire
from ..realtime.db import run_db
from ..realtime.presence import presence_frame, user_color
from ..realtime.registry import Registry
from ..realtime.sockets import SocketHandle
from .limits import TokenBucket, is_int, op_id_of
from .outbox import OUTBOX_LIMIT, Flusher
from .subscriptions import SubscriptionFrames

logger = logging.getLogger(__name__)

AUTH_TIMEOUT_SECONDS = 15
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_SLOW = 4408  # the client did not read its frames fast enough
CLOSE_TOO_BIG = 1009  # a frame the server cannot send to this client
MAX_CLIENT_OP_ID = 100
CURSOR_RATE_PER_SECOND = 60


class DocumentConsumer(SubscriptionFrames, AsyncWebsocketConsumer):
    """One open socket: a participant on a document, or a user's socket for topics."""

    # No channel layer: fan-out goes through the realtime platform's own bus, and a socket
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
        self.registry: Registry | None = None
        self.handle: SocketHandle | None = None
        self.hub = None
        self.session_id: int | None = None
        self.authenticating = False
        self.closed = False
        self.accepts_parts = False
        self.outbox: deque[str] = deque()
        self.timings = False  # REALTIME_TIMINGS, from the registry once authenticated
        self.frame_received = 0.0  # when the frame being handled arrived (timings on)
        self.ack_timers: list[metrics.EditTimer] = []  # acks queued, not yet written
        self.edit_bucket = TokenBucket(settings.WS_EDIT_RATE_PER_SECOND)
        self.chat_bucket = TokenBucket(settings.WS_CHAT_RATE_PER_SECOND)
        self.cursor_bucket = TokenBucket(CURSOR_RATE_PER_SECOND)
        await self.accept()
        metrics.websocket_connections.labels("collab").inc()
        self.flusher = Flusher.current()
        self.raw_writer = RawWriter.for_send(self.scope.get("server_send"))
        self.send_limit = send_limit(self.scope.get("server_send"))
        self.auth_timer = asyncio.get_running_loop().call_later(
            AUTH_TIMEOUT_SECONDS, self._start_auth_timeout
        )
        if drain.draining():
            # This process is stopping: the client reconnects to another one.
            self.close_for_restart()
            return
        drain.socket_opened(self)

    def _start_auth_timeout(self) -> None:
        self.closing = asyncio.ensure_future(self._auth_timeout())

    async def disconnect(self, code):
        self.closed = True
        metrics.websocket_connections.labels("collab").dec()
        self.auth_timer.cancel()
        self.outbox.clear()
        try:
            if self.handle is not None and self.registry is not None:
                await self.registry.disconnect(self.handle)
                if self.session_id is not None:
                    await run_db(services.session_leave, connection_id=self.conn_id)
        except Exception:  # the frame boundary: a disconnect must always finish
            logger.exception("cleanup after disconnect failed")
        finally:
            drain.socket_closed(self)  # a draining process waits for this clean-up

    # --- sending -------------------------------------------------------------------------
    def send_text(self, text: str) -> None:
        """Queues a frame; the process's flusher sends every socket's frames in order."""
        if self.closed:
            return
        if len(self.outbox) >= OUTBOX_LIMIT:
            # A client this far behind gets dropped; it reconnects and catches up.
            self._close_soon(CLOSE_TOO_SLOW, flush=False)
            return
        self.outbox.append(text)
        self.flusher.mark(self)

    def ack_timed(self, timer: metrics.EditTimer) -> None:
        """The ack just queued is observed by the flusher once it is written."""
        if not self.closed:
            self.ack_timers.append(timer)

    def send_frame(self, frame: dict) -> None:
        metrics.websocket_messages.labels("out", frame.get("type", "?")).inc()
        self.send_text(wire.dumps(frame))

    def send_error(self, code: str, message: str, **extra) -> None:
        self.send_frame({"type": "error", "code": code, "message": message, **extra})

    def revoke(self, frame: dict, close_code: int) -> None:
        """The platform took the socket's rights away: a last frame, then close."""
        self.send_frame(frame)
        self._close_soon(close_code)

    def frame_too_large(self, size: int) -> None:
        """A frame the server cannot send to this client (see consumers/outbox.py)."""
        self.outbox.clear()
        self.send_error(
            "message_too_large",
            f"a {size}-byte frame cannot be sent on this connection (the server sends at most "
            f'{self.send_limit} bytes); reconnect with "frame_parts": true in authenticate, '
            "or ask the operator to raise --websocket-max-message-size",
        )
        self._close_soon(CLOSE_TOO_BIG)

    def close_for_restart(self) -> None:
        """The process is draining (config/drain.py): the frames queued for the client
        (acks of committed edits among them) go out, then close 1012, "service restart"."""
        self._close_soon(drain.CLOSE_SERVICE_RESTART)

    def _close_soon(self, code: int, *, flush: bool = True) -> None:
        if self.closed:
            return

        async def close() -> None:
            if flush:
                await self._flush()
            self.closed = True
            # Through daphne's protocol where it runs: the ASGI close refuses 1009, 1012
            # and 1013 there (see drain.close_with_code).
            if not drain.close_with_code(self.scope.get("server_send"), code):
                await self.close(code=code)

        if not flush:
            self.closed = True
        self.closing = asyncio.ensure_future(close())

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

    # --- receiving -----------------------------------------------------------------------
    async def receive(self, text_data=None, bytes_data=None):
        if self.closed:
            return
        if self.timings:
            self.frame_received = time.perf_counter()
        try:
            await self._receive(text_data, bytes_data)
        except Exception:  # the frame boundary: one bad frame never kills the connection
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
                    **op_id_of(text_data, MAX_CLIENT_OP_ID),
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
            "subscribe": self._subscribe,
            "unsubscribe": self._unsubscribe,
            "room_message": self._room_message,
            "room_message_edit": self._room_message_edit,
            "room_message_delete": self._room_message_delete,
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

    # --- authentication ------------------------------------------------------------------
    async def _credential(self, token: object) -> tuple[object, Credential] | None:
        if token is not None:
            if not isinstance(token, str) or not token:
                return None
            return await run_db(credential_from_token, token)
        user = self.scope.get("user")
        credential = credential_from_session(user)
        return (user, credential) if credential is not None else None

    async def _authenticate(self, data: dict) -> None:
        signed_in = await self._credential(data.get("token"))
        if signed_in is None:
            await self._refuse(
                "not_authenticated",
                "the token is invalid or expired; sign in again",
                CLOSE_UNAUTHENTICATED,
            )
            return
        user, credential = signed_in
        self.user = user
        self.accepts_parts = data.get("frame_parts") is True
        user_since = data.get("user_since") if is_int(data.get("user_since")) else None
        self.registry = Registry.current()
        if self.registry.timings:
            self.timings = self.flusher.timings = True
        document_ref = data.get("document_id")
        if document_ref is None:
            await self._authenticate_user_only(user, credential, user_since)
            return
        if not (is_int(document_ref) or (isinstance(document_ref, str) and document_ref)):
            await self._refuse("not_found", "document_id must be an id or a slug", CLOSE_NOT_FOUND)
            return
        await self._authenticate_document(user, credential, document_ref, data, user_since)

    def _new_handle(self, user, credential: Credential, **rights) -> SocketHandle:
        return SocketHandle(
            conn_id=self.conn_id,
            owner=self,
            user_id=user.pk,
            username=user.username,
            color=user_color(user.pk),
            credential=credential,
            user_version=rights.pop("user_version", user.access_version),
            **rights,
        )

    async def _authenticate_user_only(self, user, credential, user_since) -> None:
        handle = self._new_handle(user, credential)
        self.handle = handle
        backlog, complete = await self.registry.connect(handle, user_since=user_since)
        if self.closed:
            return
        self.auth_timer.cancel()
        topic = wire.topic_name(wire.USER, user.pk)
        self.send_frame(
            {
                "type": "authenticated",
                "user": {"id": user.pk, "username": user.username},
                "topics": [topic],
                "user_backlog_complete": complete,
            }
        )
        handle.finish_loading(topic, backlog)

    async def _authenticate_document(self, user, credential, document_ref, data, user_since):
        since = data.get("revision") if is_int(data.get("revision")) else None
        try:
            join = await run_db(
                services.document_join,
                user=user,
                credential=credential,
                ref=document_ref,
                session_ref=data.get("session_id"),
                connection_id=self.conn_id,
            )
        except services.JoinRefused as exc:
            await self._refuse(exc.code, exc.message, exc.close_code)
            return
        registry = self.registry
        self.session_id = join.session_id
        handle = self._new_handle(
            user,
            credential,
            user_version=join.user_version,
            document_id=join.document_id,
            document_version=join.document_version,
            can_edit=join.can_edit,
        )
        self.handle = handle
        user_backlog, user_complete = await registry.connect(handle, user_since=user_since)
        hub = self.hub = await registry.hub(join.document_id)
        hub.add(handle)
        doc_since = data.get("doc_since")
        doc_backlog, doc_complete = await registry.topics.attach(
            handle,
            wire.DOCUMENT,
            join.document_id,
            doc_since if is_int(doc_since) and doc_since >= 0 else None,
        )
        # Registered for broadcasts before reading the text, so nothing is missed.
        try:
            joined = await run_db(
                selectors.document_text_since, document_id=join.document_id, since=since
            )
        except Document.DoesNotExist:
            await registry.disconnect(handle)
            self.handle = None
            await self._refuse("not_found", "there is no such document", CLOSE_NOT_FOUND)
            return
        await registry.presence.set(join.document_id, self.conn_id, handle.presence_info())
        participants = await registry.participants(join.document_id)
        if self.closed or handle.gone:
            return
        self.auth_timer.cancel()
        topic = wire.topic_name(wire.USER, user.pk)
        doc_topic = wire.topic_name(wire.DOCUMENT, join.document_id)
        frame = {
            "type": "authenticated",
            "user": {"id": user.pk, "username": user.username},
            "document_id": str(join.document_id),
            "slug": join.slug,
            "title": join.title,
            "revision": joined["revision"],
            "content": joined["content"],
            "can_edit": join.can_edit,
            "participants": participants,
            "color": handle.color,
            "topics": [topic, doc_topic],
            "user_backlog_complete": user_complete,
            "doc_backlog_complete": doc_complete,
        }
        if joined["ops_since"] is not None:
            frame["ops_since"] = joined["ops_since"]
        elif since is not None and since < joined["revision"]:
            frame["ops_since"] = []
            frame["ops_since_complete"] = False
        if join.session_id is not None:
            frame["session_id"] = str(join.session_id)
        handle.send_text(wire.dumps(frame))
        metrics.websocket_messages.labels("out", "authenticated").inc()
        hub.joined(handle, joined["revision"], joined["content"])
        handle.finish_loading(topic, user_backlog)
        handle.finish_loading(doc_topic, doc_backlog)
        await registry.relay(
            join.document_id,
            presence_frame("join", handle.presence_info(), participants),
            exclude=self.conn_id,
        )

    async def _already_authenticated(self, data: dict) -> None:
        self.send_error("unknown_type", "this socket is already authenticated")

    # --- document frames -----------------------------------------------------------------
    def _document_required(self, **ref) -> bool:
        """False (after an error frame) when the socket joined no document."""
        if self.hub is not None:
            return True
        self.send_error(
            "not_found", "this socket has no document; authenticate with a document_id", **ref
        )
        return False

    async def _edit(self, data: dict) -> None:
        if drain.draining():
            return  # left unanswered: the client resends it where it reconnects
        client_op_id = data.get("client_op_id")
        ref = {"client_op_id": client_op_id} if isinstance(client_op_id, str) else {}
        if not self._document_required(**ref):
            return
        try:
            pending = services.pending_from_frame(
                data, user_id=self.user.pk, access=self.handle.stamp()
            )
        except services.EditRefused as exc:
            if exc.field == "client_op_id":
                ref = {}
            self.send_error(exc.code, exc.message, **ref)
            return
        if not self.handle.can_edit:
            self.send_error("forbidden", "you may read this document but not edit it", **ref)
            return
        wait_ms = self.edit_bucket.take()
        if wait_ms:
            self.send_error(
                "rate_limited", "too many edits; slow down", retry_after_ms=wait_ms, **ref
            )
            return
        timer = metrics.EditTimer(self.frame_received) if self.timings else None
        self.hub.submit(pending, self.conn_id, timer)

    async def _cursor(self, data: dict) -> None:
        if not self._document_required():
            return
        cursor = data.get("cursor")
        if (
            not isinstance(cursor, dict)
            or not all(is_int(v) or v is None for v in cursor.values())
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
        if is_int(revision):
            frame["revision"] = revision
        await self.registry.relay(self.handle.document_id, frame, exclude=self.conn_id)

    async def _typing(self, data: dict) -> None:
        if not self._document_required():
            return
        is_typing = data.get("is_typing")
        if not isinstance(is_typing, bool):
            self.send_error("invalid_operation", "is_typing must be true or false")
            return
        if self.cursor_bucket.take():
            return
        await self.registry.relay(
            self.handle.document_id,
            {
                "type": "typing",
                "is_typing": is_typing,
                "user_id": self.handle.user_id,
                "username": self.handle.username,
                "color": self.handle.color,
            },
            exclude=self.conn_id,
        )

    def _chat_refused(self, exc: ValidationError | services.ActionForbidden, **ref) -> None:
        """The error frame for a refused chat or room message."""
        if isinstance(exc, services.TextTooLong):
            self.send_error("message_too_large", "; ".join(exc.messages), **ref)
        elif isinstance(exc, ValidationError):
            self.send_error("invalid_operation", "; ".join(exc.messages), **ref)
        else:
            self.send_error("forbidden", str(exc), **ref)

    def _chat_allowed(self, chat: object) -> bool:
        if not isinstance(chat, dict) or not isinstance(chat.get("message"), str):
            self.send_error("invalid_operation", "a chat message needs some text")
            return False
        wait_ms = self.chat_bucket.take()
        if wait_ms:
            self.send_error("rate_limited", "too many messages; slow down", retry_after_ms=wait_ms)
            return False
        return True

    async def _chat(self, data: dict) -> None:
        if not self._document_required():
            return
        chat = data.get("chat")
        if not self._chat_allowed(chat):
            return
        try:
            stored = await run_db(
                services.chat_message_create_in_document,
                document_id=self.handle.document_id,
                user=self.user,
                message=chat["message"],
                message_type=chat.get("message_type", "text"),
                session_id=self.session_id,
            )
        except (ValidationError, services.ActionForbidden) as exc:
            self._chat_refused(exc)
            return
        except Document.DoesNotExist:
            self.send_error("not_found", "this document no longer exists")
            return
        await self.registry.relay(
            self.handle.document_id,
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
