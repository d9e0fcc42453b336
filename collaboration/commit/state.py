"""What a process holds of a document, so a commit need not read it back.

`DocumentState` is the text and revision a process last knew committed, with the recent
operations to transform against; `Draft` is a continuation of it planned by the
one-round-trip commit, adopted only once the database agrees.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field

from .. import ot

# How many recent operations a DocumentState keeps in memory, so that a commit
# transforms against them without reading the log back from the database.
RECENT_OPS_KEPT = 2000


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

    def adopt(self, draft: Draft) -> None:
        """Takes on what a draft planned, once the database has committed it."""
        if draft.start != self.revision:
            raise ValueError(f"draft from {draft.start} cannot apply to state at {self.revision}")
        self.recent.extend(draft.new)
        self.content = draft.content
        self.revision = draft.revision


class Draft:
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
