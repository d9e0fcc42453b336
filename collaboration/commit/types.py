"""What goes into the commit path and what comes out: pending edits, results, refusals."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .. import ot


class CommitError(Exception):
    """An operation refused with a protocol error code (see realtime-protocol.md)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class PendingOperation:
    """An edit waiting to be committed. Exactly one of `ops` and `simple` is set.

    `user_id` is the author the revision credits; `actor_id` who commits it when that is
    someone else (None: the author). `access` is the (document, actor) access versions
    the right to commit was decided on: if either moved since, nothing is committed and
    the caller decides again (`AccessStale`). None skips the check (trusted callers).
    """

    client_op_id: str
    base_revision: int
    user_id: int | None
    ops: list[ot.Op] | None = None
    simple: dict[str, Any] | None = None
    source: str = "socket"
    actor_id: int | None = None
    access: tuple[int, int] | None = None
    # (revision R, the op rewritten against every committed revision up to R)
    rebased: tuple[int, list[ot.Op]] | None = None


@dataclass
class CommitResult:
    client_op_id: str
    revision: int | None = None
    ops: list[ot.Op] | None = None  # as committed (transformed), for broadcasting
    user_id: int | None = None
    duplicate: bool = False
    error: CommitError | None = None

    @property
    def committed(self) -> bool:
        return self.error is None and not self.duplicate

    def frame(self) -> dict[str, Any]:
        """The broadcast form of a committed revision (an `edit` frame without `type`)."""
        return {
            "revision": self.revision,
            "ops": self.ops,
            "user_id": self.user_id,
            "client_op_id": self.client_op_id,
        }


class AccessStale(Exception):
    """Nothing was committed: rights were decided on access versions that moved since.

    Carries the current versions, so the caller can re-decide the rights of the ops'
    actors and commit again with the new stamps (or refuse them).
    """

    def __init__(
        self,
        document_version: int,
        user_versions: dict[int, int],
        caught_up: list[dict[str, Any]] | None = None,
    ):
        super().__init__("access to the document changed; decide the rights again")
        self.document_version = document_version
        self.user_versions = user_versions
        # Revisions of other processes already applied to the caller's state (fast path).
        self.caught_up = caught_up or []


def actor_of(item: PendingOperation) -> int | None:
    return item.actor_id if item.actor_id is not None else item.user_id


def access_stale(
    pending: list[PendingOperation], document_version: int, user_versions: dict[int, int]
) -> bool:
    """True if any op's rights were decided on versions other than these."""
    for item in pending:
        if item.access is None:
            continue
        document_stamp, user_stamp = item.access
        if document_stamp != document_version or user_versions.get(actor_of(item)) != user_stamp:
            return True
    return False


def json_value(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value
