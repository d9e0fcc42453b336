"""The post-commit hook: every committed revision, from any source and any process, reaches
every registered receiver once, in revision order per document, after it committed.

Other apps register a receiver (anchored comments move with the text, search reindexes,
notifications fan out):

    from collaboration import revisions

    @revisions.receiver("comments.anchors")
    def move_anchors(event: revisions.RevisionEvent) -> None: ...

(in their AppConfig.ready(), or listed in the REVISION_RECEIVERS setting by dotted path).

How "once, in order" holds across processes and crashes: each receiver has a cursor per
document (`RevisionCursor`: the last revision it handled). Delivery locks the cursor row,
reads the revisions after it from the operation log (`selectors.operations_between`),
calls the receiver for each in order and moves the cursor, all in one transaction. Two
processes delivering the same document queue on the lock; a crash rolls the receiver's
writes back with the cursor, and the next delivery starts again from the log. Receivers
run inside that transaction: whatever they write commits with the cursor, exactly once
and in revision order. Side effects outside the database (a Celery task, a socket frame)
belong in `transaction.on_commit` so that they too happen only once the cursor moved;
those of deliveries made by different processes may land in either order, so anything
that must stay ordered is written to the database.

Deliveries start right after each commit (the socket committer asks its registry, the
sync paths deliver in the committing thread after the commit), and catch-up passes
(`deliver_pending`: the registries' watchdogs and a Celery beat task) pick up anything a
crash or an error left behind. A receiver that raises is retried by those passes; the
revisions after it wait for it, so order is never broken.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.module_loading import import_string

from . import ot
from .locking import take_sqlite_write_lock
from .models import Document, RevisionCursor
from .selectors import operations_between

logger = logging.getLogger(__name__)

DELIVERY_CHUNK = 500  # revisions handed to a receiver per transaction


@dataclass(frozen=True)
class RevisionEvent:
    """One committed revision, as receivers get it."""

    document_id: int
    revision: int
    ops: list[ot.Op]
    author_id: int | None  # who the revision credits
    actor_id: int | None  # who committed it (the author unless someone else merged it)
    source: str  # models.EditSource
    client_op_id: str
    created_at: datetime


@dataclass(frozen=True)
class Receiver:
    name: str
    handle: Callable[[Any], Any]
    start: Literal["now", "beginning"]
    # True: `handle` takes the list of events of one delivery (one document, in order)
    # instead of one event at a time, so a receiver that only schedules work or looks a
    # document up once pays once per delivery, not once per keystroke.
    batch: bool = False

    def handle_events(self, events: list[RevisionEvent]) -> None:
        if self.batch:
            self.handle(events)
        else:
            for event in events:
                self.handle(event)


_receivers: dict[str, Receiver] = {}
_settings_loaded = False


def receiver(name: str, *, start: Literal["now", "beginning"] = "now", batch: bool = False):
    """Registers a function to receive every committed revision.

    `start`: for documents the receiver has not seen yet, "now" begins with the revisions
    committed from then on, "beginning" replays the log from revision 1 (as far as the log
    still reaches). `batch`: the function takes a list of consecutive events of one
    document (never empty) instead of one event.
    """
    if start not in ("now", "beginning"):
        raise ValueError("start must be 'now' or 'beginning'")

    def register(func: Callable[[Any], Any]):
        _receivers[name] = Receiver(name, func, start, batch)
        return func

    return register


def unregister(name: str) -> None:
    _receivers.pop(name, None)


def receivers() -> list[Receiver]:
    """Every registered receiver, those named in settings.REVISION_RECEIVERS included."""
    global _settings_loaded
    if not _settings_loaded:
        _settings_loaded = True
        for path in settings.REVISION_RECEIVERS:
            func = import_string(path)
            _receivers.setdefault(path, Receiver(path, func, "now"))
    return list(_receivers.values())


def has_receivers() -> bool:
    return bool(receivers())


# --- delivery ------------------------------------------------------------------------------


def _start_after(receiver_: Receiver, document_id: int, hint: int | None) -> int:
    """Where a receiver that never saw this document begins on it."""
    if receiver_.start == "beginning":
        return 0
    if hint is not None:
        return max(hint - 1, 0)  # with the commit that brought it here
    current = Document.objects.filter(pk=document_id).values_list("revision", flat=True).first()
    return current or 0


def _lock_cursor(receiver_: Receiver, document_id: int, hint: int | None) -> RevisionCursor | None:
    """The receiver's cursor on the document, locked until the transaction ends (created
    when missing); None if the document is gone."""
    name = receiver_.name
    take_sqlite_write_lock(Document, document_id)  # serialises deliveries on SQLite too
    cursor = RevisionCursor.objects.select_for_update().filter(
        receiver=name, document_id=document_id
    )
    found = cursor.first()
    if found is not None:
        return found
    if not Document.objects.filter(pk=document_id).exists():
        return None
    try:
        with transaction.atomic():
            RevisionCursor.objects.create(
                receiver=name,
                document_id=document_id,
                revision=_start_after(receiver_, document_id, hint),
            )
    except IntegrityError:
        pass  # another process created it first; take theirs
    return cursor.first()


def _rows_after(document_id: int, after: int) -> list[dict[str, Any]]:
    return list(
        operations_between(document_id=document_id, after=after).values(
            "revision", "ops", "user_id", "actor_id", "source", "client_op_id", "created_at"
        )[:DELIVERY_CHUNK]
    )


def _event(document_id: int, row: dict[str, Any]) -> RevisionEvent:
    return RevisionEvent(
        document_id=document_id,
        revision=row["revision"],
        ops=row["ops"],
        author_id=row["user_id"],
        actor_id=row["actor_id"] or row["user_id"],
        source=row["source"],
        client_op_id=row["client_op_id"],
        created_at=row["created_at"],
    )


def _warn_if_pruned(receiver_: Receiver, document_id: int, seen: int, first: int) -> None:
    if first != seen + 1:
        # Pruned before this receiver saw it: it starts again where the log does.
        logger.warning(
            "revisions %s-%s of document %s were pruned before %s saw them",
            seen + 1, first - 1, document_id, receiver_.name,
        )  # fmt: skip


def _deliver_one(receiver_: Receiver, document_id: int, hint: int | None) -> int:
    """Delivers what the receiver has not seen on the document; how many revisions."""
    delivered = 0
    while True:
        with transaction.atomic():
            cursor = _lock_cursor(receiver_, document_id, hint)
            if cursor is None:
                return delivered
            rows = _rows_after(document_id, cursor.revision)
            if not rows:
                return delivered
            _warn_if_pruned(receiver_, document_id, cursor.revision, rows[0]["revision"])
            receiver_.handle_events([_event(document_id, row) for row in rows])
            cursor.revision = rows[-1]["revision"]
            cursor.save(update_fields=["revision", "updated_at"])
            delivered += len(rows)
        if len(rows) < DELIVERY_CHUNK:
            return delivered


class _Failed(Exception):
    """A receiver raised during a delivery to all receivers at once (nothing was kept)."""


def _deliver_together(receivers_: list[Receiver], document_id: int, hint: int | None) -> int:
    """Delivers to every receiver in ONE transaction: their cursors locked by one query,
    the log read once, the cursors moved by one more.

    The usual case after a commit (every receiver one batch behind) then costs a handful
    of statements instead of a transaction per receiver. If any receiver raises, the
    whole transaction is rolled back (_Failed) and the caller delivers receiver by
    receiver, so one broken receiver still holds back only itself.
    """
    names = [r.name for r in receivers_]
    delivered = 0
    while True:
        with transaction.atomic():
            take_sqlite_write_lock(Document, document_id)
            cursors = {
                c.receiver: c
                for c in RevisionCursor.objects.select_for_update()
                .filter(document_id=document_id, receiver__in=names)
                .order_by("receiver")
            }
            for receiver_ in receivers_:
                if receiver_.name not in cursors:
                    cursor = _lock_cursor(receiver_, document_id, hint)
                    if cursor is None:
                        return delivered  # the document is gone
                    cursors[receiver_.name] = cursor
            rows = _rows_after(document_id, min(c.revision for c in cursors.values()))
            if not rows:
                return delivered
            moved = []
            try:
                for receiver_ in receivers_:
                    cursor = cursors[receiver_.name]
                    mine = [row for row in rows if row["revision"] > cursor.revision]
                    if not mine:
                        continue
                    _warn_if_pruned(receiver_, document_id, cursor.revision, mine[0]["revision"])
                    receiver_.handle_events([_event(document_id, row) for row in mine])
                    cursor.revision = mine[-1]["revision"]
                    moved.append(cursor)
                    delivered += len(mine)
            except Exception as exc:
                raise _Failed(receiver_.name) from exc
            now = timezone.now()
            for cursor in moved:
                cursor.updated_at = now
            RevisionCursor.objects.bulk_update(moved, ["revision", "updated_at"])
        if len(rows) < DELIVERY_CHUNK:
            return delivered


def deliver(*, document_id: int, first_revision: int | None = None) -> int:
    """Hands every receiver the document's revisions it has not seen yet.

    `first_revision` is the first revision of the commit that triggered this, so a
    receiver meeting the document for the first time starts there. Safe to call from any
    process at any time: deliveries of one document queue on the cursor's row lock.
    A receiver that raises is logged and retried later; the others still get theirs.
    """
    every = receivers()
    try:
        return _deliver_together(every, document_id, first_revision)
    except _Failed as exc:
        logger.warning(
            "revision receiver %s failed on document %s; delivering one receiver at a time",
            exc, document_id, exc_info=exc.__cause__,
        )  # fmt: skip
    total = 0
    for receiver_ in every:
        try:
            total += _deliver_one(receiver_, document_id, first_revision)
        except Exception:  # a receiver's bug: retried by the next pass, the others go on
            logger.exception(
                "revision receiver %s failed on document %s", receiver_.name, document_id
            )
    return total


def deliver_pending(*, document_ids: list[int] | None = None, limit: int = 1000) -> int:
    """Catch-up pass: delivers wherever a receiver's cursor is behind its document.

    Documents a receiver has no cursor on yet get one (at the current revision for
    "now" receivers), so later revisions are never missed. Each lagging document gets one
    delivery to all its receivers (`deliver`), not one per receiver.
    """
    lagging_ids: set[int] = set()
    for receiver_ in receivers():
        lagging = Document.objects.annotate(
            seen=Subquery(
                RevisionCursor.objects.filter(
                    receiver=receiver_.name, document=OuterRef("pk")
                ).values("revision")[:1]
            )
        ).filter(Q(seen__isnull=True) | Q(seen__lt=F("revision")))
        if document_ids is not None:
            lagging = lagging.filter(pk__in=document_ids)
        lagging_ids.update(lagging.values_list("pk", flat=True)[:limit])
    total = 0
    for document_id in sorted(lagging_ids)[:limit]:
        try:
            total += deliver(document_id=document_id)
        except Exception:  # retried by the next pass
            logger.exception("revision hook catch-up failed on document %s", document_id)
    return total


def document_created(document_id: int) -> None:
    """Every receiver starts a new document at revision 0 (call in its transaction)."""
    names = [r.name for r in receivers()]
    if names:
        RevisionCursor.objects.bulk_create(
            [RevisionCursor(receiver=n, document_id=document_id, revision=0) for n in names],
            ignore_conflicts=True,
        )


def deliver_after_commit(document_id: int, first_revision: int) -> None:
    """For synchronous commit paths: delivers once the current transaction commits."""
    if has_receivers():
        transaction.on_commit(
            lambda: deliver(document_id=document_id, first_revision=first_revision)
        )
