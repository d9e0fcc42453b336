"""Which committed revisions make one Git commit.

Live editing (socket, API, accepted suggestions) is grouped into periods of activity:
consecutive revisions until a pause of GIT_PERIOD_MINUTES. A revision of another kind (a
restore, a merge, the site's own) or one with a RevisionNote (a merged proposal, an
imported commit) is a commit by itself. The last period stays open (uncommitted) until
the pause has passed, unless the caller forces it (a clone, an export, a merge).
Pure: no database, so the rules are tested on plain rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

LIVE_SOURCES = frozenset({"socket", "api", "suggestion"})


@dataclass
class Period:
    rows: list[dict[str, Any]] = field(default_factory=list)
    alone: bool = False  # a revision that is a commit by itself

    @property
    def first(self) -> int:
        return self.rows[0]["revision"]

    @property
    def last(self) -> int:
        return self.rows[-1]["revision"]

    @property
    def started_at(self) -> datetime:
        return self.rows[0]["created_at"]

    @property
    def ended_at(self) -> datetime:
        return self.rows[-1]["created_at"]


def group(
    rows: list[dict[str, Any]],
    *,
    noted: set[int],
    pause: timedelta,
    now: datetime,
    force: bool,
) -> list[Period]:
    """The closed periods of `rows` (revision order), oldest first.

    Each row has revision, source and created_at; `noted` are the revisions with a note.
    """
    periods: list[Period] = []
    current: Period | None = None
    for row in rows:
        alone = row["source"] not in LIVE_SOURCES or row["revision"] in noted
        if alone:
            if current is not None:
                periods.append(current)
                current = None
            periods.append(Period(rows=[row], alone=True))
            continue
        if current is not None and row["created_at"] - current.ended_at > pause:
            periods.append(current)
            current = None
        if current is None:
            current = Period()
        current.rows.append(row)
    if current is not None and (force or now - current.ended_at >= pause):
        periods.append(current)
    return periods
