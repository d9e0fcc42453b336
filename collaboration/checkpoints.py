"""When the commit path writes a document's whole text, and how the latest text is rebuilt.

A commit used to rewrite the document row's whole text; PostgreSQL stores a large text
out of line (TOAST) and rewrites all of it on every update, so a 900,000-character document
wrote megabytes of WAL per keystroke and kept a core busy. Now the row's `content` column
is a *checkpoint*: the text at `content_revision`, which may be a few revisions behind
`revision`. The latest committed text is the checkpoint with the operations after it
applied (`rebuild`).

How far behind a checkpoint may fall grows with the text's length (`checkpoint_interval`),
so the text written per commit stays about `CONTENT_CHECKPOINT_CHARS` on average whatever
the document's size, and a reader applies at most length / CONTENT_CHECKPOINT_CHARS
operations. Texts shorter than twice that are written on every commit, as before: their
readers never rebuild. Snapshots (history's restart points) follow the same idea with a
longer interval. Pure functions: no database here.
"""

from __future__ import annotations

from functools import reduce
from typing import TYPE_CHECKING

from django.conf import settings

from . import ot

if TYPE_CHECKING:
    from collections.abc import Sequence


class CheckpointGap(Exception):
    """Operations between the checkpoint and the revision asked for are missing."""


def checkpoint_interval(length: int) -> int:
    """Revisions a checkpoint of a text of `length` code points may lag behind (>= 1)."""
    return max(1, length // settings.CONTENT_CHECKPOINT_CHARS)


def snapshot_interval(length: int) -> int:
    """Revisions between history snapshots of a text of `length` code points.

    SNAPSHOT_EVERY for usual texts; for large ones the interval grows so that a snapshot
    costs about SNAPSHOT_CHARS per revision on average.
    """
    return max(settings.SNAPSHOT_EVERY, length // settings.SNAPSHOT_CHARS)


def _crosses(start: int, end: int, interval: int) -> bool:
    return end // interval > start // interval


def checkpoint_due(*, length: int, start: int, revision: int) -> bool:
    """Whether a commit taking a document from `start` to `revision` writes its text.

    `length` is the text's length after the commit. The text is written when the commit's
    revisions cross a multiple of the interval: every process computes the same, so two
    processes committing to one document neither both write nor both skip, and the
    checkpoint never lags by more than about one interval (two if the text just grew).
    """
    return _crosses(start, revision, checkpoint_interval(length))


def snapshot_due(*, length: int, start: int, revision: int) -> bool:
    """Whether a commit taking a document from `start` to `revision` stores a snapshot."""
    return _crosses(start, revision, snapshot_interval(length))


def rebuild(
    checkpoint: str,
    checkpoint_revision: int,
    revision: int,
    rows: Sequence[tuple[int, list[ot.Op]]],
) -> str:
    """The text at `revision` from the checkpoint and the (revision, ops) rows after it.

    The operations are composed into one first and applied once: applying each to a large
    text would copy the whole text per operation. Raises CheckpointGap if the rows do not
    run exactly from checkpoint_revision + 1 to `revision`.
    """
    if revision == checkpoint_revision:
        return checkpoint
    expected = range(checkpoint_revision + 1, revision + 1)
    if len(rows) != len(expected) or any(
        row[0] != want for row, want in zip(rows, expected, strict=False)
    ):
        raise CheckpointGap(
            f"operations {checkpoint_revision + 1}-{revision} are not all in the log"
        )
    try:
        return ot.apply(checkpoint, reduce(ot.compose, (ops for _rev, ops in rows), []))
    except ot.InvalidOperation as exc:  # a damaged log; should never happen
        raise CheckpointGap(f"the log does not apply to the checkpoint: {exc}") from exc
