"""A document's past, rebuilt from snapshots and the operation log.

Revision N is the text after operation N; revision 0 is the text the document was
created with. A Snapshot stores the full text at some revision (the commit path writes
one every SNAPSHOT_EVERY revisions, document_create one at revision 0), so the text at
any revision is the nearest snapshot at or below it plus the operations after it. The
retention job (services.operations_prune) never deletes an operation that the newest
snapshot below it still needs, so every revision from the oldest kept snapshot on can
be rebuilt.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from . import checkpoints, ot
from .models import Document, Operation, Snapshot
from .selectors import document_text

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "AuthorshipSpan",
    "DiffLine",
    "HistoryError",
    "HistoryUnavailable",
    "RevisionOutOfRange",
    "authorship",
    "content_at",
    "diff",
    "minimal_operation",
    "operation_between_pieces",
    "revision_list",
]

# Above this many lines on either side, diffs and restores compare by common prefix and
# suffix only: difflib's matcher is quadratic in the worst case.
MAX_DIFF_LINES = 20_000


class HistoryError(Exception):
    """The history cannot answer; the message says why."""


class RevisionOutOfRange(HistoryError):
    """The revision is negative or newer than the document."""


class HistoryUnavailable(HistoryError):
    """The revision exists but neither a snapshot nor the kept operations cover it."""


# --- text at a revision ----------------------------------------------------------------------


def _document_head(document_id: int) -> tuple[int, str]:
    """(revision, content) of the document; Document.DoesNotExist if it is gone."""
    return document_text(document_id=document_id)


def _check_range(revision: int, current: int) -> None:
    if revision < 0:
        raise RevisionOutOfRange(f"revision {revision} does not exist: revisions start at 0")
    if revision > current:
        raise RevisionOutOfRange(
            f"revision {revision} does not exist: the document is at revision {current}"
        )


def _ops_between(document_id: int, after: int, upto: int) -> list[tuple[int, list[ot.Op]]]:
    return list(
        Operation.objects.filter(document_id=document_id, revision__gt=after, revision__lte=upto)
        .order_by("revision")
        .values_list("revision", "ops")
    )


def _replay(document_id: int, start_revision: int, start_text: str, revision: int) -> str:
    rows = _ops_between(document_id, start_revision, revision)
    if len(rows) != revision - start_revision:
        raise HistoryUnavailable(
            f"revision {revision} can no longer be rebuilt: operations after revision"
            f" {start_revision} are missing from the log"
        )
    try:
        return checkpoints.rebuild(start_text, start_revision, revision, rows)
    except checkpoints.CheckpointGap as exc:  # a damaged log; should never happen
        raise HistoryUnavailable(f"revision {revision} cannot be rebuilt: {exc}") from exc


def content_at(*, document_id: int, revision: int) -> str:
    """The document's text at `revision`.

    Raises RevisionOutOfRange for a revision below 0 or above the current one,
    HistoryUnavailable when the kept snapshots and operations do not reach it, and
    Document.DoesNotExist when there is no such document.
    """
    current, content = _document_head(document_id)
    _check_range(revision, current)
    if revision == current:
        return content
    snapshot = (
        Snapshot.objects.filter(document_id=document_id, revision__lte=revision)
        .order_by("-revision")
        .values_list("revision", "content")
        .first()
    )
    if snapshot is not None:
        return _replay(document_id, snapshot[0], snapshot[1], revision)
    # No snapshot at all below: only a document created empty can be rebuilt from scratch.
    first = (
        Operation.objects.filter(document_id=document_id, revision=1)
        .values_list("ops", flat=True)
        .first()
    )
    if first is not None and ot.base_length(first) == 0:
        return _replay(document_id, 0, "", revision)
    raise HistoryUnavailable(
        f"revision {revision} can no longer be rebuilt: no snapshot at or below it"
    )


# --- the list of revisions -------------------------------------------------------------------


def revision_list(*, document_id: int) -> QuerySet[Operation]:
    """Committed revisions of the document, newest first, with their authors.

    The ops themselves are deferred: a list shows who changed how much, and the ops of a
    busy document can be large.
    """
    return (
        Operation.objects.filter(document_id=document_id)
        .select_related("user")
        .defer("ops")
        .order_by("-revision")
    )


# --- diffs -----------------------------------------------------------------------------------


class DiffLine(TypedDict):
    op: str  # "equal", "insert" or "delete"
    text: str


def _common_affixes(a: str, b: str) -> tuple[int, int]:
    """Lengths of the common prefix and (non-overlapping) common suffix of a and b."""
    limit = min(len(a), len(b))
    prefix = 0
    # Compare in growing chunks: str slicing and == run in C, a per-character loop in
    # Python would be far slower on large documents.
    step = 1024
    while prefix < limit:
        end = min(prefix + step, limit)
        if a[prefix:end] == b[prefix:end]:
            prefix = end
            continue
        while a[prefix] == b[prefix]:
            prefix += 1
        break
    suffix = 0
    limit -= prefix
    while suffix < limit:
        end = min(suffix + step, limit)
        if a[len(a) - end : len(a) - suffix] == b[len(b) - end : len(b) - suffix]:
            suffix = end
            continue
        while a[len(a) - suffix - 1] == b[len(b) - suffix - 1]:
            suffix += 1
        break
    return prefix, suffix


def minimal_operation(old: str, new: str) -> list[ot.Op]:
    """An operation turning `old` into `new` that keeps unchanged text as retains.

    The common prefix and suffix are retained; the middle is compared line by line (so a
    restore keeps the authorship of untouched lines), or replaced whole when very large.
    ``apply(old, minimal_operation(old, new)) == new``.
    """
    if old == new:
        return []
    prefix, suffix = _common_affixes(old, new)
    # Snap both to line boundaries, so the middle is whole lines on both sides and the
    # line matcher below sees "three\n" as the same line in both texts.
    prefix = old.rfind("\n", 0, prefix) + 1
    if suffix:
        newline = old.find("\n", len(old) - suffix)
        suffix = len(old) - newline - 1 if newline != -1 else 0
    old_mid = old[prefix : len(old) - suffix]
    new_mid = new[prefix : len(new) - suffix]
    ops: list[ot.Op] = [prefix]
    old_lines = old_mid.splitlines(keepends=True)
    new_lines = new_mid.splitlines(keepends=True)
    if old_lines and new_lines and max(len(old_lines), len(new_lines)) <= MAX_DIFF_LINES:
        ops.extend(operation_between_pieces(old_lines, new_lines))
    else:
        ops.extend([new_mid, -len(old_mid)])
    ops.append(suffix)
    return ot.normalize(ops)


def operation_between_pieces(old: list[str], new: list[str]) -> list[ot.Op]:
    """An operation turning "".join(old) into "".join(new), keeping the pieces they share
    (lines for a restore, words for finer edits) as retains. Not normalised."""
    ops: list[ot.Op] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old_length = sum(len(piece) for piece in old[i1:i2])
        if tag == "equal":
            ops.append(old_length)
            continue
        if j2 > j1:
            ops.append("".join(new[j1:j2]))
        if old_length:
            ops.append(-old_length)
    return ops


def diff_lines(old: str, new: str) -> list[DiffLine]:
    """Every line of both texts, each equal, deleted or inserted (the line diff the
    history pages and proposal pages show)."""
    old_lines = old.splitlines()
    new_lines = new.splitlines()
    lines: list[DiffLine] = []
    if max(len(old_lines), len(new_lines)) > MAX_DIFF_LINES:
        # Too large to match line by line: equal head and tail, the middle replaced.
        head = 0
        while head < min(len(old_lines), len(new_lines)) and old_lines[head] == new_lines[head]:
            head += 1
        tail = 0
        while (
            tail < min(len(old_lines), len(new_lines)) - head
            and old_lines[-1 - tail] == new_lines[-1 - tail]
        ):
            tail += 1
        lines.extend({"op": "equal", "text": t} for t in old_lines[:head])
        lines.extend({"op": "delete", "text": t} for t in old_lines[head : len(old_lines) - tail])
        lines.extend({"op": "insert", "text": t} for t in new_lines[head : len(new_lines) - tail])
        lines.extend({"op": "equal", "text": t} for t in old_lines[len(old_lines) - tail :])
        return lines
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines.extend({"op": "equal", "text": t} for t in old_lines[i1:i2])
            continue
        lines.extend({"op": "delete", "text": t} for t in old_lines[i1:i2])
        lines.extend({"op": "insert", "text": t} for t in new_lines[j1:j2])
    return lines


def _unified(lines: Iterable[DiffLine], from_revision: int, to_revision: int) -> str:
    """A unified diff (3 lines of context) built from the structured lines."""
    old: list[str] = []
    new: list[str] = []
    for line in lines:
        if line["op"] != "insert":
            old.append(line["text"] + "\n")
        if line["op"] != "delete":
            new.append(line["text"] + "\n")
    return "".join(
        difflib.unified_diff(
            old, new, fromfile=f"revision {from_revision}", tofile=f"revision {to_revision}"
        )
    )


@dataclass(frozen=True)
class Diff:
    from_revision: int
    to_revision: int
    unified: str
    lines: list[DiffLine]
    lines_inserted: int
    lines_deleted: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "from_revision": self.from_revision,
            "to_revision": self.to_revision,
            "unified": self.unified,
            "lines": self.lines,
            "lines_inserted": self.lines_inserted,
            "lines_deleted": self.lines_deleted,
        }


def diff(*, document_id: int, from_revision: int, to_revision: int) -> Diff:
    """The line diff between two revisions (either order), unified and structured.

    `lines` walks the whole of both texts: every line of `to` appears once as equal or
    insert, every line of `from` once as equal or delete. Raises like content_at.
    """
    old = content_at(document_id=document_id, revision=from_revision)
    new = content_at(document_id=document_id, revision=to_revision)
    lines = diff_lines(old, new)
    inserted = sum(1 for line in lines if line["op"] == "insert")
    deleted = sum(1 for line in lines if line["op"] == "delete")
    return Diff(
        from_revision=from_revision,
        to_revision=to_revision,
        unified=_unified(lines, from_revision, to_revision) if inserted or deleted else "",
        lines=lines,
        lines_inserted=inserted,
        lines_deleted=deleted,
    )


# --- authorship ------------------------------------------------------------------------------


class AuthorshipSpan(TypedDict):
    start: int
    end: int
    user_id: int | None
    username: str | None


class _Runs:
    """Run-length author attribution being built: [[length, user_id], ...], merged."""

    __slots__ = ("runs",)

    def __init__(self) -> None:
        self.runs: list[list[Any]] = []

    def add(self, length: int, user_id: int | None) -> None:
        if length <= 0:
            return
        if self.runs and self.runs[-1][1] == user_id:
            self.runs[-1][0] += length
        else:
            self.runs.append([length, user_id])


def _attribute(runs: list[list[Any]], ops: list[ot.Op], user_id: int | None) -> list[list[Any]]:
    """The attribution after `ops`: inserted text is `user_id`'s, retained text keeps its
    author, deleted text goes. O(len(runs) + len(ops))."""
    out = _Runs()
    index = 0  # current run
    used = 0  # how much of the current run is consumed
    for component in ops:
        if isinstance(component, str):
            out.add(len(component), user_id)
            continue
        remaining = abs(component)
        while remaining:
            if index >= len(runs):
                raise ot.InvalidOperation("operation is longer than the attributed text")
            length, author = runs[index]
            step = min(length - used, remaining)
            if component > 0:
                out.add(step, author)
            used += step
            remaining -= step
            if used == length:
                index += 1
                used = 0
    if index < len(runs) and ops:
        raise ot.InvalidOperation("operation is shorter than the attributed text")
    if not ops:  # the no-op keeps everything
        return runs
    return out.runs


def _authorship_start(document_id: int, owner_id: int, upto: int) -> tuple[int, int, Any] | None:
    """(revision, text length, author) to start walking from, or None."""
    first_op = (
        Operation.objects.filter(document_id=document_id, revision__lte=upto)
        .order_by("revision")
        .values_list("revision", "ops")
        .first()
    )
    # The earliest snapshot from which every later operation is still in the log.
    floor = upto if first_op is None else first_op[0] - 1
    snapshot = (
        Snapshot.objects.filter(document_id=document_id, revision__gte=floor, revision__lte=upto)
        .order_by("revision")
        .values_list("revision", "content")
        .first()
    )
    if snapshot is not None:
        revision, content = snapshot
        # Text of the creation snapshot was written by the owner; text of a later
        # snapshot whose earlier operations were pruned has no known author.
        return revision, len(content), owner_id if revision == 0 else None
    if first_op is not None and first_op[0] == 1 and ot.base_length(first_op[1]) == 0:
        return 0, 0, None
    return None


def authorship(*, document_id: int) -> dict[str, Any]:
    """Who wrote each part of the current text, as merged spans over code points.

    Walks the operations forward from the earliest snapshot the log still reaches, keeping
    a run-length list of authors: O(operations x runs), never per character. Returns
    {"revision": n, "spans": [{"start", "end", "user_id", "username"}, ...]}; spans cover
    the whole text in order. When the history cannot be walked, the whole text is one
    span with no author.
    """
    owner_id = Document.objects.filter(pk=document_id).values_list("owner_id", flat=True).get()
    revision, text = document_text(document_id=document_id)
    length = len(text)
    runs: list[list[Any]] | None = None
    start = _authorship_start(document_id, owner_id, revision)
    if start is not None:
        start_revision, start_length, author = start
        runs = [[start_length, author]] if start_length else []
        rows = (
            Operation.objects.filter(
                document_id=document_id, revision__gt=start_revision, revision__lte=revision
            )
            .order_by("revision")
            .values_list("revision", "ops", "user_id")
        )
        expected = start_revision
        try:
            for op_revision, ops, user_id in rows.iterator(chunk_size=500):
                expected += 1
                if op_revision != expected:
                    raise ot.InvalidOperation(f"revision {expected} is missing from the log")
                runs = _attribute(runs, ops, user_id)
        except ot.InvalidOperation:
            runs = None
        if runs is not None and (expected != revision or sum(r[0] for r in runs) != length):
            runs = None
    if runs is None:
        runs = [[length, None]] if length else []

    user_ids = {author for _length, author in runs if author is not None}
    names = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username"))
    spans: list[AuthorshipSpan] = []
    position = 0
    for run_length, author in runs:
        spans.append(
            {
                "start": position,
                "end": position + run_length,
                "user_id": author,
                "username": names.get(author),
            }
        )
        position += run_length
    return {"revision": revision, "spans": spans}
