"""Re-deciding the rights of open sockets when access changes.

A socket's rights are decided when it joins, on the access versions of its user, its
document and its rooms. When one of those versions moves (announced on the bus, found
by the poll, seen on a revision frame, or refused by the commit path), the socket is put
on hold at once and its rights are decided again from the database:

- no longer signed in (password changed, signed out everywhere, deactivated, suspended)
  or may no longer read its document: an `error` frame with code `forbidden`, then the
  socket is closed with 4403; what was held back is dropped;
- may read but no longer edit (or may edit now): `access_changed` with `can_edit`;
- may no longer read a room, or a document whose topic it follows without having joined
  it (a document page): `unsubscribed` with reason `forbidden` for that room or document;
- then what was held back is sent, and queued edits go on under the new versions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .. import selectors
from . import wire
from .db import run_db

if TYPE_CHECKING:
    from .registry import Registry
    from .sockets import SocketHandle

logger = logging.getLogger(__name__)

CLOSE_FORBIDDEN = 4403
RETRY_SECONDS = 0.5

REVOKED_MESSAGES = {
    "signed_out": "You were signed out (your password changed, or you signed out "
    "everywhere). Sign in again to continue.",
    "account_disabled": "Your account has been deactivated.",
    "account_suspended": "Your account is suspended.",
    "document_deleted": "This document was deleted.",
    "access_removed": "You no longer have access to this document.",
}
EDIT_MESSAGES = {
    False: "You may still read this document, but no longer edit it.",
    True: "You may now edit this document.",
}


def revoked_frame(reason: str) -> dict:
    return {
        "type": "error",
        "code": "forbidden",
        "reason": reason,
        "message": REVOKED_MESSAGES.get(reason, REVOKED_MESSAGES["access_removed"]),
    }


def review_of(handle: SocketHandle) -> selectors.SocketReview:
    return selectors.SocketReview(
        credential=handle.credential,
        document_id=handle.document_id,
        room_ids=tuple(handle.rooms),
        subscribed_document_ids=tuple(handle.documents),
    )


class Reviewer:
    """Holds sockets and re-decides their rights, many at once, one pass at a time."""

    def __init__(self, registry: Registry):
        self.registry = registry
        self.pending: dict[str, SocketHandle] = {}
        self.task: asyncio.Task | None = None

    def request(self, handles: Iterable[SocketHandle]) -> None:
        """Holds the sockets now; their rights are decided again in the background."""
        for handle in handles:
            if handle.gone:
                continue
            handle.hold()
            self.pending[handle.conn_id] = handle
        if self.pending and (self.task is None or self.task.done()):
            self.task = self.registry.loop.create_task(self._run(), name="access-review")

    async def _run(self) -> None:
        while self.pending:
            batch = list(self.pending.values())
            self.pending.clear()
            try:
                verdicts = await run_db(selectors.socket_verdicts, [review_of(h) for h in batch])
            except Exception:  # a background loop: the sockets stay held and are tried again
                logger.exception("re-deciding the rights of %d sockets failed", len(batch))
                for handle in batch:
                    self.pending.setdefault(handle.conn_id, handle)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            for handle, verdict in zip(batch, verdicts, strict=True):
                if handle.conn_id in self.pending or handle.gone:
                    continue  # changed again meanwhile: the next pass decides
                try:
                    self.apply(handle, verdict)
                except Exception:  # a background loop: never leave a socket held forever
                    logger.exception("applying new rights to socket %s failed", handle.conn_id)
                    self.registry.revoke(handle, "access_removed")

    def apply(self, handle: SocketHandle, verdict: selectors.SocketVerdict) -> None:
        registry = self.registry
        if not verdict.signed_in:
            registry.revoke(handle, verdict.reason)
            return
        handle.user_version = verdict.user_version
        hub = registry.hubs.get(handle.document_id) if handle.document_id is not None else None
        if handle.document_id is not None:
            if not verdict.document_exists:
                registry.revoke(handle, "document_deleted")
                return
            if not verdict.can_read:
                registry.revoke(handle, "access_removed")
                return
            handle.document_version = verdict.document_version
            if hub is not None:
                hub.note_access_version(verdict.document_version, review=False)
            if verdict.can_edit != handle.can_edit:
                handle.can_edit = verdict.can_edit
                handle.send_past_hold(
                    wire.dumps(
                        {
                            "type": "access_changed",
                            "can_edit": verdict.can_edit,
                            "reason": "edit_granted" if verdict.can_edit else "edit_removed",
                            "message": EDIT_MESSAGES[verdict.can_edit],
                        }
                    )
                )
        for room_id, room in verdict.rooms.items():
            if room_id not in handle.rooms:
                continue  # left meanwhile
            if room.can_read:
                handle.rooms[room_id] = room.access_version
            else:
                registry.leave_room(handle, room_id, reason="forbidden")
        for document_id, topic in verdict.documents.items():
            if document_id not in handle.documents:
                continue  # unsubscribed meanwhile
            if topic.can_read:
                handle.documents[document_id] = topic.access_version
            else:
                registry.leave_document(
                    handle, document_id, reason="forbidden", deleted=not topic.exists
                )
        handle.release()
        if hub is not None:
            hub.restamp()
