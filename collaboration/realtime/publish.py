"""Publishing from synchronous code: the seam services and other apps use.

Call these after the transaction that made the change commits (`transaction.on_commit`,
or the `*_on_commit` helpers here), so nobody hears of a change that was rolled back:

- `revisions_committed`: revisions committed outside the socket path (REST, restores,
  merges). Sockets that miss the message still catch up from the operation log.
- `to_user` (`to_users` for many at once) / `to_room` / `to_document`: a frame for every
  socket of a user (every open tab), every socket subscribed to a room, or every socket
  joined or subscribed to a document, on every server process. Frames carry `type` and an
  integer `id`; `topic` is added here. For "nothing lost across reconnect", publish a
  topic's frames in the order of their ids and register a backlog reader
  (`realtime.topics.register_backlog`).
- `access_changed`: rights on a document, of a user or in a room changed; every process
  re-decides the rights of the affected open sockets at once (they also poll, so a lost
  message only delays this by a fraction of a second).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import redis
from django.conf import settings
from django.db import transaction

from . import process, wire

logger = logging.getLogger(__name__)

_client: redis.Redis | None = None


def redis_client() -> redis.Redis:
    """The shared synchronous Redis client (REDIS_URL)."""
    global _client
    if _client is None:
        pool = redis.BlockingConnectionPool.from_url(
            settings.REDIS_URL, max_connections=32, timeout=5, socket_timeout=3,
            socket_connect_timeout=3,
        )  # fmt: skip
        _client = redis.Redis(connection_pool=pool)
    return _client


def _publish(kind: str, object_id: int, message: dict[str, Any]) -> None:
    """To every other process through Redis, and to this process's own sockets directly."""
    _publish_many([(kind, object_id, message)])


def _publish_many(messages: list[tuple[str, int, dict[str, Any]]]) -> None:
    """`_publish` for several messages in one Redis round trip (a pipeline)."""
    if not messages:
        return
    if settings.REDIS_URL:
        try:
            # Sent with this process's id: its own listener skips it (delivered below).
            pipeline = redis_client().pipeline(transaction=False)
            for kind, object_id, message in messages:
                pipeline.publish(
                    wire.channel(kind, object_id), wire.encode(wire.PROCESS_ID, message)
                )
            pipeline.execute()
        except redis.RedisError as exc:
            # Other processes find revisions in the log and access changes by polling.
            logger.warning("publish of %d messages failed: %s", len(messages), exc)
    registry = process.serving()
    if registry is not None:
        for kind, object_id, message in messages:
            registry.loop.call_soon_threadsafe(registry.dispatch, kind, int(object_id), message)


def revisions_committed(document_id: int, frames: list[dict], access_version: int) -> None:
    """Revisions committed outside the socket path, as broadcast frames, in order."""
    if frames:
        tagged = [dict(frame, av=access_version) for frame in frames]
        _publish(wire.DOCUMENT, document_id, {"k": "ops", "frames": tagged})


def _topic_frame(kind: str, object_id: int, frame: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(frame.get("type"), str) or type(frame.get("id")) is not int:
        raise ValueError("a topic frame needs a string 'type' and an integer 'id'")
    return {**frame, "topic": wire.topic_name(kind, object_id)}


def to_user(user_id: int, frame: dict[str, Any]) -> None:
    """A frame for every open socket of the user (notifications, ...)."""
    _publish(wire.USER, user_id, {"k": "topic", "frame": _topic_frame(wire.USER, user_id, frame)})


def to_users(frames: list[tuple[int, dict[str, Any]]]) -> None:
    """`to_user` for many (user id, frame) pairs at once: one Redis round trip, so one
    event that notifies a thousand people does not wait for a thousand."""
    _publish_many(
        [
            (wire.USER, user_id, {"k": "topic", "frame": _topic_frame(wire.USER, user_id, frame)})
            for user_id, frame in frames
        ]
    )


def to_room(room_id: int, frame: dict[str, Any]) -> None:
    """A frame for every socket subscribed to the room (room messages, ...)."""
    _publish(wire.ROOM, room_id, {"k": "topic", "frame": _topic_frame(wire.ROOM, room_id, frame)})


def to_document(document_id: int, frame: dict[str, Any]) -> None:
    """A frame on the document's topic (`doc:<id>`: comment activity, ...): every socket
    joined to the document and every socket that subscribed to it (document pages)."""
    _publish(
        wire.DOCUMENT,
        document_id,
        {"k": "topic", "frame": _topic_frame(wire.DOCUMENT, document_id, frame)},
    )


def notice_to_document(document_id: int, frame: dict[str, Any]) -> None:
    """A live-only frame on the document's topic (id 0: never replayed, so a client that
    reconnects reads the state again over REST). For activity without a log of its own
    in the topic's id order: proposals and suggestions."""
    to_document(document_id, {**frame, "id": wire.NOTICE_ID})


def access_changed(
    *, document_id: int | None = None, user_id: int | None = None, room_id: int | None = None
) -> None:
    """Rights changed: the affected sockets are re-checked in every process."""
    for kind, object_id in (
        (wire.DOCUMENT, document_id),
        (wire.USER, user_id),
        (wire.ROOM, room_id),
    ):
        if object_id is not None:
            _publish(kind, object_id, {"k": "access"})


def on_commit(func, /, *args: Any, **kwargs: Any) -> None:
    """Runs one of the above once the current transaction commits (at once outside one)."""
    transaction.on_commit(functools.partial(_safely, func, *args, **kwargs))


def _safely(func, /, *args: Any, **kwargs: Any) -> None:
    # The commit stands whatever happens here; sockets catch up by themselves.
    try:
        func(*args, **kwargs)
    except Exception:
        logger.exception("publishing after commit failed")
