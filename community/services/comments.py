"""Comments on documents: threads (general, or inline on a passage), replies, edits with
their history, soft deletion, resolving, and the activity feed pages and editors follow.

Every write here and in moderation takes the document's CommentFeed row lock first, then
comment rows (`comment_lock`), and writes one CommentEvent in the same transaction
(`comment_event`), published on the document's topic once it commits. One lock order
everywhere (feed, then comments) keeps the anchor hook and these services from
deadlocking; the feed lock makes event ids grow in commit order, so a page that resumes
from the last id it saw misses nothing.

Who may do what is decided in `community.selectors.comments` (the `*_refusal` rules),
so the API's `can` flags and these services agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from collaboration import ot
from collaboration.locking import take_sqlite_write_lock
from collaboration.models import Document
from collaboration.realtime import publish
from collaboration.selectors import document_text

from .. import privileges
from ..errors import InvalidInput
from ..models import (
    Comment,
    CommentEvent,
    CommentEventKind,
    CommentFeed,
    CommentRevision,
    CommentStatus,
    CommentType,
)
from ..selectors import comments as selectors
from . import anchors, watches

if TYPE_CHECKING:
    from accounts.models import User
    from collaboration.revisions import RevisionEvent

CONTENT_MAX_CHARS = 10_000
NOT_FOUND = "There is no such comment."


# --- input -----------------------------------------------------------------------------------


def clean_content(content: object) -> str:
    """Stripped Markdown of 1 to CONTENT_MAX_CHARS characters the database can store."""
    if not isinstance(content, str):
        raise InvalidInput("Write the comment as text.", field="content")
    text = content.strip()
    if not text:
        raise InvalidInput("Write something first: a comment cannot be empty.", field="content")
    if len(text) > CONTENT_MAX_CHARS:
        raise InvalidInput(
            f"A comment can be at most {CONTENT_MAX_CHARS:,} characters long"
            f" (this one has {len(text):,}).",
            field="content",
        )
    try:
        ot.validate([text])  # refuses lone surrogates, which PostgreSQL cannot store
    except ot.InvalidOperation:
        raise InvalidInput(
            "The comment contains characters that cannot be stored.", "content"
        ) from None
    if "\x00" in text:
        raise InvalidInput("The comment contains characters that cannot be stored.", "content")
    return text


def _whole_number(value: object, field: str, *, minimum: int) -> int | None:
    if value is None:
        return None
    if type(value) is not int or value < minimum:
        raise InvalidInput(f"Give a whole number of at least {minimum}.", field=field)
    return value


# --- locks and events ------------------------------------------------------------------------


def _lock_feed(document_id: int) -> None:
    """Locks the document's comment feed row until the transaction ends (made the first
    time). Taken before any comment row, by every comment write and by the anchor hook."""
    take_sqlite_write_lock(Document, document_id)
    feed = CommentFeed.objects.select_for_update().filter(document_id=document_id)
    if not list(feed.values_list("pk", flat=True)):
        CommentFeed.objects.get_or_create(document_id=document_id)
        list(feed.values_list("pk", flat=True))  # now it exists: lock it


def comment_lock(comment_id: int) -> Comment:
    """The comment, its row locked until the transaction ends, taken after its document's
    feed: the lock order of every comment write (moderation too). Http404 when missing.
    Call inside transaction.atomic()."""
    document_id = (
        Comment.objects.filter(pk=comment_id).values_list("document_id", flat=True).first()
    )
    if document_id is None:
        raise Http404(NOT_FOUND)
    _lock_feed(document_id)
    comment = Comment.objects.select_for_update().filter(pk=comment_id).first()
    if comment is None:
        raise Http404(NOT_FOUND)
    return comment


def _record(comment: Comment, kind: str, actor_id: int | None) -> CommentEvent:
    """Writes the event, under the document's feed lock (a no-op when held already)."""
    _lock_feed(comment.document_id)
    return CommentEvent.objects.create(
        document_id=comment.document_id, comment_id=comment.pk, kind=kind, actor_id=actor_id
    )


def comment_event(comment: Comment, kind: str, actor: User | int | None) -> CommentEvent:
    """Records a change of the comment on its document's activity feed, and publishes it
    on the document's topic (`doc:<id>`) once the transaction commits.

    Call it in the transaction that made the change: it takes the document's feed lock,
    so event ids grow in commit order. `actor` is the user (or their id) who caused it,
    None for the site itself.
    """
    if kind not in CommentEventKind.values:
        raise ValueError(f"unknown comment event {kind!r}")
    actor_id = actor if isinstance(actor, int) or actor is None else actor.pk
    with transaction.atomic():
        event = _record(comment, kind, actor_id)
    publish.on_commit(_publish_events, comment.document_id, [event.pk])
    return event


def _publish_events(document_id: int, event_ids: list[int]) -> None:
    """After commit: the events' frames, with the comments as they are now, to every page
    and editor of the document. A lost frame is found again in the backlog."""
    for frame in selectors.comment_frames(document_id, event_ids):
        publish.to_document(document_id, frame)


# --- who is asking ---------------------------------------------------------------------------


def _viewer(user: Any, document_id: int) -> selectors.Viewer:
    """The person's rights on the document; Http404 when they may not read it (a document
    they cannot read must look like one that does not exist)."""
    document = Document.objects.defer("content_checkpoint").filter(pk=document_id).first()
    if document is None:
        raise Http404(NOT_FOUND)
    viewer = selectors.viewer_of(user, document)
    if not viewer.access.can_read:
        raise Http404(NOT_FOUND)
    return viewer


def _locked_for(user: Any, comment_id: int) -> tuple[Comment, Comment, selectors.Viewer]:
    """(comment, its thread root, the person's rights): both rows locked; Http404 unless
    the person may read the document and see the comment."""
    comment = comment_lock(comment_id)
    viewer = _viewer(user, comment.document_id)
    if not viewer.sees(comment):
        raise Http404(NOT_FOUND)
    root = comment
    if comment.parent_id is not None:
        root = Comment.objects.select_for_update().get(pk=comment.parent_id)
    return comment, root, viewer


def _refuse(refusal: Exception | None) -> None:
    if refusal is not None:
        raise refusal


# --- writes ----------------------------------------------------------------------------------


def _kind(comment_type: object, *, anchored: bool, has_range: bool) -> str:
    if comment_type is None:
        return CommentType.INLINE if anchored else CommentType.GENERAL
    if comment_type not in CommentType.values:
        raise InvalidInput("Choose general or inline.", field="comment_type")
    if comment_type == CommentType.GENERAL and has_range:
        raise InvalidInput(
            "A general comment is about the whole document and has no range; send"
            ' comment_type "inline" to comment on a passage.',
            field="range",
        )
    if comment_type == CommentType.INLINE and not anchored:
        raise InvalidInput(
            "An inline comment needs the passage it is about: a range {start, end} or a position.",
            field="range",
        )
    return comment_type


def comment_create(
    *,
    user: User,
    document_id: int,
    content: object,
    comment_type: str | None = None,
    start: int | None = None,
    end: int | None = None,
    position: int | None = None,
    line_number: int | None = None,
    revision: int | None = None,
) -> Comment:
    """Starts a thread on the document: general, or inline on the range start..end (or at
    `position` alone) of the text at `revision` (default: the current one).

    The range is checked against that revision's text, moved to the current revision
    through what was committed since, and keeps the text it covered as its quote.
    Needs read access (Http404 otherwise) and the comment privilege.
    """
    content = clean_content(content)
    start = _whole_number(start, "range", minimum=0)
    end = _whole_number(end, "range", minimum=0)
    position = _whole_number(position, "position", minimum=0)
    line_number = _whole_number(line_number, "line_number", minimum=1)
    revision = _whole_number(revision, "revision", minimum=0)
    if (start is None) != (end is None):
        raise InvalidInput("Give both ends of the range: {start, end}.", field="range")
    has_range = start is not None
    kind = _kind(comment_type, anchored=has_range or position is not None, has_range=has_range)
    with transaction.atomic():
        _lock_feed(document_id)
        _viewer(user, document_id)
        privileges.require_privilege(user, privileges.COMMENT)
        fields: dict[str, Any] = {"position": position, "line_number": line_number}
        if kind == CommentType.INLINE:
            field = "range" if has_range else "position"
            if not has_range:
                start = end = position
            anchor = anchors.anchor_place(
                document_id=document_id, revision=revision, start=start, end=end, field=field
            )
            fields = {
                "position": anchor.start,
                "line_number": None,
                "anchor_start": anchor.start,
                "anchor_end": anchor.end,
                "anchor_revision": anchor.revision,
                "quote": anchor.quote,
                "is_outdated": anchor.outdated,
            }
        else:
            _check_general_place(document_id, position, line_number)
        comment = Comment.objects.create(
            document_id=document_id, author=user, content=content, comment_type=kind, **fields
        )
        comment_event(comment, CommentEventKind.CREATED, user)
        watches.on_comment_posted(comment)
    return comment


def _check_general_place(document_id: int, position: int | None, line_number: int | None) -> None:
    """A general comment may still say where it looked (the original API's position and
    line number): both must be inside the current text."""
    if position is None and line_number is None:
        return
    _revision, text = document_text(document_id=document_id)
    if position is not None and position > len(text):
        raise InvalidInput(
            f"The position must be within the text (0 to {len(text)}).", field="position"
        )
    lines = text.count("\n") + 1
    if line_number is not None and line_number > lines:
        raise InvalidInput(
            f"The document has {lines} line{'s' if lines != 1 else ''}.", field="line_number"
        )


def comment_reply(*, user: User, comment_id: int, content: object) -> Comment:
    """A reply in the thread of the comment (replying to a reply joins its thread)."""
    content = clean_content(content)
    with transaction.atomic():
        _comment, root, viewer = _locked_for(user, comment_id)
        _refuse(selectors.reply_refusal(viewer, root))
        reply = Comment.objects.create(
            document_id=root.document_id,
            parent=root,
            author=user,
            content=content,
            comment_type=root.comment_type,
        )
        comment_event(reply, CommentEventKind.CREATED, user)
        watches.on_comment_posted(reply, replied_to=_comment)
    return reply


def comment_edit(*, user: User, comment_id: int, content: object) -> Comment:
    """New wording of the comment; the previous one is kept (CommentRevision). Authors edit
    their own, moderators any. The same wording again changes nothing."""
    content = clean_content(content)
    with transaction.atomic():
        comment, root, viewer = _locked_for(user, comment_id)
        _refuse(selectors.edit_refusal(viewer, comment, root))
        if content == comment.content:
            return comment
        CommentRevision.objects.create(comment=comment, content=comment.content, edited_by=user)
        comment.content = content
        comment.edited_at = timezone.now()
        comment.edited_by = user
        comment.save(update_fields=["content", "edited_at", "edited_by", "updated_at"])
        comment_event(comment, CommentEventKind.EDITED, user)
    return comment


def comment_delete(*, user: User, comment_id: int) -> Comment:
    """Soft deletion: moderators still see the comment; a thread root with replies stays
    as a placeholder for everyone else. Deleting a deleted comment changes nothing."""
    with transaction.atomic():
        comment, root, viewer = _locked_for(user, comment_id)
        if comment.is_deleted:
            return comment
        _refuse(selectors.delete_refusal(viewer, comment, root))
        comment.deleted_at = timezone.now()
        comment.deleted_by = user
        comment.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
        comment_event(comment, CommentEventKind.DELETED, user)
    return comment


def _set_status(*, user: User, comment_id: int, status: str) -> Comment:
    with transaction.atomic():
        comment, _root, viewer = _locked_for(user, comment_id)
        _refuse(selectors.resolve_refusal(viewer, comment))
        if comment.status == status:
            return comment
        resolved = status == CommentStatus.RESOLVED
        comment.status = status
        comment.resolved_at = timezone.now() if resolved else None
        comment.resolved_by = user if resolved else None
        comment.save(update_fields=["status", "resolved_at", "resolved_by", "updated_at"])
        kind = CommentEventKind.RESOLVED if resolved else CommentEventKind.REOPENED
        comment_event(comment, kind, user)
    return comment


def comment_resolve(*, user: User, comment_id: int) -> Comment:
    """Marks the thread done (its author, the document's editors, moderators)."""
    return _set_status(user=user, comment_id=comment_id, status=CommentStatus.RESOLVED)


def comment_reopen(*, user: User, comment_id: int) -> Comment:
    """Opens a resolved thread again (the same people as resolving)."""
    return _set_status(user=user, comment_id=comment_id, status=CommentStatus.OPEN)


# --- anchors follow the text -----------------------------------------------------------------


def anchors_follow(events: list[RevisionEvent]) -> None:
    """The post-commit hook's work for one delivery (consecutive revisions of one
    document): every live anchor of the document behind them moves up to the last, and a
    thread whose passage is gone is outdated (one event each, by the revision's actor).
    Runs inside the hook's delivery transaction, so it happens exactly once.

    The feed lock comes first, before the threads are read: a comment being made right
    now has either committed (and is read here) or waits, and then reads the document at
    this revision or later, so no thread is ever left behind a revision already handled.
    """
    document_id = events[-1].document_id
    _lock_feed(document_id)
    moves = anchors.anchor_moves(events)
    if not moves:
        return
    anchors.anchor_moves_save([comment for comment, _by in moves])
    outdated = [
        _record(comment, CommentEventKind.OUTDATED, by.actor_id).pk
        for comment, by in moves
        if by is not None
    ]
    if outdated:  # one read of the text for all of them
        publish.on_commit(_publish_events, document_id, outdated)
