"""Names and formats shared by every process: channels, the bus message format, frames.

A bus message is the sender's process id, a newline, and JSON. The id comes first so a
process skips its own messages (it delivered them to its sockets already) without
decoding them.

Bus payloads (`k`):
- on a document's channel: `ops` (committed revisions as broadcast frames, each with the
  document's access version `av` at commit), `relay` (a frame for every socket but one),
  `topic` (a frame of the document's topic, for its joined and subscribed sockets),
  `access` (rights on the document changed);
- on a user's or a room's channel: `topic` (a frame for the topic's sockets), `access`.
"""

from __future__ import annotations

import json
import os
import uuid

from django.conf import settings

PROCESS_ID = f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
OWN_ORIGIN = PROCESS_ID.encode()

DOCUMENT = "doc"
USER = "user"
ROOM = "room"
KINDS = (DOCUMENT, USER, ROOM)


def channel(kind: str, object_id: int) -> str:
    """The Redis channel of a document, a user or a room."""
    return f"{settings.REALTIME_PREFIX}:{kind}:{int(object_id)}"


def parse_channel(name: str) -> tuple[str, int] | None:
    """(kind, id) of a channel name, or None for anything else."""
    parts = name.rsplit(":", 2)
    if len(parts) != 3 or parts[1] not in KINDS:
        return None
    try:
        return parts[1], int(parts[2])
    except ValueError:
        return None


def process_channel() -> str:
    return f"{settings.REALTIME_PREFIX}:process:{PROCESS_ID}"


def topic_name(kind: str, object_id: int) -> str:
    """The `topic` field of frames on a topic: "user:7", "room:5", "doc:12"."""
    return f"{kind}:{int(object_id)}"


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def encode(origin: str, message: dict) -> str:
    return f"{origin}\n{dumps(message)}"


def decode(data: bytes) -> tuple[bytes, bytes]:
    """(origin, JSON body) of a bus message."""
    origin, _, body = data.partition(b"\n")
    return origin, body


# A topic frame with this id is a notice: sent live to whoever is on the topic, never
# replayed and outside the topic's id order (proposal and suggestion activity).
NOTICE_ID = 0
