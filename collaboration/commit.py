"""The one commit path for document changes: lock, dedupe, transform, apply, store.

Every change to a document's text goes through `commit_operations`: the live
socket (in batches), the REST API, restores and merges of reviewed proposals.
One call is one short transaction on one locked document row, however many
operations it commits, which is what makes one busy document fast (see
shared performance-notes.md: batching commits per document is the win).
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import ot
from .models import Document, Operation, Snapshot

if TYPE_CHECKING:
    from collections.abc import Iterable

logger = logging.getLogger(__name__)

# How many recent operations a DocumentState keeps in memory, so that a commit
# transforms against them without reading the log back from the database.
RECENT_OPS_KEPT = 2000


class CommitError(Exception):
    """An operation refused with a protocol error code (see realtime-protocol.md)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class PendingOperation:
    """An edit waiting to be committed. Exactly one of `ops` and `simple` is set."""

    client_op_id: str
    base_revision: int
    user_id: int | None
    ops: list[ot.Op] | None = None
    simple: dict[str, Any] | None = None
    source: str = "socket"


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


@dataclass
class DocumentState:
    """What a process already knows of a document, so commits need not re-read it."""

    document_id: int
    revision: int
    content: str
    # (revision, ops) of the latest revisions, oldest first, contiguous, ending at `revision`.
    recent: deque[tuple[int, list[ot.Op]]] = field(
        default_factory=lambda: deque(maxlen=RECENT_OPS_KEPT)
    )

    def ops_after(self, base_revision: int) -> list[list[ot.Op]] | None:
        """Ops of revisions base+1..revision, or None if not all are held here."""
        if base_revision >= self.revision:
            return []
        if not self.recent or self.recent[0][0] > base_revision + 1:
            return None
        start = base_revision + 1 - self.recent[0][0]
        return [ops for _rev, ops in list(self.recent)[start:]]

    def advance(self, revision: int, ops: list[ot.Op]) -> None:
        """Applies a revision committed elsewhere (or here); the caller keeps order."""
        if revision != self.revision + 1:
            raise ValueError(f"state at {self.revision} cannot take revision {revision}")
        self.content = ot.apply(self.content, ops)
        self.revision = revision
        self.recent.append((revision, ops))


def _load_ops(document_id: int, after: int, upto: int) -> list[tuple[int, list[ot.Op]]]:
    rows = (
        Operation.objects.filter(document_id=document_id, revision__gt=after, revision__lte=upto)
        .order_by("revision")
        .values_list("revision", "ops")
    )
    return list(rows)


def oldest_retained_revision(document_id: int) -> int:
    """The base revision below which the log no longer has every operation."""
    first = (
        Operation.objects.filter(document_id=document_id)
        .order_by("revision")
        .values_list("revision", flat=True)
        .first()
    )
    return 0 if first is None else first - 1


def _bring_state_up_to_date(
    state: DocumentState | None, document_id: int, db_revision: int, need_base: int
) -> DocumentState:
    """Returns a state at `db_revision` holding ops back to `need_base` where possible.

    Assumes the document row is locked, so `db_revision` cannot move meanwhile.
    """
    if state is not None and state.revision < db_revision:
        missing = _load_ops(document_id, state.revision, db_revision)
        if len(missing) == db_revision - state.revision:
            for revision, ops in missing:
                state.advance(revision, ops)
        else:
            state = None  # the log was pruned under us: reload from the row
    if state is None or state.revision != db_revision:
        content = Document.objects.filter(pk=document_id).values_list("content", flat=True)[0]
        state = DocumentState(document_id=document_id, revision=db_revision, content=content)
    if need_base < state.revision and state.ops_after(need_base) is None:
        oldest_held = state.recent[0][0] - 1 if state.recent else state.revision
        older = _load_ops(document_id, need_base, oldest_held)
        merged = deque(older, maxlen=max(RECENT_OPS_KEPT, len(older) + len(state.recent)))
        merged.extend(state.recent)
        state.recent = merged
    return state


def _length_at(state: DocumentState, base_revision: int, history: list[list[ot.Op]]) -> int:
    """Length of the text at `base_revision`, walking the ops after it backwards."""
    length = len(state.content)
    for ops in reversed(history):
        length -= ot.target_length(ops) - ot.base_length(ops) if ops else 0
    return length


def _transform_pending(state: DocumentState, pending: PendingOperation) -> tuple[list[ot.Op], int]:
    """The pending op rewritten against everything committed after its base."""
    if pending.base_revision > state.revision:
        raise CommitError(
            "invalid_operation",
            f"revision {pending.base_revision} is ahead of the document (at {state.revision})",
        )
    retention = settings.OPERATION_RETENTION
    too_old = retention > 0 and pending.base_revision < state.revision - retention
    history = None if too_old else state.ops_after(pending.base_revision)
    if history is None:
        raise CommitError(
            "revision_too_old",
            f"revision {pending.base_revision} is older than the kept history; reload the document",
        )
    try:
        if pending.ops is not None:
            ops = ot.validate(pending.ops)
        else:
            ops = ot.from_simple(
                pending.simple or {}, _length_at(state, pending.base_revision, history)
            )
        if any(isinstance(c, str) and "\x00" in c for c in ops):
            # PostgreSQL text cannot hold NUL; refuse it here, not as a failed batch.
            raise CommitError("invalid_operation", "text may not contain NUL characters")
        for committed in history:
            ops, _ = ot.transform(ops, committed)
        new_content = ot.apply(state.content, ops)
    except ot.InvalidOperation as exc:
        raise CommitError("invalid_operation", str(exc)) from exc
    return ops, len(new_content)


def commit_operations(
    *,
    document_id: int,
    pending: Iterable[PendingOperation],
    state: DocumentState | None = None,
) -> tuple[list[CommitResult], DocumentState]:
    """Commits pending operations of one document in one transaction.

    Each pending op gets a result: committed at a new revision, a duplicate of an
    earlier commit (same client_op_id: answered with its original revision), or an
    error that changed nothing. Raises Document.DoesNotExist if the document is gone.
    The caller broadcasts the committed results after this returns (after commit).
    """
    pending = list(pending)
    max_chars = settings.MAX_DOCUMENT_CHARS
    snapshot_every = settings.SNAPSHOT_EVERY
    with transaction.atomic():
        db_revision = (
            Document.objects.select_for_update()
            .filter(pk=document_id)
            .values_list("revision", flat=True)
            .get()
        )
        ids = {p.client_op_id for p in pending}
        earlier = dict(
            Operation.objects.filter(document_id=document_id, client_op_id__in=ids).values_list(
                "client_op_id", "revision"
            )
        )
        need_base = min((p.base_revision for p in pending), default=db_revision)
        state = _bring_state_up_to_date(state, document_id, db_revision, need_base)
        start_revision = state.revision

        results: list[CommitResult] = []
        rows: list[Operation] = []
        now = timezone.now()
        for item in pending:
            result = CommitResult(client_op_id=item.client_op_id, user_id=item.user_id)
            results.append(result)
            if item.client_op_id in earlier:
                result.duplicate = True
                result.revision = earlier[item.client_op_id]
                continue
            try:
                ops, new_length = _transform_pending(state, item)
                if new_length > max_chars and new_length > len(state.content):
                    raise CommitError(
                        "document_too_large",
                        f"the document would have {new_length} characters; "
                        f"the limit is {max_chars}",
                    )
            except CommitError as exc:
                result.error = exc
                continue
            state.advance(state.revision + 1, ops)
            earlier[item.client_op_id] = state.revision
            inserted, deleted = ot.changed_length(ops)
            result.revision = state.revision
            result.ops = ops
            rows.append(
                Operation(
                    document_id=document_id,
                    revision=state.revision,
                    base_revision=item.base_revision,
                    ops=ops,
                    client_op_id=item.client_op_id,
                    user_id=item.user_id,
                    source=item.source,
                    chars_inserted=inserted,
                    chars_deleted=deleted,
                    created_at=now,
                )
            )

        if rows:
            Operation.objects.bulk_create(rows)
            Document.objects.filter(pk=document_id).update(
                content=state.content,
                revision=state.revision,
                updated_at=now,
                last_edited_at=now,
                last_edited_by_id=rows[-1].user_id,
            )
            if state.revision // snapshot_every > start_revision // snapshot_every:
                Snapshot.objects.create(
                    document_id=document_id, revision=state.revision, content=state.content
                )
    return results, state
