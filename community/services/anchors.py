"""Anchors of inline comments: placing a new one, and moving every thread with the text.

A thread's anchor is a range of code points in the text of one revision
(`anchor_start..anchor_end` at `anchor_revision`). A comment may be made on the text of
an older revision (the client's copy lagged); it is placed there, then moved through
every operation committed since, exactly as `ot.transform_range` moves a selection:
text typed inside the range grows it, text typed at its edges stays outside, text
deleted around it pulls it along. When all of a non-empty range's text is deleted the
range collapses and the thread is outdated: it keeps its quote and stops moving.

The post-commit hook (`community.hooks.comments`) calls `anchor_moves` with every
committed revision, from any source, in order, exactly once (collaboration.revisions);
`services.comments.anchors_follow` writes the moves. Where the operation log no longer
reaches back to an anchor (OPERATION_RETENTION pruned it) the thread is outdated rather
than placed by guesswork.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from collaboration import history
from collaboration.selectors import document_text

from ..errors import Conflict, InvalidInput
from ..models import Comment, CommentType
from ..selectors.comments import follow_range, operations_after

if TYPE_CHECKING:
    from collaboration.revisions import RevisionEvent

# The quote is what people read beside an outdated thread; a whole chapter is no quote.
QUOTE_MAX_CHARS = 5_000
ANCHOR_FIELDS = ["anchor_start", "anchor_end", "anchor_revision", "is_outdated"]


class RevisionTooOld(Conflict):
    """The comment names a revision the kept history no longer reaches."""

    code = "revision_too_old"


@dataclass(frozen=True)
class NewAnchor:
    """Where a new thread's range is in the current text, and what it quoted."""

    start: int
    end: int
    revision: int
    quote: str
    outdated: bool


def _too_old(revision: int) -> RevisionTooOld:
    return RevisionTooOld(
        f"Revision {revision} is older than the document's kept history. Reload the "
        "document and select the passage again."
    )


def anchor_place(
    *, document_id: int, revision: int | None, start: int, end: int, field: str
) -> NewAnchor:
    """Checks a range given at `revision` (None: the current one) and moves it to the
    current revision. InvalidInput (on `field`, or "revision") or RevisionTooOld when it
    cannot be placed; reads only, so the caller decides what to write."""
    head_revision, head_text = document_text(document_id=document_id)
    revision = head_revision if revision is None else revision
    if revision > head_revision:
        raise InvalidInput(
            f"The document is at revision {head_revision}; there is no revision {revision}.",
            field="revision",
        )
    try:
        text = (
            head_text
            if revision == head_revision
            else history.content_at(document_id=document_id, revision=revision)
        )
    except history.HistoryUnavailable:
        raise _too_old(revision) from None
    if not 0 <= start <= end <= len(text):
        raise InvalidInput(
            f"The range must lie within the text: 0 <= start <= end <= {len(text)}"
            f" (the length of revision {revision}), got {start}..{end}.",
            field=field,
        )
    moved = follow_range(
        start,
        end,
        after=revision,
        upto=head_revision,
        ops_by_revision=operations_after(
            document_id=document_id, after=revision, upto=head_revision
        ),
    )
    if moved is None:
        raise _too_old(revision)
    return NewAnchor(
        start=moved[0],
        end=moved[1],
        revision=head_revision,
        quote=text[start:end][:QUOTE_MAX_CHARS],
        outdated=start < end and moved[0] == moved[1],
    )


def anchor_moves(events: list[RevisionEvent]) -> list[tuple[Comment, RevisionEvent | None]]:
    """The document's live anchors behind the last of `events` (consecutive revisions of
    one delivery), moved up to it (not saved), each with the event that outdated it.

    Exactly as if each revision were delivered alone: at every event, the anchors behind
    it move up to it (through the log in between for those made meanwhile at an older
    revision, read once), and a thread whose non-empty passage collapses is outdated by
    that revision and stops there. One query for the threads, at most one for the log.
    """
    last = events[-1]
    behind = list(
        Comment.objects.filter(
            document_id=last.document_id,
            comment_type=CommentType.INLINE,
            parent__isnull=True,
            is_outdated=False,
            anchor_revision__lt=last.revision,
            anchor_start__isnull=False,
            anchor_end__isnull=False,
        ).only("id", "document_id", "anchor_start", "anchor_end", "anchor_revision")
    )
    if not behind:
        return []
    first = events[0]
    oldest = min(c.anchor_revision for c in behind)
    ops_by_revision = operations_after(
        document_id=first.document_id, after=oldest, upto=first.revision - 1
    )
    ops_by_revision.update((event.revision, event.ops) for event in events)
    moves: list[tuple[Comment, RevisionEvent | None]] = []
    for comment in behind:
        outdated_by = None
        for event in events:
            if comment.anchor_revision >= event.revision:
                continue  # made at this revision or later: nothing to move through yet
            moved = follow_range(
                comment.anchor_start,
                comment.anchor_end,
                after=comment.anchor_revision,
                upto=event.revision,
                ops_by_revision=ops_by_revision,
            )
            if moved is None:  # the log no longer reaches it: outdated, where it was
                comment.is_outdated = True
                outdated_by = event
                break
            was_empty = comment.anchor_start == comment.anchor_end
            comment.anchor_start, comment.anchor_end = moved
            comment.anchor_revision = event.revision
            comment.is_outdated = not was_empty and moved[0] == moved[1]
            if comment.is_outdated:
                outdated_by = event
                break
        moves.append((comment, outdated_by))
    return moves


def anchor_moves_save(comments: list[Comment]) -> None:
    """Writes moved anchors in one statement per 500 threads (the caller holds the
    document's comment feed lock)."""
    Comment.objects.bulk_update(comments, ANCHOR_FIELDS, batch_size=500)
