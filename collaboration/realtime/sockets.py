"""One open socket as the platform sees it: who, with which rights, on which topics.

Everything sent to a socket passes `SocketHandle.send_text`. While the socket's rights
are being re-decided (`hold`), frames wait on the handle instead of leaving: if the
rights are gone, they are dropped with the socket, so a removed reader never receives a
revision, a presence change or a chat message from after the change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from . import wire

if TYPE_CHECKING:
    from accounts.credentials import Credential
    from config.metrics import EditTimer

HELD_LIMIT = 20_000  # frames kept back while rights are decided (the database is slow)
CLOSE_TRY_AGAIN = 1013  # RFC 6455 "try again later"


class SocketOwner(Protocol):
    """What the consumer behind a handle offers the platform."""

    def send_text(self, text: str) -> None:
        """Queues a text frame; never blocks."""

    def revoke(self, frame: dict, close_code: int) -> None:
        """Sends `frame` (past any hold), then closes the socket with `close_code`."""

    def ack_timed(self, timer: EditTimer) -> None:
        """The ack just queued is timed (REALTIME_TIMINGS): observe it once written."""


@dataclass(eq=False)
class SocketHandle:
    conn_id: str
    owner: SocketOwner
    user_id: int
    username: str
    color: str
    credential: Credential
    user_version: int  # the user's access_version the rights below were decided on
    document_id: int | None = None
    document_version: int | None = None  # the document's access_version, likewise
    can_edit: bool = False
    delivered: int | None = None  # last revision this socket has; None while joining
    waiting_acks: dict[int, list[str]] = field(default_factory=dict)  # revision -> op ids
    filling: bool = False  # a fill from the operation log is under way
    rooms: dict[int, int] = field(default_factory=dict)  # room id -> its access_version
    # Documents whose topic this socket subscribed to without joining them (document pages):
    # document id -> its access_version the right to read was decided on.
    documents: dict[int, int] = field(default_factory=dict)
    topic_last: dict[str, int] = field(default_factory=dict)  # topic -> last frame id sent
    topic_loading: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    held: list[tuple[str | None, str]] | None = None  # (topic or None, frame) while held
    gone: bool = False  # closed or revoked: nothing more is sent

    # --- sending -------------------------------------------------------------------
    def send_text(self, text: str, topic: str | None = None) -> None:
        if self.gone:
            return
        if self.held is None:
            self.owner.send_text(text)
        elif len(self.held) < HELD_LIMIT:
            self.held.append((topic, text))
        else:  # rights cannot be confirmed in time: the client reconnects and catches up
            self.revoke(
                {
                    "type": "error",
                    "code": "internal_error",
                    "message": "your access could not be confirmed in time; reconnect",
                },
                CLOSE_TRY_AGAIN,
            )

    def send_past_hold(self, text: str) -> None:
        """For frames about the review itself, which must come before what it held."""
        if not self.gone:
            self.owner.send_text(text)

    def ack_timed(self, timer: EditTimer) -> None:
        """Hands the timer of the ack just sent to the socket, which observes it once the
        ack is on the wire (a held ack is not timed: the wait is the review's)."""
        if not self.gone and self.held is None:
            self.owner.ack_timed(timer)

    def hold(self) -> None:
        if self.held is None:
            self.held = []

    def release(self) -> None:
        held, self.held = self.held, None
        for _topic, text in held or ():
            self.send_text(text)

    def drop_held(self, topic: str) -> None:
        """Forgets held frames of a topic the socket may no longer read."""
        if self.held is not None:
            self.held = [(t, text) for t, text in self.held if t != topic]

    def revoke(self, frame: dict, close_code: int) -> None:
        """Ends the socket: what was held is dropped, `frame` is the last thing sent."""
        if self.gone:
            return
        self.gone = True
        self.held = None
        self.owner.revoke(frame, close_code)

    # --- rights --------------------------------------------------------------------
    def stamp(self) -> tuple[int, int]:
        """(document access version, user access version) an edit is committed under."""
        return (self.document_version or 0, self.user_version)

    def presence_info(self) -> dict:
        return {
            "conn_id": self.conn_id,
            "user_id": self.user_id,
            "username": self.username,
            "color": self.color,
        }

    # --- topics --------------------------------------------------------------------
    def deliver_topic(self, topic: str, frame_id: int, text: str) -> None:
        """A frame of a topic (user, room, document), at most once and in id order."""
        if frame_id == wire.NOTICE_ID:  # live only, never replayed: no order to keep
            self.send_text(text, topic)
            return
        loading = self.topic_loading.get(topic)
        if loading is not None:
            loading.append((frame_id, text))  # sent after the backlog being read
            return
        if frame_id <= self.topic_last.get(topic, 0):
            return
        self.topic_last[topic] = frame_id
        self.send_text(text, topic)

    def start_loading(self, topic: str, after: int | None) -> None:
        """Live frames wait while the backlog after `after` is read."""
        self.topic_loading[topic] = []
        if after is not None:
            self.topic_last[topic] = max(after, 0)

    def finish_loading(self, topic: str, backlog: list[tuple[int, str]]) -> None:
        waiting = self.topic_loading.pop(topic, [])
        for frame_id, text in [*backlog, *sorted(waiting)]:
            self.deliver_topic(topic, frame_id, text)

    def forget_topic(self, topic: str) -> None:
        self.topic_loading.pop(topic, None)
        self.topic_last.pop(topic, None)
