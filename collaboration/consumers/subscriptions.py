"""Topic frames of the live socket: following rooms and documents without joining them.

`subscribe` / `unsubscribe` name a room (study group and AMA chat) or a document (its
topic: comment activity, for document pages, which join no document); `room_message`
posts in a followed room, `room_message_edit` and `room_message_delete` change a message
there. Mixed into the consumer (collab.py), which gives `handle`,
`registry`, `user`, `send_error` and the chat checks; the rules are the selectors' and
services' (docs/realtime-protocol.md, "Topics").
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from .. import selectors, services
from ..models import Room, RoomMessage
from ..realtime import wire
from ..realtime.db import run_db
from ..selectors.live import document_find_readable
from ..services.rooms import room_message_delete, room_message_edit
from .limits import is_int

MAX_ROOMS_PER_SOCKET = 50
MAX_DOCUMENTS_PER_SOCKET = 50  # document topics followed without joining


class SubscriptionFrames:
    """The consumer's handlers for `subscribe`, `unsubscribe` and the room writes."""

    async def _subscribe(self, data: dict) -> None:
        if "document" in data:
            await self._subscribe_document(data)
        else:
            await self._subscribe_room(data)

    async def _unsubscribe(self, data: dict) -> None:
        if "document" in data:
            await self._unsubscribe_document(data)
        else:
            await self._unsubscribe_room(data)

    async def _subscribe_document(self, data: dict) -> None:
        """Follows a document's topic without joining it (a document page): live comment
        activity, resumed after `since`. Readers only, decided as joining is."""
        ref = data.get("document")
        since = data.get("since")
        if not ((is_int(ref) and ref > 0) or (isinstance(ref, str) and 0 < len(ref) <= 200)):
            self.send_error("invalid_operation", "document must be a document id or slug")
            return
        if since is not None and (not is_int(since) or since < 0):
            self.send_error("invalid_operation", "since must be an event id", document=ref)
            return
        found = await run_db(document_find_readable, ref=ref, credential=self.handle.credential)
        if found is None or self.handle.gone:
            self.send_error("not_found", "there is no such document", document=ref)
            return
        handle, document_id = self.handle, found.id
        joined = document_id == handle.document_id  # on its topic already: resume only
        following = joined or document_id in handle.documents
        if not following and len(handle.documents) >= MAX_DOCUMENTS_PER_SOCKET:
            self.send_error(
                "rate_limited",
                f"a socket follows at most {MAX_DOCUMENTS_PER_SOCKET} documents",
                document=ref, retry_after_ms=1000,
            )  # fmt: skip
            return
        if following:
            await self.registry.topics.detach(handle, wire.DOCUMENT, document_id)
        if not joined:
            handle.documents[document_id] = found.access_version
        backlog, complete = await self.registry.topics.attach(
            handle, wire.DOCUMENT, document_id, since
        )
        topic = wire.topic_name(wire.DOCUMENT, document_id)
        handle.send_text(
            wire.dumps(
                {
                    "type": "subscribed",
                    "document": document_id,
                    "topic": topic,
                    "slug": found.slug,
                    "title": found.title,
                    "backlog_complete": complete,
                }
            )
        )
        handle.finish_loading(topic, backlog)

    async def _unsubscribe_document(self, data: dict) -> None:
        document_id = data.get("document")
        if is_int(document_id) and document_id == self.handle.document_id:
            self.send_error(
                "invalid_operation",
                "a socket receives the topic of the document it joined until it closes",
                document=document_id,
            )
            return
        if not is_int(document_id) or document_id not in self.handle.documents:
            self.send_error(
                "not_found",
                "this socket is not subscribed to that document (name it by id)",
                document=document_id,
            )
            return
        self.registry.leave_document(self.handle, document_id)

    async def _subscribe_room(self, data: dict) -> None:
        room_id = data.get("room")
        since = data.get("since")
        if not is_int(room_id) or room_id <= 0:
            self.send_error("invalid_operation", "room must be a room id (a positive integer)")
            return
        if since is not None and (not is_int(since) or since < 0):
            self.send_error("invalid_operation", "since must be a message id", room=room_id)
            return
        if room_id not in self.handle.rooms and len(self.handle.rooms) >= MAX_ROOMS_PER_SOCKET:
            self.send_error(
                "rate_limited", f"a socket follows at most {MAX_ROOMS_PER_SOCKET} rooms",
                room=room_id, retry_after_ms=1000,
            )  # fmt: skip
            return
        found = await run_db(
            selectors.room_find_readable, room_id=room_id, credential=self.handle.credential
        )
        if found is None or self.handle.gone:
            self.send_error("not_found", "there is no such room", room=room_id)
            return
        room, verdict = found
        if room_id in self.handle.rooms:
            await self.registry.topics.detach(self.handle, wire.ROOM, room_id)
        self.handle.rooms[room_id] = verdict.access_version
        backlog, complete = await self.registry.topics.attach(
            self.handle, wire.ROOM, room_id, since
        )
        topic = wire.topic_name(wire.ROOM, room_id)
        self.handle.send_text(
            wire.dumps(
                {
                    "type": "subscribed",
                    "room": room_id,
                    "topic": topic,
                    "title": room.title,
                    "kind": room.kind,
                    "can_post": verdict.can_post,
                    "backlog_complete": complete,
                }
            )
        )
        self.handle.finish_loading(topic, backlog)

    async def _unsubscribe_room(self, data: dict) -> None:
        room_id = data.get("room")
        if not is_int(room_id) or room_id not in self.handle.rooms:
            self.send_error("not_found", "this socket is not subscribed to that room", room=room_id)
            return
        self.registry.leave_room(self.handle, room_id)

    def _room_write_allowed(self, data: dict, *, needs_text: bool) -> int | None:
        """The room of a write frame (message, edit, delete) if the socket follows it, the
        frame is well formed and the chat rate allows it; otherwise an `error` (with
        `room`) is sent and None answered."""
        room_id = data.get("room")
        if not is_int(room_id) or room_id not in self.handle.rooms:
            self.send_error("not_found", "subscribe to the room first", room=room_id)
            return None
        if needs_text and not isinstance(data.get("message"), str):
            self.send_error("invalid_operation", "a room message needs some text", room=room_id)
            return None
        if "message_id" in data and not (is_int(data["message_id"]) and data["message_id"] > 0):
            self.send_error("invalid_operation", "message_id must be a message id", room=room_id)
            return None
        wait_ms = self.chat_bucket.take()  # the same budget as document chat
        if wait_ms:
            self.send_error(
                "rate_limited", "too many messages; slow down",
                room=room_id, retry_after_ms=wait_ms,
            )  # fmt: skip
            return None
        return room_id

    async def _room_write(self, room_id: int, service, **kwargs) -> None:
        """Runs a room service; refusals become `error` frames naming the room. What it
        stores reaches this socket too, on the room's topic."""
        try:
            await run_db(service, room_id=room_id, user=self.user, **kwargs)
        except (ValidationError, services.ActionForbidden) as exc:
            self._chat_refused(exc, room=room_id)
        except Room.DoesNotExist:
            self.send_error("not_found", "there is no such room", room=room_id)
        except RoomMessage.DoesNotExist:
            self.send_error(
                "not_found", "there is no such message", room=room_id,
                message_id=kwargs.get("message_id"),
            )  # fmt: skip

    async def _room_message(self, data: dict) -> None:
        room_id = self._room_write_allowed(data, needs_text=True)
        if room_id is None:
            return
        await self._room_write(
            room_id,
            services.room_message_post,
            message=data["message"],
            message_type=data.get("message_type", "text"),
        )

    async def _room_message_edit(self, data: dict) -> None:
        """`{"type": "room_message_edit", "room": 5, "message_id": 981, "message": "..."}`"""
        if "message_id" not in data:
            self.send_error("invalid_operation", "name the message_id", room=data.get("room"))
            return
        room_id = self._room_write_allowed(data, needs_text=True)
        if room_id is None:
            return
        await self._room_write(
            room_id,
            room_message_edit,
            message_id=data["message_id"],
            message=data["message"],
            message_type=data.get("message_type"),
        )

    async def _room_message_delete(self, data: dict) -> None:
        """`{"type": "room_message_delete", "room": 5, "message_id": 981}`"""
        if "message_id" not in data:
            self.send_error("invalid_operation", "name the message_id", room=data.get("room"))
            return
        room_id = self._room_write_allowed(data, needs_text=False)
        if room_id is None:
            return
        await self._room_write(room_id, room_message_delete, message_id=data["message_id"])
