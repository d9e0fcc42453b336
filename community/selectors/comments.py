"""Reads of comments on documents, and the rules of who may do what to a comment.

- Threads of a document and one comment, as a person may see them: deleted comments
  only to moderators (others see a deleted thread root as an empty placeholder while it
  has replies), hidden ones to their author and moderators (others see an empty
  placeholder), all inside a document the person may read (404 otherwise).
- Representations (`comment_representations`): plain JSON-ready dicts, the one source of
  the API's answers and of the live frames, so both always agree. An inline thread's
  anchor is answered in the document's CURRENT text even when the anchor hook lags
  behind the last commit: the stored range is moved on the fly through the revisions
  after it (nothing is written on read).
- The refusal rules (`*_refusal`): the services raise what they return, the API shows
  their absence as `can`, so buttons and answers never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from collaboration import ot
from collaboration.models import Document
from collaboration.permissions import (
    DocumentAccess,
    document_access,
    is_moderator,
    is_signed_in,
)
from collaboration.selectors import document_text, operations_between

from .. import privileges
from ..errors import CommunityError, Conflict, NotAllowed
from ..models import Comment, CommentEvent, CommentRevision, CommentType
from ..rendering import render_post
from ..visibility import can_see_post

if TYPE_CHECKING:
    from datetime import datetime

THREAD_ORDER = ("created_at", "id")


# --- who may do what -------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """A person looking at a document's comments: their rights there, decided once."""

    user: Any
    document: Document
    access: DocumentAccess
    moderator: bool
    active: bool  # signed in, active and not suspended

    def sees(self, comment: Comment) -> bool:
        """Whether the comment's content is shown to this person (else a placeholder)."""
        return can_see_post(self.user, comment)

    def is_author(self, comment: Comment) -> bool:
        return self.active and comment.author_id == self.user.pk


def viewer_of(user: Any, document: Document) -> Viewer:
    """At most one query (the membership row), none for public documents and moderators."""
    return Viewer(
        user=user,
        document=document,
        access=document_access(user, document),
        moderator=is_moderator(user),
        active=is_signed_in(user) and user.may_sign_in,
    )


def _signed_out(doing: str) -> NotAllowed:
    return NotAllowed(f"Sign in to {doing}.")


def reply_refusal(viewer: Viewer, root: Comment) -> CommunityError | None:
    """Why the person may not reply in the thread of `root` (None: they may)."""
    if not viewer.active:
        return _signed_out("reply")
    try:
        privileges.require_privilege(viewer.user, privileges.COMMENT)
    except CommunityError as exc:
        return exc
    if root.is_deleted:
        return Conflict("This thread was deleted; it takes no more replies.")
    if not viewer.sees(root):
        return Conflict("This thread is hidden while moderators look at it.")
    if root.is_locked and not viewer.moderator:
        return Conflict("This thread is locked; it takes no more replies.")
    return None


def edit_refusal(viewer: Viewer, comment: Comment, root: Comment) -> CommunityError | None:
    """Authors edit their own comments; moderators edit any."""
    if not viewer.active:
        return _signed_out("edit comments")
    if comment.is_deleted:
        return Conflict("This comment was deleted; it can no longer be edited.")
    if viewer.moderator:
        return None
    if not viewer.is_author(comment):
        return NotAllowed("Only its author or a moderator may edit a comment.")
    if comment.is_locked or root.is_locked:
        return Conflict("This thread is locked; its comments can no longer be edited.")
    return None


def delete_refusal(viewer: Viewer, comment: Comment, root: Comment) -> CommunityError | None:
    """Authors delete their own comments, the document's owner any on it, moderators any."""
    if not viewer.active:
        return _signed_out("delete comments")
    if comment.is_deleted:
        return Conflict("This comment is already deleted.")
    if viewer.moderator:
        return None
    if not (viewer.is_author(comment) or viewer.access.can_manage):
        return NotAllowed(
            "Only its author, the document's owner or a moderator may delete a comment."
        )
    if comment.is_locked or root.is_locked:
        return Conflict("This thread is locked; only a moderator may delete its comments.")
    return None


def resolve_refusal(viewer: Viewer, comment: Comment) -> CommunityError | None:
    """Resolving and reopening: the thread's author, whoever may edit the document (the
    people who act on the remark), moderators. Threads only, not single replies."""
    if comment.parent_id is not None:
        return Conflict(
            f"Only a whole thread is resolved or reopened: use comment {comment.parent_id}."
        )
    if not viewer.active:
        return _signed_out("resolve comments")
    if comment.is_deleted:
        return Conflict("This thread was deleted.")
    if viewer.moderator or viewer.is_author(comment) or viewer.access.can_edit:
        return None
    return NotAllowed(
        "Only the thread's author, the document's editors or a moderator may resolve it."
    )


# --- finding comments ------------------------------------------------------------------------


def _replies(user: Any) -> Prefetch:
    replies = Comment.objects.select_related("author").order_by(*THREAD_ORDER)
    if not is_moderator(user):
        replies = replies.filter(deleted_at__isnull=True)
    return Prefetch("replies", queryset=replies, to_attr="shown_replies")


def thread_list(
    *,
    document: Document,
    user: Any,
    status: str | None = None,
    comment_type: str | None = None,
) -> QuerySet[Comment]:
    """The document's threads (roots, oldest first) with their replies prefetched.

    A deleted root stays while it has replies people can still read (as a placeholder),
    like a deleted post that started a discussion. The caller checked read access.
    """
    roots = Comment.objects.filter(document=document, parent__isnull=True)
    if not is_moderator(user):
        live_reply = Exists(Comment.objects.filter(parent=OuterRef("pk"), deleted_at__isnull=True))
        roots = roots.filter(Q(deleted_at__isnull=True) | live_reply)
    if status:
        roots = roots.filter(status=status)
    if comment_type:
        roots = roots.filter(comment_type=comment_type)
    return (
        roots.select_related("author", "resolved_by")
        .prefetch_related(_replies(user))
        .order_by(*THREAD_ORDER)
    )


def comment_get_for_user(*, comment_id: int, user: Any) -> Comment:
    """The comment (a thread root with its replies) if the person may read its document
    and see it; Http404 otherwise, exactly as if it did not exist."""
    comment = (
        Comment.objects.select_related("author", "resolved_by", "document")
        .defer("document__content_checkpoint")
        .filter(pk=comment_id)
        .first()
    )
    if comment is None or not can_see_post(user, comment):
        raise Http404("There is no such comment.")
    if not document_access(user, comment.document).can_read:
        raise Http404("There is no such comment.")
    if comment.parent_id is None:
        replies = _replies(user)
        comment.shown_replies = list(replies.queryset.filter(parent=comment))
    return comment


def comment_revision_list(*, comment: Comment) -> QuerySet[CommentRevision]:
    """Earlier wordings of the comment, newest first."""
    return (
        CommentRevision.objects.filter(comment=comment)
        .select_related("edited_by")
        .order_by("-created_at", "-id")
    )


# --- anchors in the current text -------------------------------------------------------------


def range_through(start: int, end: int, steps: Iterable[Sequence[ot.Op]]) -> tuple[int, int]:
    """The range moved through each committed operation in turn (ot.transform_range)."""
    for ops in steps:
        start, end = ot.transform_range(start, end, ops)
    return start, end


def follow_range(
    start: int, end: int, *, after: int, upto: int, ops_by_revision: dict[int, list]
) -> tuple[int, int] | None:
    """The range of revision `after` in revision `upto`; None when the log no longer has
    every operation in between (pruned): the range cannot be placed without guessing."""
    steps = []
    for revision in range(after + 1, upto + 1):
        ops = ops_by_revision.get(revision)
        if ops is None:
            return None
        steps.append(ops)
    return range_through(start, end, steps)


def operations_after(*, document_id: int, after: int, upto: int) -> dict[int, list]:
    """revision -> ops of the committed operations after `after` up to `upto` (one query)."""
    if upto <= after:
        return {}
    rows = operations_between(document_id=document_id, after=after, upto=upto)
    return dict(rows.values_list("revision", "ops"))


def _is_anchored(comment: Comment) -> bool:
    return (
        comment.parent_id is None
        and comment.comment_type == CommentType.INLINE
        and comment.anchor_start is not None
        and comment.anchor_end is not None
        and comment.anchor_revision is not None
    )


def anchors_now(
    roots: Sequence[Comment], *, document_id: int, head_revision: int
) -> dict[int, tuple[int, int] | None]:
    """comment id -> its range in the text of `head_revision`, or None when outdated.

    Anchors the hook has not moved yet are moved here, through one read of the log.
    """
    anchored = [c for c in roots if _is_anchored(c)]
    lagging = [c for c in anchored if not c.is_outdated and c.anchor_revision < head_revision]
    ops_by_revision: dict[int, list] = {}
    if lagging:
        ops_by_revision = operations_after(
            document_id=document_id,
            after=min(c.anchor_revision for c in lagging),
            upto=head_revision,
        )
    found: dict[int, tuple[int, int] | None] = {}
    for comment in anchored:
        if comment.is_outdated:
            found[comment.pk] = None
        elif comment.anchor_revision >= head_revision:
            found[comment.pk] = (comment.anchor_start, comment.anchor_end)
        else:
            found[comment.pk] = follow_range(
                comment.anchor_start,
                comment.anchor_end,
                after=comment.anchor_revision,
                upto=head_revision,
                ops_by_revision=ops_by_revision,
            )
        where = found[comment.pk]
        if where is not None and where[0] == where[1] and comment.anchor_start < comment.anchor_end:
            found[comment.pk] = None  # its text is gone: outdated, even before the hook says so
    return found


def _line_numbers(text: str, positions: Iterable[int]) -> dict[int, int]:
    """position -> its 1-based line, counting newlines once over the whole text."""
    lines: dict[int, int] = {}
    line, previous = 1, 0
    for position in sorted(set(positions)):
        line += text.count("\n", previous, position)
        lines[position] = line
        previous = position
    return lines


# --- representations -------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    """Like DRF's DateTimeField, so API answers and frames print times alike."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return f"{text[:-6]}Z" if text.endswith("+00:00") else text


def _user_ref(user: Any) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "username": user.username}


@dataclass
class _Context:
    viewer: Viewer
    with_can: bool
    head_revision: int
    text: str
    anchors: dict[int, tuple[int, int] | None]
    lines: dict[int, int]


def _anchor(comment: Comment, ctx: _Context) -> dict[str, Any] | None:
    if comment.pk not in ctx.anchors:
        return None
    where = ctx.anchors[comment.pk]
    if where is None:
        return {
            "start": None,
            "end": None,
            "revision": ctx.head_revision,
            "text": "",
            "quote": comment.quote,
            "outdated": True,
        }
    start, end = where
    return {
        "start": start,
        "end": end,
        "revision": ctx.head_revision,
        "text": ctx.text[start:end],
        "quote": comment.quote,
        "outdated": False,
    }


def _represent(
    comment: Comment, root: Comment, ctx: _Context, *, with_replies: bool
) -> dict[str, Any]:
    shown = ctx.viewer.sees(comment)
    anchor = _anchor(comment, ctx)
    position, line_number = comment.position, comment.line_number
    if comment.pk in ctx.anchors:  # inline threads: where the passage is now
        position = anchor["start"]
        line_number = None if position is None else ctx.lines[position]
    data: dict[str, Any] = {
        "id": comment.pk,
        "document_id": comment.document_id,
        "thread_id": comment.parent_id or comment.pk,
        "parent_id": comment.parent_id,
        "author": _user_ref(comment.author) if shown else None,
        "content": comment.content if shown else "",
        "content_html": str(render_post(comment.content)) if shown else "",
        "comment_type": comment.comment_type,
        "position": position,
        "line_number": line_number,
        "anchor": anchor,
        "status": comment.status,
        "resolved_by": _user_ref(comment.resolved_by) if comment.resolved_by_id else None,
        "resolved_at": _iso(comment.resolved_at),
        "score": comment.score,
        "is_deleted": comment.is_deleted,
        "is_hidden": comment.is_hidden,
        "created_at": _iso(comment.created_at),
        "edited_at": _iso(comment.edited_at),
    }
    if ctx.with_can:
        viewer = ctx.viewer
        is_root = comment.parent_id is None
        data["can"] = {
            "edit": shown and edit_refusal(viewer, comment, root) is None,
            "delete": shown and delete_refusal(viewer, comment, root) is None,
            "resolve": shown and is_root and resolve_refusal(viewer, comment) is None,
            "reply": reply_refusal(viewer, root) is None,
        }
    if with_replies and comment.parent_id is None:
        data["replies"] = [
            _represent(reply, comment, ctx, with_replies=False)
            for reply in getattr(comment, "shown_replies", ())
        ]
    return data


def _head(document_id: int) -> tuple[int, str]:
    """(revision, text) of the document now; Http404 if it was deleted meanwhile."""
    try:
        return document_text(document_id=document_id)
    except Document.DoesNotExist:
        raise Http404("There is no such document.") from None


def comment_representations(
    comments: Sequence[Comment],
    *,
    document: Document,
    user: Any = None,
    with_can: bool = False,
    with_replies: bool = False,
    roots: dict[int, Comment] | None = None,
) -> list[dict[str, Any]]:
    """The comments as `user` sees them (None: a plain reader, as live frames show them).

    `with_replies` adds each thread root's prefetched `shown_replies`; `roots` gives the
    thread roots of replies in `comments` (their lock, deletion and visibility decide
    who may reply). The document's text is read after the comments, so every stored
    anchor is at or behind it.
    """
    head_revision, text = _head(document.pk)
    viewer = viewer_of(user, document)
    roots = dict(roots or {})
    roots.update({c.pk: c for c in comments if c.parent_id is None})
    anchors = anchors_now(
        [c for c in comments if c.parent_id is None],
        document_id=document.pk,
        head_revision=head_revision,
    )
    starts = [where[0] for where in anchors.values() if where is not None]
    ctx = _Context(
        viewer=viewer,
        with_can=with_can,
        head_revision=head_revision,
        text=text,
        anchors=anchors,
        lines=_line_numbers(text, starts),
    )
    return [
        _represent(c, roots.get(c.parent_id or c.pk, c), ctx, with_replies=with_replies)
        for c in comments
    ]


def comment_representation(comment: Comment, *, user: Any, with_can: bool = True) -> dict[str, Any]:
    """One comment (from comment_get_for_user), a thread root with its replies."""
    roots = {}
    if comment.parent_id is not None:
        roots[comment.parent_id] = Comment.objects.get(pk=comment.parent_id)
    (data,) = comment_representations(
        [comment],
        document=comment.document,
        user=user,
        with_can=with_can,
        with_replies=True,
        roots=roots,
    )
    return data


def comment_revision_representations(revisions: Iterable[CommentRevision]) -> list[dict]:
    return [
        {
            "id": revision.pk,
            "content": revision.content,
            "content_html": str(render_post(revision.content)),
            "edited_by": _user_ref(revision.edited_by),
            "created_at": _iso(revision.created_at),
        }
        for revision in revisions
    ]


# --- the document's comment activity (live frames and their backlog) -------------------------


def comment_frames_after(document_id: int, after: int, limit: int) -> list[dict[str, Any]]:
    """Frames of the document's topic after event id `after`, oldest first, at most `limit`:
    what a page or editor that lost its connection missed (realtime.topics backlog).

    Each carries the comment as it is now, seen by a plain reader.
    """
    events = CommentEvent.objects.filter(document_id=document_id, pk__gt=after)
    return _frames(document_id, events.order_by("pk")[:limit])


def comment_frames(document_id: int, event_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The frames of these events of the document, oldest first (to publish them)."""
    events = CommentEvent.objects.filter(document_id=document_id, pk__in=list(event_ids))
    return _frames(document_id, events.order_by("pk"))


def _frames(document_id: int, events: QuerySet[CommentEvent]) -> list[dict[str, Any]]:
    rows = list(events.values_list("pk", "comment_id", "kind"))
    if not rows:
        return []
    document = Document.objects.defer("content_checkpoint").filter(pk=document_id).first()
    if document is None:
        return []
    comments = list(
        Comment.objects.filter(pk__in={comment_id for _, comment_id, _ in rows})
        .select_related("author", "resolved_by")
        .order_by()
    )
    shown = {data["id"]: data for data in comment_representations(comments, document=document)}
    return [
        {
            "type": "comment",
            "id": event_id,
            "event": kind,
            "thread_id": shown[comment_id]["thread_id"],
            "comment": shown[comment_id],
        }
        for event_id, comment_id, kind in rows
        if comment_id in shown  # gone with its document since the event was read
    ]


__all__ = [
    "THREAD_ORDER",
    "Viewer",
    "anchors_now",
    "comment_frames",
    "comment_frames_after",
    "comment_get_for_user",
    "comment_representation",
    "comment_representations",
    "comment_revision_list",
    "comment_revision_representations",
    "delete_refusal",
    "edit_refusal",
    "follow_range",
    "operations_after",
    "range_through",
    "reply_refusal",
    "resolve_refusal",
    "thread_list",
    "viewer_of",
]
