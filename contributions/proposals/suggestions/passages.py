"""Passages through operations (pure): where a suggestion's passage goes when the text
changes, whether an edit falls inside it, and how typing at its edge extends it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from collaboration import ot

# --- passages through operations (pure) --------------------------------------------------


def edits_inside(start: int, end: int, ops: Sequence[ot.Op]) -> bool:
    """Whether `ops` delete any of [start, end) or insert strictly inside it."""
    position = 0
    for component in ot.normalize(list(ops)):
        if isinstance(component, str):
            if start < position < end:
                return True
        elif component < 0:
            if position < end and position - component > start:
                return True
            position -= component
        else:
            position += component
        if position > end:
            return False
    return False


def passage_after(start: int, end: int, ops: Sequence[ot.Op]) -> tuple[int, int] | None:
    """The passage [start, end) in the text after `ops`, or None when `ops` changed it.

    Text inserted at its edges stays outside (ot.transform_range), so typing right before
    or after a suggestion leaves it valid. An empty passage (a suggested insertion) is
    never changed: it moves like another person's cursor.
    """
    if start < end and edits_inside(start, end, ops):
        return None
    return ot.transform_range(start, end, ops)


def passage_through(
    start: int, end: int, steps: Iterable[Sequence[ot.Op]]
) -> tuple[int, int] | None:
    """`passage_after` through several operations in turn."""
    for ops in steps:
        moved = passage_after(start, end, ops)
        if moved is None:
            return None
        start, end = moved
    return start, end


def replacement_ops(length: int, start: int, end: int, text: str) -> list[ot.Op]:
    """The operation replacing [start, end) of a text of `length` code points by `text`."""
    return ot.normalize([start, text, -(end - start), length - end])


@dataclass(frozen=True)
class Extension:
    """A pending suggestion and a new edit at its edge, as one replacement."""

    start: int
    end: int
    text: str


def extend(existing: tuple[int, int, str], new: tuple[int, int, str]) -> Extension | None:
    """The pending suggestion `existing` (start, end, text) grown by `new`, an edit of the
    same person on the same text, or None when `new` is elsewhere.

    Typing on right after it (or deleting forward from there) appends; deleting or typing
    right before it prepends; an edit overlapping its passage joins it. Positions are in
    the shared text, where the suggested text is not."""
    start, end, text = existing
    new_start, new_end, new_text = new
    if new_start == end:
        return Extension(start, max(end, new_end), text + new_text)
    if new_end == start:
        return Extension(new_start, end, new_text + text)
    if new_start < end and new_end > start:
        joined = new_text + text if new_start <= start else text + new_text
        return Extension(min(start, new_start), max(end, new_end), joined)
    return None
