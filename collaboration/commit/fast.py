"""Committing in one round trip (PostgreSQL), planned on what the process already holds.

The locked route (`commit.locked`) holds the row lock across two round trips and the
Python in between; on one busy document served by several processes every other writer
waits that long. When the process already holds the document at its latest revision
(the usual case: it committed the last change or heard of it on the bus), the commit is
planned first and stored by one database function (migration 0007) in one statement:
lock, check that the access versions the rights were decided on still hold, that the
revision is still the planned base and that no op id was committed before, insert,
update (the text only when a checkpoint is due, collaboration/checkpoints.py),
snapshot. The lock then lives for a fraction of a millisecond inside the database. If
another process committed meanwhile, the function answers with those revisions instead;
the plan is redone on top of them and sent again. Anything unusual goes the locking way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from config import metrics

from .. import checkpoints
from ..models import Document
from .planning import plan
from .state import DocumentState, Draft
from .types import AccessStale, PendingOperation, actor_of, json_value

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
    users = sorted({(actor_of(p), p.access[1]) for p in stamped}, key=lambda pair: pair[0] or 0)
    return json.dumps({"d": documents, "u": [list(pair) for pair in users]})


def _fast_params(
    document_id: int,
    draft: Draft,
    rows: list[tuple],
    check_ids: list[str],
    pending: list[PendingOperation],
):
    span = {"length": len(draft.content), "start": draft.start, "revision": draft.revision}
    snapshot = checkpoints.snapshot_due(**span)
    # The text goes with a snapshot, and otherwise only when a checkpoint is due: NULL
    # leaves the stored text untouched (migration 0014).
    text = draft.content if snapshot or checkpoints.checkpoint_due(**span) else None
    # [revision, base, ops, client_op_id, user_id, source, inserted, deleted] per row
    payload = [row[1:9] for row in rows]
    return (
        document_id,
        draft.start,
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        json.dumps(check_ids, ensure_ascii=False),
        text,
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
            draft = Draft(state)
            known = dict(earlier[i])
            results, rows = plan(draft, document_id, pending, known, max_chars)
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
        ops = json_value(ops)
        state.advance(revision, ops)
        unresolved.caught_up.append(
            {"revision": revision, "ops": ops, "user_id": user_id, "client_op_id": client_op_id}
        )
    earlier.update({row[2]: row[1] for row in reply if row[0] == "dup"})
    return True
