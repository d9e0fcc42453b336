"""Flags and what moderators do about them; every moderator action leaves an audit row.

Anyone who may see a question, answer or comment may flag it once. When
`settings.SPAM_FLAGS_TO_HIDE` different people have open spam flags on an item it is
hidden (reason `spam_flags`) until a moderator decides: the item's row is locked while a
flag is written and counted, so concurrent flags hide it exactly once.

Moderator actions (dismiss, hide/unhide, delete/restore, lock/unlock, warn or suspend the
author) each run in one transaction under the item's row lock, write one
`ModerationAction` (moderator, item, its author, note) and settle the item's open flags:
dismissing marks them dismissed (and shows an item the flags hid), any other action marks
them actioned. The API and the admin both call these functions, so the rules and the log
are the same from everywhere. Comments that change visibility reach open pages live
through the comments' event feed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from accounts.services import MAX_SUSPENSION_REASON, user_suspend
from collaboration.locking import take_sqlite_write_lock
from collaboration.permissions import is_moderator

from .. import privileges
from ..errors import Conflict, InvalidInput, NotAllowed
from ..models import (
    Answer,
    Comment,
    CommentEventKind,
    Flag,
    FlagReason,
    FlagStatus,
    HiddenReason,
    ModerationAction,
    ModerationActionKind,
    Post,
    Question,
    TargetType,
)
from ..selectors import moderation as selectors
from ..targets import target_model
from . import answers, comments, questions

MAX_FLAG_TEXT = Flag._meta.get_field("text").max_length
MAX_NOTE = ModerationAction._meta.get_field("note").max_length
MAX_SUSPENSION_DAYS = 365
DEFAULT_SUSPENSION_DAYS = 7


# --- flags ------------------------------------------------------------------------------------


def _clean_flag_input(*, target_type: str, reason: str, text: str) -> str:
    if target_type not in TargetType.values:
        raise InvalidInput("Flag a question, an answer or a comment.", field="target_type")
    if reason not in FlagReason.values:
        choices = ", ".join(FlagReason.values)
        raise InvalidInput(f"Choose a reason: {choices}.", field="reason")
    text = (text or "").strip()
    if reason == FlagReason.OTHER and not text:
        raise InvalidInput("Say what is wrong, so a moderator can judge it.", field="text")
    if len(text) > MAX_FLAG_TEXT:
        raise InvalidInput(f"Keep it to {MAX_FLAG_TEXT} characters or fewer.", field="text")
    return text


def _lock_item(target_type: str, target_id: int, *, with_question: bool = False) -> Post:
    """The item, its row locked until the transaction ends (on SQLite: the write lock).

    Call first in the transaction. Http404 when there is no such item. Comments are
    locked after their document's comment feed, as every comment write does
    (`community.services.comments`). `with_question` locks an answer's question first, in
    the Q&A lock order (question, then answers; see `community.services.questions`), for
    actions that go on to change the question too.
    """
    if target_type == TargetType.COMMENT:
        # The comments' lock order: the document's comment feed, then the comment.
        return comments.comment_lock(target_id)
    model = target_model(target_type)
    if with_question and target_type == TargetType.ANSWER:
        question_id = (
            Answer.objects.filter(pk=target_id).values_list("question_id", flat=True).first()
        )
        if question_id is None:
            raise Http404("There is no such item.")
        questions.lock_question(question_id)
    take_sqlite_write_lock(model, target_id)
    item = model.objects.select_for_update().filter(pk=target_id).first()
    if item is None:
        raise Http404("There is no such item.")
    return item


@transaction.atomic
def flag_create(*, user, target_type: str, target_id: int, reason: str, text: str = "") -> Flag:
    """`user` flags an item they can see (Http404 otherwise, as if it did not exist).

    Not their own, and once per item: a second flag is a Conflict whatever became of the
    first (a moderator already weighed it). Enough open spam flags hide the item.
    """
    text = _clean_flag_input(target_type=target_type, reason=reason, text=text)
    privileges.require_privilege(user, privileges.FLAG)
    item = _lock_item(target_type, target_id)
    # Read again with its container (document, question) for the visibility rule; the
    # row lock above keeps it as it is meanwhile.
    visible = selectors.target_get_for_user(user=user, target_type=target_type, target_id=item.pk)
    if visible is None:
        raise Http404("There is no such item.")
    if item.author_id == user.pk:
        raise InvalidInput("You cannot flag your own post; edit or delete it instead.")
    earlier = Flag.objects.filter(flagger=user, target_type=target_type, target_id=item.pk).first()
    if earlier is not None:
        raise Conflict(_already_flagged(earlier))
    try:
        with transaction.atomic():
            flag = Flag.objects.create(
                flagger=user, target_type=target_type, target_id=item.pk, reason=reason, text=text
            )
    except IntegrityError:  # the unique constraint: a duplicate request got there first
        raise Conflict("You have already flagged this; moderators will look at it.") from None
    if reason == FlagReason.SPAM:
        _hide_if_spam(item=item, target_type=target_type)
    return flag


def _already_flagged(earlier: Flag) -> str:
    if earlier.status == FlagStatus.OPEN:
        return "You have already flagged this; moderators will look at it soon."
    return "You have already flagged this, and a moderator has looked at it."


def _hide_if_spam(*, item: Post, target_type: str) -> None:
    """Hides the item once enough different people flagged it as spam. Holds the item's
    row lock (taken by flag_create), so of concurrent flags exactly one hides it."""
    if item.is_hidden:
        return
    spam = selectors.flag_open_count(
        target_type=target_type, target_id=item.pk, reason=FlagReason.SPAM
    )
    if spam < settings.SPAM_FLAGS_TO_HIDE:
        return
    _set(item, is_hidden=True, hidden_reason=HiddenReason.SPAM_FLAGS)
    ModerationAction.objects.create(
        moderator=None,  # nobody: the flags did it
        action=ModerationActionKind.HIDE,
        target_type=target_type,
        target_id=item.pk,
        target_user_id=item.author_id,
        note=f"Hidden automatically: {spam} people flagged it as spam.",
    )
    _comment_changed(item, CommentEventKind.HIDDEN, actor=None)


# --- moderator actions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What a moderator action did: the item as it is now (None: it no longer exists)
    and the audit row."""

    item: Post | None
    action: ModerationAction


def _require_moderator(user) -> None:
    if not is_moderator(user):
        raise NotAllowed("Only moderators may do this.")


def _clean_note(note: str, *, required: bool, limit: int = MAX_NOTE) -> str:
    note = (note or "").strip()
    if required and not note:
        raise InvalidInput("Write a note the author will read: what was wrong.", field="note")
    if len(note) > limit:
        raise InvalidInput(f"Keep the note to {limit} characters or fewer.", field="note")
    return note


def _set(item: Post, **fields) -> None:
    """Writes just these fields and `updated_at`, and nothing else of the row (the caller
    holds its lock)."""
    fields["updated_at"] = timezone.now()
    type(item).objects.filter(pk=item.pk).update(**fields)
    for name, value in fields.items():
        setattr(item, name, value)


def _settle_flags(*, moderator, target_type: str, target_id: int, status: str) -> int:
    """Marks the item's open flags handled; the item's row lock keeps new ones out meanwhile."""
    return Flag.objects.filter(
        target_type=target_type, target_id=target_id, status=FlagStatus.OPEN
    ).update(status=status, handled_at=timezone.now(), handled_by=moderator)


def _record(*, moderator, kind: str, target_type: str, item: Post, note: str) -> ModerationAction:
    return ModerationAction.objects.create(
        moderator=moderator,
        action=kind,
        target_type=target_type,
        target_id=item.pk,
        target_user_id=item.author_id,
        note=note,
    )


def _comment_changed(item: Post, kind: str, *, actor) -> None:
    """Open pages and editors of the comment's document see it hidden, shown or deleted
    (an event on the document's comment feed, published after commit)."""
    if isinstance(item, Comment):
        comments.comment_event(item, kind, actor)


def _begin(
    *,
    moderator,
    target_type: str,
    target_id: int,
    note: str,
    note_required: bool = False,
    note_limit: int = MAX_NOTE,
) -> tuple[Post, str]:
    """Checks the moderator, then the input, then locks the item: the start of every
    action. Returns the item and the cleaned note."""
    _require_moderator(moderator)
    note = _clean_note(note, required=note_required, limit=note_limit)
    if target_type not in TargetType.values:
        raise InvalidInput("Act on a question, an answer or a comment.", field="target_type")
    return _lock_item(target_type, target_id, with_question=True), note


def _finish(*, moderator, kind: str, target_type: str, item: Post, note: str) -> Decision:
    _settle_flags(
        moderator=moderator, target_type=target_type, target_id=item.pk, status=FlagStatus.ACTIONED
    )
    action = _record(moderator=moderator, kind=kind, target_type=target_type, item=item, note=note)
    return Decision(item=item, action=action)


@transaction.atomic
def flags_dismiss(*, moderator, target_type: str, target_id: int, note: str = "") -> Decision:
    """The flags were wrong: they are dismissed, and an item they hid is shown again.

    Flags whose item is gone (a deleted document takes its comments along) are dismissed
    too, so they leave the queue; only a missing item without open flags is a 404."""
    try:
        item, note = _begin(
            moderator=moderator, target_type=target_type, target_id=target_id, note=note
        )
    except Http404:
        return _dismiss_flags_of_missing_item(
            moderator=moderator, target_type=target_type, target_id=target_id
        )
    dismissed = _settle_flags(
        moderator=moderator, target_type=target_type, target_id=item.pk, status=FlagStatus.DISMISSED
    )
    hidden_by_flags = item.is_hidden and item.hidden_reason == HiddenReason.SPAM_FLAGS
    if not dismissed and not hidden_by_flags:
        raise Conflict("There are no open flags on this post to dismiss.")
    if hidden_by_flags:
        _set(item, is_hidden=False, hidden_reason=HiddenReason.NONE)
        _comment_changed(item, CommentEventKind.SHOWN, actor=moderator)
    action = _record(
        moderator=moderator,
        kind=ModerationActionKind.DISMISS,
        target_type=target_type,
        item=item,
        note=note,
    )
    return Decision(item=item, action=action)


def _dismiss_flags_of_missing_item(*, moderator, target_type: str, target_id: int) -> Decision:
    dismissed = _settle_flags(
        moderator=moderator,
        target_type=target_type,
        target_id=target_id,
        status=FlagStatus.DISMISSED,
    )
    if not dismissed:
        raise Http404("There is no such item.")
    action = ModerationAction.objects.create(
        moderator=moderator,
        action=ModerationActionKind.DISMISS,
        target_type=target_type,
        target_id=target_id,
        note="The item no longer exists.",
    )
    return Decision(item=None, action=action)


@transaction.atomic
def post_hide(*, moderator, target_type: str, target_id: int, note: str = "") -> Decision:
    """Only the author and moderators see the post from now on. Hiding a post the flags
    hid confirms it: it stays hidden, now by a moderator's decision."""
    item, note = _begin(
        moderator=moderator, target_type=target_type, target_id=target_id, note=note
    )
    if item.is_hidden and item.hidden_reason == HiddenReason.MODERATOR:
        raise Conflict("This post is already hidden.")
    was_hidden = item.is_hidden
    _set(item, is_hidden=True, hidden_reason=HiddenReason.MODERATOR)
    if not was_hidden:  # readers already see a post the flags hid as hidden
        _comment_changed(item, CommentEventKind.HIDDEN, actor=moderator)
    return _finish(
        moderator=moderator,
        kind=ModerationActionKind.HIDE,
        target_type=target_type,
        item=item,
        note=note,
    )


@transaction.atomic
def post_unhide(*, moderator, target_type: str, target_id: int, note: str = "") -> Decision:
    """Everyone who may read the post's page sees it again."""
    item, note = _begin(
        moderator=moderator, target_type=target_type, target_id=target_id, note=note
    )
    if not item.is_hidden:
        raise Conflict("This post is not hidden.")
    _set(item, is_hidden=False, hidden_reason=HiddenReason.NONE)
    _comment_changed(item, CommentEventKind.SHOWN, actor=moderator)
    return _finish(
        moderator=moderator,
        kind=ModerationActionKind.UNHIDE,
        target_type=target_type,
        item=item,
        note=note,
    )


@transaction.atomic
def post_delete(*, moderator, target_type: str, target_id: int, note: str = "") -> Decision:
    """Soft delete: only moderators see the post, and it can be restored.

    Through the services that own each kind: Q&A keeps the answer count and takes back
    an accepted answer's accept and reputation; comments tell open pages."""
    item, note = _begin(
        moderator=moderator, target_type=target_type, target_id=target_id, note=note
    )
    if item.is_deleted:
        raise Conflict("This post is already deleted.")
    if target_type == TargetType.QUESTION:
        questions.question_delete(question_id=item.pk, user=moderator)
    elif target_type == TargetType.ANSWER:
        answers.answer_delete(answer_id=item.pk, user=moderator)
    else:
        comments.comment_delete(user=moderator, comment_id=item.pk)
    item.refresh_from_db()
    return _finish(
        moderator=moderator,
        kind=ModerationActionKind.DELETE,
        target_type=target_type,
        item=item,
        note=note,
    )


@transaction.atomic
def post_restore(*, moderator, target_type: str, target_id: int, note: str = "") -> Decision:
    """Undoes a delete; a post that is also hidden stays hidden."""
    item, note = _begin(
        moderator=moderator, target_type=target_type, target_id=target_id, note=note
    )
    if not item.is_deleted:
        raise Conflict("This post is not deleted.")
    _set(item, deleted_at=None, deleted_by=None)
    if target_type == TargetType.ANSWER:
        # The question counts its answers that are not deleted (answers.answer_delete
        # takes one off); its row is locked by _begin.
        Question.objects.filter(pk=item.question_id).update(answer_count=F("answer_count") + 1)
    kind = CommentEventKind.HIDDEN if item.is_hidden else CommentEventKind.SHOWN
    _comment_changed(item, kind, actor=moderator)
    return _finish(
        moderator=moderator,
        kind=ModerationActionKind.RESTORE,
        target_type=target_type,
        item=item,
        note=note,
    )


@transaction.atomic
def post_lock(*, moderator, target_type: str, target_id: int, note: str = "") -> Decision:
    """No more edits, answers, replies or votes on the post (it stays visible)."""
    item, note = _begin(
        moderator=moderator, target_type=target_type, target_id=target_id, note=note
    )
    if item.is_locked:
        raise Conflict("This post is already locked.")
    _set(item, is_locked=True)
    return _finish(
        moderator=moderator,
        kind=ModerationActionKind.LOCK,
        target_type=target_type,
        item=item,
        note=note,
    )


@transaction.atomic
def post_unlock(*, moderator, target_type: str, target_id: int, note: str = "") -> Decision:
    item, note = _begin(
        moderator=moderator, target_type=target_type, target_id=target_id, note=note
    )
    if not item.is_locked:
        raise Conflict("This post is not locked.")
    _set(item, is_locked=False)
    return _finish(
        moderator=moderator,
        kind=ModerationActionKind.UNLOCK,
        target_type=target_type,
        item=item,
        note=note,
    )


def _author_of(item: Post):
    if item.author_id is None:
        raise Conflict("This post's author no longer has an account.")
    return item.author


@transaction.atomic
def author_warn(*, moderator, target_type: str, target_id: int, note: str) -> Decision:
    """Records a warning about this post; its author reads it on their profile."""
    item, note = _begin(
        moderator=moderator,
        target_type=target_type,
        target_id=target_id,
        note=note,
        note_required=True,
    )
    author = _author_of(item)
    if author.pk == moderator.pk:
        raise InvalidInput("You cannot warn yourself.", field="target_id")
    return _finish(
        moderator=moderator,
        kind=ModerationActionKind.WARN,
        target_type=target_type,
        item=item,
        note=note,
    )


@transaction.atomic
def author_suspend(
    *,
    moderator,
    target_type: str,
    target_id: int,
    note: str,
    days: int = DEFAULT_SUSPENSION_DAYS,
) -> Decision:
    """Suspends the post's author for `days`, with `note` as the reason they are shown.

    Through accounts' user_suspend, so their sessions, tokens and sockets stop at once
    and its rules hold (moderators suspend only people below their role, nobody
    themselves)."""
    _require_moderator(moderator)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_SUSPENSION_DAYS:
        raise InvalidInput(f"Suspend for 1 to {MAX_SUSPENSION_DAYS} days.", field="days")
    item, note = _begin(
        moderator=moderator,
        target_type=target_type,
        target_id=target_id,
        note=note,
        note_required=True,
        note_limit=MAX_SUSPENSION_REASON,
    )
    author = _author_of(item)
    until = timezone.now() + timedelta(days=days)
    try:
        user_suspend(user=author, until=until, reason=note, by=moderator)
    except PermissionDenied as exc:
        raise NotAllowed(str(exc)) from exc
    except ValidationError as exc:
        # Only the reason can be wrong here (the end is in the future by construction).
        raise InvalidInput(" ".join(exc.messages), field="note") from exc
    return _finish(
        moderator=moderator,
        kind=ModerationActionKind.SUSPEND,
        target_type=target_type,
        item=item,
        note=f"{note} (suspended for {days} day{'s' if days != 1 else ''})",
    )


# --- one entry point for the API and the admin ------------------------------------------------

ACTIONS = {
    "dismiss": flags_dismiss,
    "hide": post_hide,
    "unhide": post_unhide,
    "delete": post_delete,
    "restore": post_restore,
    "lock": post_lock,
    "unlock": post_unlock,
    "warn": author_warn,
    "suspend": author_suspend,
}
# Actions whose note the author reads, so it is required.
NOTE_REQUIRED = frozenset({"warn", "suspend"})


def moderation_act(
    *,
    moderator,
    action: str,
    target_type: str,
    target_id: int,
    note: str = "",
    days: int | None = None,
) -> Decision:
    """Runs the moderator action named `action` (a key of ACTIONS)."""
    if action not in ACTIONS:
        raise InvalidInput(f"Choose an action: {', '.join(ACTIONS)}.", field="action")
    arguments = {
        "moderator": moderator,
        "target_type": target_type,
        "target_id": target_id,
        "note": note,
    }
    if action == "suspend":
        arguments["days"] = DEFAULT_SUSPENSION_DAYS if days is None else days
    elif days is not None:
        raise InvalidInput("Only a suspension takes a number of days.", field="days")
    return ACTIONS[action](**arguments)
