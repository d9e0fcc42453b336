"""The one commit path for document changes: lock, dedupe, transform, apply, store.

Every change to a document's text goes through here: the live socket (in batches,
through the hub) and everything else through `services.edits` (REST, restores, merges),
which calls `commit_operations`.
One call is one short transaction on one locked document row, however many
operations it commits, which is what makes one busy document fast (see
shared performance-notes.md: batching commits per document is the win).

The live socket on PostgreSQL first tries `commit_documents_fast`: the same rules
(`_plan` decides every op's fate in both), but planned on what the process already
holds and stored by one database function in one round trip, so the row is locked
only while the database works. See the section at the end of this module.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from config import metrics

from . import ot
from .models import Document, Operation, Snapshot
from .selectors import operations_between

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


@dataclass
class DocumentState:
    """What a process already knows of a document, so commits need not re-read it."""

    document_id: int
    revision: int
    content: str
    access_version: int | None = None  # as of the last commit that read it
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
        # From the newer end: a deque is slow to index into the middle.
        newest = itertools.islice(reversed(self.recent), self.revision - base_revision)
        return [ops for _rev, ops in newest][::-1]

    def advance(self, revision: int, ops: list[ot.Op], content: str | None = None) -> None:
        """Applies a revision committed elsewhere (or here); the caller keeps order.

        `content`, when given, is the text after `ops` (already computed by the caller).
        """
        if revision != self.revision + 1:
            raise ValueError(f"state at {self.revision} cannot take revision {revision}")
        self.content = ot.apply(self.content, ops) if content is None else content
        self.revision = revision
        self.recent.append((revision, ops))

    def adopt(self, draft: _Draft) -> None:
        """Takes on what a draft planned, once the database has committed it."""
        if draft.start != self.revision:
            raise ValueError(f"draft from {draft.start} cannot apply to state at {self.revision}")
        self.recent.extend(draft.new)
        self.content = draft.content
        self.revision = draft.revision


class _Draft:
    """A state's continuation that only exists once the database agrees.

    The one-round-trip commit plans against what the process holds, then asks the
    database to store the plan if nobody committed meanwhile; on a conflict the draft
    is thrown away and the state itself stays exactly at a committed revision.
    """

    def __init__(self, state: DocumentState):
        self.state = state
        self.document_id = state.document_id
        self.start = state.revision
        self.revision = state.revision
        self.content = state.content
        self.new: list[tuple[int, list[ot.Op]]] = []

    def ops_after(self, base_revision: int) -> list[list[ot.Op]] | None:
        if base_revision >= self.revision:
            return []
        held = self.state.ops_after(min(base_revision, self.start))
        if held is None:
            return None
        return held + [ops for _rev, ops in self.new[max(0, base_revision - self.start) :]]

    def advance(self, revision: int, ops: list[ot.Op], content: str | None = None) -> None:
        self.content = ot.apply(self.content, ops) if content is None else content
        self.revision = revision
        self.new.append((revision, ops))


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


def _actor(item: PendingOperation) -> int | None:
    return item.actor_id if item.actor_id is not None else item.user_id


def _access_stale(
    pending: list[PendingOperation], document_version: int, user_versions: dict[int, int]
) -> bool:
    """True if any op's rights were decided on versions other than these."""
    for item in pending:
        if item.access is None:
            continue
        document_stamp, user_stamp = item.access
        if document_stamp != document_version or user_versions.get(_actor(item)) != user_stamp:
            return True
    return False


def _load_ops(document_id: int, after: int, upto: int) -> list[tuple[int, list[ot.Op]]]:
    return list(
        operations_between(document_id=document_id, after=after, upto=upto).values_list(
            "revision", "ops"
        )
    )


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


def _length_at(
    state: DocumentState | _Draft, base_revision: int, history: list[list[ot.Op]]
) -> int:
    """Length of the text at `base_revision`, walking the ops after it backwards."""
    length = len(state.content)
    for ops in reversed(history):
        length -= ot.target_length(ops) - ot.base_length(ops) if ops else 0
    return length


def _transform_pending(
    state: DocumentState | _Draft, pending: PendingOperation
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
        committed_upto = state.start if isinstance(state, _Draft) else start
        for revision, committed in enumerate(history, start=start + 1):
            ops = ot.rebase(ops, committed)
            if revision == committed_upto:
                pending.rebased = (revision, ops)
        new_content = ot.apply(state.content, ops)
    except ot.InvalidOperation as exc:
        raise CommitError("invalid_operation", str(exc)) from exc
    return ops, new_content


def _plan(
    state: DocumentState | _Draft,
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


_OP_TABLE = Operation._meta.db_table
_DOC_TABLE = Document._meta.db_table
_USER_TABLE = User._meta.db_table


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


@dataclass
class _Locked:
    """What `_lock_and_read` found, for the documents it locked."""

    revisions: dict[int, int]
    access_versions: dict[int, int]
    earlier: dict[int, dict[str, int]]
    newer: dict[int, list[dict[str, Any]]]
    user_versions: dict[int, int]


def _lock_and_read(
    cursor, wanted: dict[int, tuple[list[str], int | None]], actors: set[int]
) -> _Locked:
    """Locks the rows (in id order); reads revisions, access versions, earlier commits of
    the ids, newer ops, and the access versions of `actors`.

    `wanted` maps document id -> (client_op_ids, revision the caller already holds).
    The locks must come first, so that the reads after them, which run with a fresh
    snapshot (READ COMMITTED), see everything committed before we got them. Locking in id
    order means two processes locking overlapping sets can never deadlock. On PostgreSQL
    every statement goes in one round trip (pipeline mode): the server still runs them in
    order, the later ones only once the first holds its locks.
    """
    ids = sorted(wanted)
    marks = ", ".join(["%s"] * len(ids))
    lock_sql = (
        f"SELECT id, revision, access_version FROM {_DOC_TABLE} WHERE id IN ({marks}) "
        f"ORDER BY id" + _for_update(cursor)
    )
    clauses, params = [], []
    for document_id in ids:
        client_op_ids, known = wanted[document_id]
        in_ids = ", ".join(["%s"] * len(client_op_ids)) or "NULL"
        if known is None:  # nothing held: only earlier commits of these ids matter
            clauses.append(f"(document_id = %s AND client_op_id IN ({in_ids}))")
            params += [document_id, *client_op_ids]
        else:
            clauses.append(f"(document_id = %s AND (revision > %s OR client_op_id IN ({in_ids})))")
            params += [document_id, known, *client_op_ids]
    read_sql = (
        f"SELECT document_id, revision, client_op_id, ops, user_id FROM {_OP_TABLE} "
        f"WHERE {' OR '.join(clauses)} ORDER BY document_id, revision"
    )
    actor_ids = sorted(actors)
    users_sql = (
        f"SELECT id, access_version FROM {_USER_TABLE} "
        f"WHERE id IN ({', '.join(['%s'] * len(actor_ids)) or 'NULL'})"
    )
    if cursor.db.vendor == "postgresql":
        raw = cursor.db.connection
        cursors = [raw.cursor(), raw.cursor(), raw.cursor()]
        try:
            with raw.pipeline():
                cursors[0].execute(lock_sql, ids)
                cursors[1].execute(read_sql, params)
                cursors[2].execute(users_sql, actor_ids)
            locked, found, users = (c.fetchall() for c in cursors)
        finally:
            for c in cursors:
                c.close()
    else:
        cursor.execute(lock_sql, ids)
        locked = cursor.fetchall()
        cursor.execute(read_sql, params)
        found = cursor.fetchall()
        cursor.execute(users_sql, actor_ids)
        users = cursor.fetchall()
    revisions = {document_id: revision for document_id, revision, _av in locked}
    result = _Locked(
        revisions=revisions,
        access_versions={document_id: av for document_id, _rev, av in locked},
        earlier={d: {} for d in revisions},
        newer={d: [] for d in revisions},
        user_versions=dict(users),
    )
    for document_id, revision, client_op_id, ops, user_id in found:
        if document_id not in revisions:
            continue
        if client_op_id in wanted[document_id][0]:
            result.earlier[document_id][client_op_id] = revision
        known = wanted[document_id][1]
        if known is not None and revision > known:
            result.newer[document_id].append(
                {"revision": revision, "ops": _json(ops), "user_id": user_id,
                 "client_op_id": client_op_id}
            )  # fmt: skip
    return result


def _for_update(cursor) -> str:
    return " FOR UPDATE" if cursor.db.features.has_select_for_update else ""


def _write(cursor, rows: list[tuple], states: list[DocumentState], now) -> None:
    """Stores every new operation in one statement and the new texts in one more."""
    db = cursor.db
    stamp = db.ops.adapt_datetimefield_value(now)
    cast = "CAST(%s AS jsonb)" if db.vendor == "postgresql" else "%s"
    values = ", ".join([f"(%s, %s, %s, {cast}, %s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    params: list[Any] = []
    for document_id, revision, base, op, client_op_id, author, source, ins, dels, actor in rows:
        params += [document_id, revision, base, json.dumps(op, ensure_ascii=False),
                   client_op_id, author, source, ins, dels, actor, stamp]  # fmt: skip
    insert_sql = (
        f"INSERT INTO {_OP_TABLE} (document_id, revision, base_revision, ops, client_op_id, "
        f"user_id, source, chars_inserted, chars_deleted, actor_id, created_at) VALUES {values}"
    )
    last_editor = {row[0]: row[5] for row in rows}
    if db.vendor == "postgresql":
        # The insert and the update in one round trip (pipeline mode).
        raw = db.connection
        with raw.pipeline():
            raw.execute(insert_sql, params)
            _update_documents(raw, db, states, last_editor, stamp)
        return
    cursor.execute(insert_sql, params)
    _update_documents(cursor, db, states, last_editor, stamp)


def _update_documents(cursor, db, states, last_editor: dict[int, int | None], stamp) -> None:
    changed = [state for state in states if state.document_id in last_editor]
    if db.vendor == "postgresql" and len(changed) > 1:
        values = ", ".join(["(%s::bigint, %s::text, %s::integer, %s::bigint)"] * len(changed))
        params = []
        for state in changed:
            params += [state.document_id, state.content, state.revision,
                       last_editor[state.document_id]]  # fmt: skip
        cursor.execute(
            f"UPDATE {_DOC_TABLE} AS d SET content = v.content, revision = v.revision, "
            f"updated_at = %s, last_edited_at = %s, last_edited_by_id = v.editor "
            f"FROM (VALUES {values}) AS v(id, content, revision, editor) WHERE d.id = v.id",
            [stamp, stamp, *params],
        )
        return
    for state in changed:
        cursor.execute(
            f"UPDATE {_DOC_TABLE} SET content = %s, revision = %s, updated_at = %s, "
            f"last_edited_at = %s, last_edited_by_id = %s WHERE id = %s",
            [state.content, state.revision, stamp, stamp, last_editor[state.document_id],
             state.document_id],
        )  # fmt: skip


def commit_operations(
    *,
    document_id: int,
    pending: Iterable[PendingOperation],
    state: DocumentState | None = None,
) -> tuple[list[CommitResult], DocumentState]:
    """Commits pending operations of one document in one transaction.

    Each pending op gets a result: committed at a new revision, a duplicate of an
    earlier commit (same client_op_id: answered with its original revision), or an
    error that changed nothing. Raises Document.DoesNotExist if the document is gone and
    AccessStale (nothing committed) if an op's access stamp is out of date.
    The caller broadcasts the committed results after this returns (after commit).
    On any exception the caller must drop `state`: it may have moved ahead of the
    database.
    """
    (outcome,) = commit_documents([(document_id, list(pending), state)])
    if isinstance(outcome, Exception):
        raise outcome
    results, state, _caught_up = outcome
    return results, state


def commit_documents(
    batches: list[tuple[int, list[PendingOperation], DocumentState | None]],
) -> list[tuple[list[CommitResult], DocumentState, list[dict[str, Any]]] | Exception]:
    """Commits the pending operations of several documents in ONE transaction.

    Per document the rules are those of `commit_operations`; a document that no longer
    exists gets Document.DoesNotExist as its outcome, one whose ops were authorised on
    out-of-date access versions gets AccessStale, and the others still commit. Each
    outcome also lists the revisions committed elsewhere since the given state, as
    broadcast frames, so the caller can deliver them without waiting for the bus. Any
    database error aborts the whole transaction (the caller retries one by one). The
    hot path is plain SQL and a fixed number of statements however many documents and
    operations: it runs while the rows are locked, and every millisecond there is a
    millisecond every other writer of these documents waits.
    """
    max_chars = settings.MAX_DOCUMENT_CHARS
    snapshot_every = settings.SNAPSHOT_EVERY
    outcomes: list[tuple[list[CommitResult], DocumentState, list[dict[str, Any]]] | Exception] = []
    with transaction.atomic(), connection.cursor() as cursor:
        wanted = {
            document_id: ([p.client_op_id for p in pending], st.revision if st else None)
            for document_id, pending, st in batches
        }
        actors = {a for _d, pending, _s in batches for p in pending if (a := _actor(p)) is not None}
        locked = _lock_and_read(cursor, wanted, actors)
        rows: list[tuple] = []
        states: list[DocumentState] = []
        snapshots: list[Snapshot] = []
        for document_id, pending, state in batches:
            if document_id not in locked.revisions:
                outcomes.append(Document.DoesNotExist(f"document {document_id} does not exist"))
                continue
            access_version = locked.access_versions[document_id]
            if _access_stale(pending, access_version, locked.user_versions):
                outcomes.append(AccessStale(access_version, locked.user_versions))
                continue
            db_revision = locked.revisions[document_id]
            earlier = locked.earlier[document_id]
            caught_up: list[dict[str, Any]] = []
            if state is not None and state.revision < db_revision:
                newer = locked.newer[document_id]
                if len(newer) == db_revision - state.revision:
                    for frame in newer:
                        state.advance(frame["revision"], frame["ops"])
                    caught_up = newer  # committed elsewhere: the caller may not have them yet
                else:
                    state = None  # the log was pruned under us: reload from the row
            need_base = min((p.base_revision for p in pending), default=db_revision)
            state = _bring_state_up_to_date(state, document_id, db_revision, need_base)
            state.access_version = access_version
            start_revision = state.revision
            results, new_rows = _plan(state, document_id, pending, earlier, max_chars)
            rows += new_rows
            if state.revision // snapshot_every > start_revision // snapshot_every:
                snapshots.append(
                    Snapshot(
                        document_id=document_id, revision=state.revision, content=state.content
                    )
                )
            states.append(state)
            outcomes.append((results, state, caught_up))
        if rows:
            _write(cursor, rows, states, timezone.now())
        if snapshots:
            Snapshot.objects.bulk_create(snapshots)
    return outcomes


# --- One round trip (PostgreSQL) -------------------------------------------------------
#
# The locking path above holds the row lock across two round trips and the Python in
# between; on one busy document served by several processes every other writer waits
# that long. When the process already holds the document at its latest revision (the
# usual case: it committed the last change or heard of it on the bus), the commit is
# planned first and stored by one database function (migration 0007) in one statement:
# lock, check that the access versions the rights were decided on still hold, that the
# revision is still the planned base and that no op id was committed before, insert,
# update, snapshot. The lock then lives for a fraction of a
# millisecond inside the database. If another process committed meanwhile, the
# function answers with those revisions instead; the plan is redone on top of them and
# sent again. Anything unusual goes the locking way.

FAST_ATTEMPTS = 3
FAST_SQL = (
    "SELECT kind, revision, client_op_id, ops, user_id, access_version "
    "FROM collaboration_commit(%s, %s, %s::jsonb, %s::jsonb, %s, %s, %s::jsonb)"
)


@dataclass
class Unresolved:
    """The fast path could not decide: commit under the row lock.

    `caught_up` lists revisions committed elsewhere that were already applied to the
    state (broadcast frames); the caller delivers them with the locked commit's own.
    """

    caught_up: list[dict[str, Any]] = field(default_factory=list)


def _fast_eligible(pending: list[PendingOperation], state: DocumentState | None) -> bool:
    if state is None or not pending:
        return False
    for item in pending:
        if item.actor_id not in (None, item.user_id):
            return False  # the function records no separate actor
        if item.base_revision > state.revision:
            return False  # the database may already be there; only it can tell
        if item.base_revision < state.revision and state.ops_after(item.base_revision) is None:
            return False  # older history than held: the locked path reads it
    return True


def _access_param(pending: list[PendingOperation]) -> str | None:
    """The stamps to check, as the function takes them: {"d": [...], "u": [[id, v], ...]}."""
    stamped = [p for p in pending if p.access is not None]
    if not stamped:
        return None
    documents = sorted({p.access[0] for p in stamped})
    users = sorted({(_actor(p), p.access[1]) for p in stamped}, key=lambda pair: pair[0] or 0)
    return json.dumps({"d": documents, "u": [list(pair) for pair in users]})


def _fast_params(
    document_id: int,
    draft: _Draft,
    rows: list[tuple],
    check_ids: list[str],
    pending: list[PendingOperation],
):
    every = settings.SNAPSHOT_EVERY
    snapshot = draft.revision // every > draft.start // every
    # [revision, base, ops, client_op_id, user_id, source, inserted, deleted] per row
    payload = [row[1:9] for row in rows]
    return (
        document_id,
        draft.start,
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        json.dumps(check_ids, ensure_ascii=False),
        draft.content,
        snapshot,
        _access_param(pending),
    )


async def _call_all(connection, calls: list[tuple]) -> list[list[tuple]]:
    """Runs the commit function once per document, all in one round trip."""
    if len(calls) == 1:
        cursor = await connection.execute(FAST_SQL, calls[0])
        return [await cursor.fetchall()]
    cursors = []
    async with connection.pipeline():
        for params in calls:
            cursor = connection.cursor()
            await cursor.execute(FAST_SQL, params)
            cursors.append(cursor)
    return [await cursor.fetchall() for cursor in cursors]


async def commit_documents_fast(
    connection,
    batches: list[tuple[int, list[PendingOperation], DocumentState | None]],
):
    """`commit_documents` in one round trip per attempt, for documents held up to date.

    `connection` is an autocommit psycopg AsyncConnection. Yields (index, outcome) per
    batch as soon as it is known, so the documents stored by the first round trip are
    answered while those that found another process's revisions are planned and sent
    again. Same rules and outcomes as `commit_documents`, plus `Unresolved` for the
    documents that must go the locking way. States are only ever moved to committed
    revisions. A database error propagates.
    """
    max_chars = settings.MAX_DOCUMENT_CHARS
    unresolved = [Unresolved() for _ in batches]
    earlier: dict[int, dict[str, int]] = {i: {} for i in range(len(batches))}
    open_jobs = list(range(len(batches)))
    for _attempt in range(FAST_ATTEMPTS):
        planned = []
        for i in open_jobs:
            document_id, pending, state = batches[i]
            if not _fast_eligible(pending, state):
                yield i, unresolved[i]
                continue
            draft = _Draft(state)
            known = dict(earlier[i])
            results, rows = _plan(draft, document_id, pending, known, max_chars)
            if not rows:  # nothing to store (errors, duplicates): the locked path decides
                yield i, unresolved[i]
                continue
            check_ids = [p.client_op_id for p in pending if p.client_op_id not in earlier[i]]
            params = _fast_params(document_id, draft, rows, check_ids, pending)
            planned.append((i, draft, results, params))
        open_jobs = []
        if not planned:
            break
        replies = await _call_all(connection, [params for *_rest, params in planned])
        for (i, draft, results, _params), reply in zip(planned, replies, strict=True):
            document_id, _pending, state = batches[i]
            kinds = {row[0] for row in reply}
            metrics.commit_rounds.labels("fast" if "ok" in kinds else "moved").inc()
            if "ok" in kinds:
                state.adopt(draft)
                state.access_version = reply[0][5]
                yield i, (results, state, unresolved[i].caught_up)
            elif "missing" in kinds:
                yield i, Document.DoesNotExist(f"document {document_id} does not exist")
            elif "access" in kinds:
                users = {row[4]: row[1] for row in reply if row[0] == "user"}
                yield i, AccessStale(reply[0][5], users, unresolved[i].caught_up)
            elif _catch_up(state, reply, unresolved[i], earlier[i]):
                open_jobs.append(i)  # plan again on top of what was committed meanwhile
            else:
                yield i, unresolved[i]
    for i in open_jobs:  # still moving after every attempt
        yield i, unresolved[i]


def _catch_up(
    state: DocumentState, reply: list[tuple], unresolved: Unresolved, earlier: dict[str, int]
) -> bool:
    """Applies revisions another process committed; False if they do not line up."""
    current = next(row[1] for row in reply if row[0] == "moved")
    newer = [row for row in reply if row[0] == "op"]
    if len(newer) != current - state.revision or any(
        row[1] != state.revision + n for n, row in enumerate(newer, start=1)
    ):
        return False  # pruned or otherwise unexpected: the locked path reloads
    for _kind, revision, client_op_id, ops, user_id, _access in newer:
        ops = _json(ops)
        state.advance(revision, ops)
        unresolved.caught_up.append(
            {"revision": revision, "ops": ops, "user_id": user_id, "client_op_id": client_op_id}
        )
    earlier.update({row[2]: row[1] for row in reply if row[0] == "dup"})
    return True
