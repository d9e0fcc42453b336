"""Committing under the document's row lock, in one transaction (every database).

Used by every synchronous edit (`commit_operations`, through `services.edits`) and by the
socket committer when the one-round-trip route cannot decide (`commit_documents`). The
hot path is plain SQL and a fixed number of statements however many documents and
operations: it runs while the rows are locked.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User

from .. import checkpoints, ot
from ..models import Document, Operation, Snapshot
from ..selectors import document_text, operations_between
from .planning import plan
from .state import RECENT_OPS_KEPT, DocumentState
from .types import (
    AccessStale,
    CommitResult,
    PendingOperation,
    access_stale,
    actor_of,
    json_value,
)

if TYPE_CHECKING:
    from collections.abc import Iterable


def _load_ops(document_id: int, after: int, upto: int) -> list[tuple[int, list[ot.Op]]]:
    return list(
        operations_between(document_id=document_id, after=after, upto=upto).values_list(
            "revision", "ops"
        )
    )


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
        _revision, content = document_text(document_id=document_id)
        state = DocumentState(document_id=document_id, revision=db_revision, content=content)
    if need_base < state.revision and state.ops_after(need_base) is None:
        oldest_held = state.recent[0][0] - 1 if state.recent else state.revision
        older = _load_ops(document_id, need_base, oldest_held)
        merged = deque(older, maxlen=max(RECENT_OPS_KEPT, len(older) + len(state.recent)))
        merged.extend(state.recent)
        state.recent = merged
    return state


_OP_TABLE = Operation._meta.db_table
_DOC_TABLE = Document._meta.db_table
_USER_TABLE = User._meta.db_table


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
                {"revision": revision, "ops": json_value(ops), "user_id": user_id,
                 "client_op_id": client_op_id}
            )  # fmt: skip
    return result


def _for_update(cursor) -> str:
    return " FOR UPDATE" if cursor.db.features.has_select_for_update else ""


def _write(
    cursor, rows: list[tuple], states: list[DocumentState], texts_due: set[int], now
) -> None:
    """Stores every new operation in one statement and the new revisions in one more.

    The text itself is written only for the documents in `texts_due` (checkpoints.py).
    """
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
            _update_documents(raw, db, states, texts_due, last_editor, stamp)
        return
    cursor.execute(insert_sql, params)
    _update_documents(cursor, db, states, texts_due, last_editor, stamp)


def _update_documents(
    cursor, db, states, texts_due: set[int], last_editor: dict[int, int | None], stamp
) -> None:
    changed = [state for state in states if state.document_id in last_editor]
    with_text = [state for state in changed if state.document_id in texts_due]
    without_text = [state for state in changed if state.document_id not in texts_due]
    if db.vendor == "postgresql" and len(changed) > 1:
        if with_text:
            values = ", ".join(["(%s::bigint, %s::text, %s::integer, %s::bigint)"] * len(with_text))
            params = []
            for state in with_text:
                params += [state.document_id, state.content, state.revision,
                           last_editor[state.document_id]]  # fmt: skip
            cursor.execute(
                f"UPDATE {_DOC_TABLE} AS d SET content = v.content, "
                f"content_revision = v.revision, revision = v.revision, "
                f"updated_at = %s, last_edited_at = %s, last_edited_by_id = v.editor "
                f"FROM (VALUES {values}) AS v(id, content, revision, editor) WHERE d.id = v.id",
                [stamp, stamp, *params],
            )
        if without_text:
            values = ", ".join(["(%s::bigint, %s::integer, %s::bigint)"] * len(without_text))
            params = []
            for state in without_text:
                params += [state.document_id, state.revision, last_editor[state.document_id]]
            cursor.execute(
                f"UPDATE {_DOC_TABLE} AS d SET revision = v.revision, "
                f"updated_at = %s, last_edited_at = %s, last_edited_by_id = v.editor "
                f"FROM (VALUES {values}) AS v(id, revision, editor) WHERE d.id = v.id",
                [stamp, stamp, *params],
            )
        return
    for state in with_text:
        cursor.execute(
            f"UPDATE {_DOC_TABLE} SET content = %s, content_revision = %s, revision = %s, "
            f"updated_at = %s, last_edited_at = %s, last_edited_by_id = %s WHERE id = %s",
            [state.content, state.revision, state.revision, stamp, stamp,
             last_editor[state.document_id], state.document_id],
        )  # fmt: skip
    for state in without_text:
        cursor.execute(
            f"UPDATE {_DOC_TABLE} SET revision = %s, updated_at = %s, "
            f"last_edited_at = %s, last_edited_by_id = %s WHERE id = %s",
            [state.revision, stamp, stamp, last_editor[state.document_id], state.document_id],
        )


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
    outcomes: list[tuple[list[CommitResult], DocumentState, list[dict[str, Any]]] | Exception] = []
    with transaction.atomic(), connection.cursor() as cursor:
        wanted = {
            document_id: ([p.client_op_id for p in pending], st.revision if st else None)
            for document_id, pending, st in batches
        }
        actors = {actor_of(p) for _d, pending, _s in batches for p in pending} - {None}
        locked = _lock_and_read(cursor, wanted, actors)
        rows: list[tuple] = []
        states: list[DocumentState] = []
        snapshots: list[Snapshot] = []
        texts_due: set[int] = set()
        for document_id, pending, state in batches:
            if document_id not in locked.revisions:
                outcomes.append(Document.DoesNotExist(f"document {document_id} does not exist"))
                continue
            access_version = locked.access_versions[document_id]
            if access_stale(pending, access_version, locked.user_versions):
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
            results, new_rows = plan(state, document_id, pending, earlier, max_chars)
            rows += new_rows
            length = len(state.content)
            span = {"length": length, "start": start_revision, "revision": state.revision}
            if checkpoints.snapshot_due(**span):
                snapshots.append(
                    Snapshot(
                        document_id=document_id, revision=state.revision, content=state.content
                    )
                )
                texts_due.add(document_id)
            elif checkpoints.checkpoint_due(**span):
                texts_due.add(document_id)
            states.append(state)
            outcomes.append((results, state, caught_up))
        if rows:
            _write(cursor, rows, states, texts_due, timezone.now())
        if snapshots:
            Snapshot.objects.bulk_create(snapshots)
    return outcomes
