"""Deciding each pending edit's fate: the rules both storage routes share.

`plan` transforms every pending edit against what was committed after its base, applies
the size, NUL and history rules, and advances the state; the locked route
(`commit.locked`) and the one-round-trip route (`commit.fast`) only differ in how they
store what it decided, so the rules cannot drift apart.
"""

from __future__ import annotations

from django.conf import settings

from .. import ot
from .state import DocumentState, Draft
from .types import CommitError, CommitResult, PendingOperation


def _length_at(state: DocumentState | Draft, base_revision: int, history: list[list[ot.Op]]) -> int:
    """Length of the text at `base_revision`, walking the ops after it backwards."""
    length = len(state.content)
    for ops in reversed(history):
        length -= ot.target_length(ops) - ot.base_length(ops) if ops else 0
    return length


def _transform_pending(
    state: DocumentState | Draft, pending: PendingOperation
) -> tuple[list[ot.Op], str]:
    """The pending op rewritten against everything committed after its base, and the new text.

    Rewriting against committed revisions is remembered on the pending op (a fact about
    the log, whoever asks), so planning again after another process committed only
    rewrites it against what is new.
    """
    if pending.base_revision > state.revision:
        raise CommitError(
            "invalid_operation",
            f"revision {pending.base_revision} is ahead of the document (at {state.revision})",
        )
    retention = settings.OPERATION_RETENTION
    too_old = retention > 0 and pending.base_revision < state.revision - retention
    rebased = pending.rebased if not too_old else None
    start = rebased[0] if rebased is not None else pending.base_revision
    history = None if too_old else state.ops_after(start)
    if history is None:
        raise CommitError(
            "revision_too_old",
            f"revision {pending.base_revision} is older than the kept history; reload the document",
        )
    try:
        if rebased is not None:
            ops = rebased[1]
        else:
            if pending.ops is not None:
                ops = ot.validate(pending.ops)
            else:
                ops = ot.from_simple(
                    pending.simple or {}, _length_at(state, pending.base_revision, history)
                )
            if any(isinstance(c, str) and "\x00" in c for c in ops):
                # PostgreSQL text cannot hold NUL; refuse it here, not as a failed batch.
                raise CommitError("invalid_operation", "text may not contain NUL characters")
        committed_upto = state.start if isinstance(state, Draft) else start
        for revision, committed in enumerate(history, start=start + 1):
            ops = ot.rebase(ops, committed)
            if revision == committed_upto:
                pending.rebased = (revision, ops)
        new_content = ot.apply(state.content, ops)
    except ot.InvalidOperation as exc:
        raise CommitError("invalid_operation", str(exc)) from exc
    return ops, new_content


def plan(
    state: DocumentState | Draft,
    document_id: int,
    pending: list[PendingOperation],
    earlier: dict[str, int],
    max_chars: int,
) -> tuple[list[CommitResult], list[tuple]]:
    """Decides every pending op's fate against `state`, advancing it; returns rows to store.

    `earlier` maps client_op_ids already committed to their revisions; ops planned here
    are added to it, so the same id twice in one batch is committed once.
    """
    results: list[CommitResult] = []
    rows: list[tuple] = []
    for item in pending:
        result = CommitResult(client_op_id=item.client_op_id, user_id=item.user_id)
        results.append(result)
        if item.client_op_id in earlier:
            result.duplicate = True
            result.revision = earlier[item.client_op_id]
            continue
        try:
            ops, new_content = _transform_pending(state, item)
            new_length = len(new_content)
            if new_length > max_chars and new_length > len(state.content):
                raise CommitError(
                    "document_too_large",
                    f"the document would have {new_length} characters; the limit is {max_chars}",
                )
        except CommitError as exc:
            result.error = exc
            continue
        state.advance(state.revision + 1, ops, new_content)
        earlier[item.client_op_id] = state.revision
        inserted, deleted = ot.changed_length(ops)
        result.revision = state.revision
        result.ops = ops
        actor = item.actor_id if item.actor_id != item.user_id else None
        rows.append(
            (document_id, state.revision, item.base_revision, ops, item.client_op_id,
             item.user_id, item.source, inserted, deleted, actor)
        )  # fmt: skip
    return results, rows
