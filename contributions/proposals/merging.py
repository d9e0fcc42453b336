"""Three-way merge of a proposal: pure functions, no database.

A proposal's branch changed the text it was made from (the base) one way, the live
document changed it another. Both sides are turned into lists of `Change`s on the base
text (`changes_of`), and `three_way` applies them together when they touch different
text. Two changes conflict when their ranges overlap, or when both put text at the same
place (which one goes first is a question for a person, not for a tie-break). The
non-conflicting result is exactly what the OT core gives for the same two operations
(`ot.transform`): the property tests hold `three_way` to that.

Conflicts are widened to whole lines of the base and reported with both sides' text;
`ThreeWay.marked` is the merged text with Git-style conflict markers around each, which
a rebase writes onto the branch for its author to resolve.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from collaboration import history, ot

MARK_OURS = "<<<<<<<"
MARK_SPLIT = "======="
MARK_THEIRS = ">>>>>>>"


@dataclass(frozen=True, order=True)
class Change:
    """Replace base[start:end] with `text` (an insert when start == end)."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Conflict:
    start: int  # in the base text, whole lines
    end: int
    base: str
    ours: str  # the branch's version of those lines
    theirs: str  # the live document's version


@dataclass
class ThreeWay:
    text: str | None  # the merged text, None when there are conflicts
    marked: str  # the merged text with conflict markers (== text when clean)
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.conflicts


def changes_of(ops: Sequence[ot.Op]) -> list[Change]:
    """The changes an operation makes to the text it applies to, in order, each one
    contiguous (an insert next to a delete is one replacement)."""
    changes: list[Change] = []
    position = 0
    start: int | None = None
    inserted: list[str] = []
    deleted = 0

    def flush() -> None:
        nonlocal start, inserted, deleted
        if start is not None:
            changes.append(Change(start, start + deleted, "".join(inserted)))
        start, inserted, deleted = None, [], 0

    for component in ot.normalize(ops):
        if isinstance(component, str):
            if start is None:
                start = position
            inserted.append(component)
        elif component < 0:
            if start is None:
                start = position
            deleted -= component
            position -= component
        else:
            flush()
            position += component
    flush()
    return changes


def conflicting(a: Change, b: Change) -> bool:
    """Whether two changes, one from each side, touch the same text."""
    if a.start < b.end and b.start < a.end:
        return True
    return a.start == b.start and bool(a.text) and bool(b.text)


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int, start: int) -> int:
    """The end of the line holding index-1 (just past its newline), at least `start`."""
    if index > start and text[index - 1] == "\n":
        return index
    newline = text.find("\n", index)
    return len(text) if newline == -1 else newline + 1


def _apply_changes(base: str, start: int, end: int, changes: list[Change]) -> str:
    """base[start:end] with the changes (all inside it, sorted) applied."""
    out: list[str] = []
    at = start
    for change in changes:
        out.append(base[at : change.start])
        out.append(change.text)
        at = change.end
    out.append(base[at:end])
    return "".join(out)


def _clusters(base: str, ours: list[Change], theirs: list[Change]) -> list[tuple[int, int]]:
    """The base ranges (whole lines) that hold conflicting changes, merged and sorted."""
    spans: list[tuple[int, int]] = []
    low = 0
    for a in ours:
        while low < len(theirs) and theirs[low].end < a.start:
            low += 1
        j = low
        while j < len(theirs) and theirs[j].start <= a.end:
            b = theirs[j]
            if conflicting(a, b):
                spans.append((min(a.start, b.start), max(a.end, b.end)))
            j += 1
    if not spans:
        return []
    every = sorted(ours + theirs)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        start = _line_start(base, start)
        end = _line_end(base, end, start)
        # Any change reaching into the widened range belongs to the conflict: widen again.
        grown = True
        while grown:
            grown = False
            for change in every:
                touches = change.start < end and start < change.end
                inside = start <= change.start <= end and (
                    change.start == change.end or change.start < end
                )
                if (touches or inside) and (change.start < start or change.end > end):
                    start = min(start, _line_start(base, change.start))
                    end = max(end, _line_end(base, change.end, start))
                    grown = True
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _inside(change: Change, start: int, end: int) -> bool:
    return start <= change.start and change.end <= end and (change.start < end or start == end)


def _ends_with_newline(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def three_way(
    base: str,
    ours_ops: Sequence[ot.Op],
    theirs_ops: Sequence[ot.Op],
    *,
    ours_label: str = "proposal",
    theirs_label: str = "document",
) -> ThreeWay:
    """Merges two operations made on `base` (see the module docstring)."""
    ours = changes_of(ours_ops)
    theirs = changes_of(theirs_ops)
    regions = _clusters(base, ours, theirs)
    # (start, end, change or None for a conflict region): clean changes outside every
    # region, and the regions; none of them overlap, so base order is output order.
    items: list[tuple[int, int, Change | None]] = [(start, end, None) for start, end in regions]
    for change in ours + theirs:
        if not any(_inside(change, start, end) for start, end in regions):
            items.append((change.start, change.end, change))
    items.sort(key=lambda item: (item[0], item[1]))
    out: list[str] = []
    marked: list[str] = []
    conflicts: list[Conflict] = []
    at = 0
    for start, end, change in items:
        gap = base[at:start]
        out.append(gap)
        marked.append(gap)
        at = end
        if change is not None:
            out.append(change.text)
            marked.append(change.text)
            continue
        ours_text = _apply_changes(base, start, end, [c for c in ours if _inside(c, start, end)])
        theirs_text = _apply_changes(
            base, start, end, [c for c in theirs if _inside(c, start, end)]
        )
        conflicts.append(Conflict(start, end, base[start:end], ours_text, theirs_text))
        if start and base[start - 1] != "\n":
            marked.append("\n")
        marked.append(
            f"{MARK_OURS} {ours_label}\n{_ends_with_newline(ours_text)}{MARK_SPLIT}\n"
            f"{_ends_with_newline(theirs_text)}{MARK_THEIRS} {theirs_label}\n"
        )
    out.append(base[at:])
    marked.append(base[at:])
    marked_text = "".join(marked)
    if conflicts:
        return ThreeWay(text=None, marked=marked_text, conflicts=conflicts)
    text = "".join(out)
    return ThreeWay(text=text, marked=text)


def three_way_texts(
    base: str,
    ours: str,
    theirs: str,
    *,
    ours_label: str = "proposal",
    theirs_label: str = "document",
) -> ThreeWay:
    """`three_way` of two texts made from `base`, each compared with it line by line."""
    return three_way(
        base,
        history.minimal_operation(base, ours),
        history.minimal_operation(base, theirs),
        ours_label=ours_label,
        theirs_label=theirs_label,
    )


def has_conflict_markers(text: str) -> bool:
    """Whether a rebase's conflict markers are still in the text (a merge waits for them)."""
    lines = text.splitlines()
    return any(line.startswith(f"{MARK_OURS} ") for line in lines) and any(
        line == MARK_SPLIT for line in lines
    )
