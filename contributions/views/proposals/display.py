"""What the proposal page shows, worked out from the models and services: the diff as
numbered rows (inline and side by side, long unchanged runs folded), the timeline of
events and reviews, where inline comments sit in the branch text now, each reviewer's
standing. Plain functions of their inputs, no requests, no writes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from collaboration import history

from ...models import (
    Proposal,
    ProposalEvent,
    ProposalEventKind,
    Review,
    ReviewComment,
    ReviewVerdict,
)
from .forms import text_lines

# Unchanged runs longer than this are folded, keeping DIFF_CONTEXT lines next to changes.
DIFF_CONTEXT = 3


# --- the diff ----------------------------------------------------------------------------------


def _numbered(lines: list[history.DiffLine]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    old_no = new_no = 0
    for line in lines:
        row: dict[str, Any] = {"op": line["op"], "text": line["text"], "old": None, "new": None}
        if line["op"] != "insert":
            old_no += 1
            row["old"] = old_no
        if line["op"] != "delete":
            new_no += 1
            row["new"] = new_no
        rows.append(row)
    return rows


def _folded(rows: list[dict], is_equal: Callable[[dict], bool]) -> list[dict]:
    """The rows with each long unchanged run replaced by {"fold": [rows]} (shown collapsed)."""
    out: list[dict] = []
    index, total = 0, len(rows)
    while index < total:
        if not is_equal(rows[index]):
            out.append(rows[index])
            index += 1
            continue
        end = index
        while end < total and is_equal(rows[end]):
            end += 1
        run = rows[index:end]
        head = DIFF_CONTEXT if index > 0 else 0
        tail = DIFF_CONTEXT if end < total else 0
        if len(run) > head + tail + 1:
            out.extend(run[:head])
            out.append({"fold": run[head : len(run) - tail]})
            out.extend(run[len(run) - tail :])
        else:
            out.extend(run)
        index = end
    return out


def _side_by_side(rows: list[dict]) -> list[dict]:
    """Rows of two columns: unchanged lines on both sides, each run of removed lines
    beside the added lines that replace it."""
    pairs: list[dict] = []
    index, total = 0, len(rows)
    while index < total:
        row = rows[index]
        if row["op"] == "equal":
            pairs.append({"equal": True, "left": row, "right": row})
            index += 1
            continue
        removed, added = [], []
        while index < total and rows[index]["op"] == "delete":
            removed.append(rows[index])
            index += 1
        while index < total and rows[index]["op"] == "insert":
            added.append(rows[index])
            index += 1
        for left, right in zip_longest(removed, added):
            pairs.append({"equal": False, "left": left, "right": right})
    return pairs


@dataclass
class DiffView:
    inline: list[dict] = field(default_factory=list)
    split: list[dict] = field(default_factory=list)
    added: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def diff_view(before: str, after: str) -> DiffView:
    rows = _numbered(history.diff_lines(before, after))
    return DiffView(
        inline=_folded(rows, lambda row: row["op"] == "equal"),
        split=_folded(_side_by_side(rows), lambda pair: pair["equal"]),
        added=sum(1 for row in rows if row["op"] == "insert"),
        removed=sum(1 for row in rows if row["op"] == "delete"),
    )


# --- the branch text and inline comments ---------------------------------------------------------


def numbered_lines(text: str) -> list[dict]:
    return [{"no": no, "text": line} for no, line in enumerate(text_lines(text), start=1)]


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def comment_lines(comment: ReviewComment, branch_revision: int, text: str) -> str:
    """ "line 4" or "lines 4-7" where the comment's passage is in the branch now, or ""
    when that is unknown (outdated, or the range is at another revision)."""
    if comment.outdated or comment.revision != branch_revision or comment.end > len(text):
        return ""
    first = _line_of(text, comment.start)
    last = _line_of(text, max(comment.start, comment.end - 1)) if comment.end else first
    return f"line {first}" if first == last else f"lines {first}-{last}"


# --- the timeline ---------------------------------------------------------------------------


def _names(people: Iterable[str]) -> str:
    people = list(people)
    if len(people) <= 1:
        return "".join(people)
    return ", ".join(people[:-1]) + " and " + people[-1]


def describe(event: ProposalEvent) -> str:
    """The event as a sentence that follows its actor's name."""
    data = event.data or {}
    kind = event.kind
    if kind == ProposalEventKind.OPENED and data.get("draft"):
        return "opened the proposal as a draft"
    if kind == ProposalEventKind.REVIEW_REQUESTED and data.get("reviewers"):
        return f"asked {_names(data['reviewers'])} for a review"
    if kind == ProposalEventKind.REBASED:
        text = f"brought the branch up to date with revision {data.get('base_revision', '?')}"
        conflicts = data.get("conflicts") or 0
        if conflicts:
            text += f", with {conflicts} conflict{'s' if conflicts != 1 else ''} to resolve"
        return text
    if kind == ProposalEventKind.MERGED and data.get("revision") is not None:
        return f"merged the proposal as revision {data['revision']} of the document"
    if kind == ProposalEventKind.DISMISSED:
        count = data.get("approvals") or 0
        return f"{count} approval{'s' if count != 1 else ''} went stale: the branch changed since"
    if kind == ProposalEventKind.EDITED and data.get("fields"):
        return f"edited the {' and '.join(data['fields'])}"
    try:
        return ProposalEventKind(kind).label
    except ValueError:
        return kind


VERDICT_TEXT = {
    ReviewVerdict.APPROVE: "approved these changes",
    ReviewVerdict.REQUEST_CHANGES: "requested changes",
    ReviewVerdict.COMMENT: "reviewed",
}


def timeline(
    events: Iterable[ProposalEvent],
    reviews: Iterable[Review],
    *,
    branch_revision: int,
    branch_text: str,
) -> list[dict]:
    """Events and reviews in the order they happened (a review replaces its "reviewed"
    event), each review with its inline comments and where they are now."""
    items: list[tuple[Any, int, dict]] = []
    for event in events:
        if event.kind == ProposalEventKind.REVIEWED:
            continue
        items.append(
            (event.created_at, 0, {"kind": "event", "event": event, "text": describe(event)})
        )
    for review in reviews:
        comments = [
            {"comment": comment, "where": comment_lines(comment, branch_revision, branch_text)}
            for comment in review.comments.all()
        ]
        items.append(
            (
                review.created_at,
                1,
                {
                    "kind": "review",
                    "review": review,
                    "text": VERDICT_TEXT.get(review.verdict, "reviewed"),
                    "comments": comments,
                    "stale": review.verdict == ReviewVerdict.APPROVE and review.dismissed,
                    "older": review.branch_revision < branch_revision,
                },
            )
        )
    items.sort(key=lambda item: (item[0], item[1]))
    return [item[2] for item in items]


# --- reviewers ------------------------------------------------------------------------------


def reviewer_rows(proposal: Proposal, decisive: dict[int, Review]) -> list[dict]:
    """Each reviewer asked for (or self-assigned) with where their review stands."""
    rows = []
    for row in proposal.reviewers.select_related("user"):
        review = decisive.get(row.user_id)
        if review is None:
            status, css = "review pending", "pending"
        elif review.verdict == ReviewVerdict.REQUEST_CHANGES:
            status, css = "requested changes", "changes"
        elif review.dismissed:
            status, css = "approved an older version", "stale"
        else:
            status, css = "approved", "approved"
        rows.append({"user": row.user, "status": status, "css": css})
    return rows
