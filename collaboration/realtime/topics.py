"""Topics: a user's (every open tab of that user), a room's and a document's.

A socket is on its user's topic from the moment it authenticates, on a room's topic while
it is subscribed, and on a document's topic (`doc:<id>`: comment activity) while it is
joined to the document or subscribed to it without joining (document pages). A topic's
bus channel is held once here, whoever else in the process holds it too (the document's
hub does; the bus counts). Frames on a topic carry `topic`, `type` and an integer `id`, and
reach each socket at most once, in id order. Where the content has a log, a socket that
reconnects names the last id it saw and first gets everything after it from the log
(`register_backlog`), then live frames, with nothing lost or repeated in between.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .. import selectors
from . import wire
from .db import run_db

if TYPE_CHECKING:
    from .registry import Registry
    from .sockets import SocketHandle

BACKLOG_LIMIT = 500

# (object id, after id, limit) -> frames with `type` and `id`, oldest first.
BacklogReader = Callable[[int, int, int], list[dict]]

_backlogs: dict[str, BacklogReader] = {
    wire.ROOM: lambda room_id, after, limit: selectors.room_backlog(
        room_id=room_id, after=after, limit=limit
    ),
}


def register_backlog(kind: str, reader: BacklogReader) -> None:
    """Lets clients resume a topic kind from the last id they saw (e.g. notifications on
    the "user" topic, comment activity on a document's). The reader runs in a database
    thread."""
    if kind not in (wire.USER, wire.ROOM, wire.DOCUMENT):
        raise ValueError(f"unknown topic kind {kind!r}")
    _backlogs[kind] = reader


class Topics:
    """Which of this process's sockets are on which user, room and document topics."""

    def __init__(self, registry: Registry):
        self.registry = registry
        self.members: dict[tuple[str, int], set[SocketHandle]] = {}

    def sockets(self, kind: str, object_id: int) -> list[SocketHandle]:
        return list(self.members.get((kind, object_id), ()))

    async def attach(
        self, handle: SocketHandle, kind: str, object_id: int, since: int | None
    ) -> tuple[list[tuple[int, str]], bool]:
        """Puts the socket on the topic; returns the backlog after `since` (frame id, text)
        and whether it is complete. Live frames wait on the handle until the caller sends
        the backlog with `handle.finish_loading`."""
        key = (kind, object_id)
        topic = wire.topic_name(kind, object_id)
        first = key not in self.members
        self.members.setdefault(key, set()).add(handle)
        handle.start_loading(topic, since)
        if first:
            await self.registry.bus.subscribe(kind, object_id)
        reader = _backlogs.get(kind)
        if since is None or reader is None:
            return [], True
        frames = await run_db(reader, object_id, since, BACKLOG_LIMIT)
        backlog = [(frame["id"], wire.dumps({**frame, "topic": topic})) for frame in frames]
        return backlog, len(frames) < BACKLOG_LIMIT

    def remove(self, handle: SocketHandle, kind: str, object_id: int) -> bool:
        """Takes the socket off the topic at once (no frame of it reaches the socket from
        now on); True when it was the last socket here, and the caller must unsubscribe
        the bus (`detach` does both)."""
        key = (kind, object_id)
        handle.forget_topic(wire.topic_name(kind, object_id))
        members = self.members.get(key)
        if members is None or handle not in members:
            return False
        members.discard(handle)
        if members:
            return False
        del self.members[key]
        return True

    async def detach(self, handle: SocketHandle, kind: str, object_id: int) -> None:
        if self.remove(handle, kind, object_id):
            await self.registry.bus.unsubscribe(kind, object_id)

    def deliver(self, kind: str, object_id: int, frame: dict) -> None:
        """A live frame from the bus (or from a publisher in this process)."""
        frame_id = frame.get("id")
        if type(frame_id) is not int:
            return
        text = wire.dumps(frame)
        topic = wire.topic_name(kind, object_id)
        for handle in self.sockets(kind, object_id):
            handle.deliver_topic(topic, frame_id, text)
