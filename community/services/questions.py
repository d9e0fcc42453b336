"""Asking, editing, closing and deleting questions, and the rules every Q&A action obeys.

The `check_*` functions are the one place each Q&A rule lives: services call them before
writing (under the row lock), and the API and pages ask `question_can` / `answer_can`
(the same checks, answered without raising) which buttons to show, so a button is shown
exactly when the action would be accepted.

Every edit writes a `QuestionRevision` (revision 1 is the original, written at creation),
so the history page and the API can show who changed what. Deleting is soft
(`deleted_at`); a question with answers stays, as on Stack Overflow, unless a moderator
removes it. Lock order everywhere in Q&A: the question row, then answer rows, then user
rows (by id), so two actions never wait for each other in a circle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.text import slugify

from collaboration.locking import take_sqlite_write_lock
from collaboration.markdown import table_of_contents
from collaboration.models import Document, Tag
from collaboration.permissions import is_moderator, is_signed_in, readable_documents
from collaboration.selectors.operations import document_find
from collaboration.services.validation import TAG_SLUG_RE, clean_text, contains_nul

from .. import privileges
from ..errors import CommunityError, Conflict, InvalidInput, NotAllowed
from ..models import Answer, CloseReason, Difficulty, Question, QuestionRevision
from ..selectors.questions import question_get_visible
from . import badges, watches

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from accounts.models import User

TITLE_MIN_CHARS = 10
TITLE_MAX_CHARS = 200
BODY_MIN_CHARS = 20
BODY_MAX_CHARS = 30_000  # Post.content's max_length
MAX_TAGS = 5
SUMMARY_MAX_CHARS = 300
CLOSE_NOTE_MAX_CHARS = 500
VIEW_WINDOW_SECONDS = 60 * 60  # one viewer counts once an hour per question


# --- input rules ---------------------------------------------------------------------------


def _storable(text: str) -> bool:
    """No NUL and no lone surrogate: text PostgreSQL can store and compare."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not contains_nul(text)


def _clean(value: object, field: str, *, max_chars: int, name: str) -> str:
    """Stripped text the database can store, or InvalidInput naming `field`."""
    try:
        return clean_text(value, field, max_chars=max_chars, name=name)
    except ValidationError as exc:
        raise InvalidInput(exc.message_dict[field][0], field) from None


def clean_title(value: object) -> str:
    title = " ".join(_clean(value, "title", max_chars=TITLE_MAX_CHARS * 2, name="title").split())
    if len(title) < TITLE_MIN_CHARS:
        raise InvalidInput(
            f"Write a title of at least {TITLE_MIN_CHARS} characters that sums up the question.",
            "title",
        )
    if len(title) > TITLE_MAX_CHARS:
        raise InvalidInput(f"Keep the title to {TITLE_MAX_CHARS} characters or fewer.", "title")
    return title


def clean_body(value: object, field: str = "content", *, what: str = "question") -> str:
    body = _clean(value, field, max_chars=BODY_MAX_CHARS, name=what)
    if len(body) < BODY_MIN_CHARS:
        raise InvalidInput(
            f"Your {what} is too short: write at least {BODY_MIN_CHARS} characters.", field
        )
    return body


def clean_optional(value: object, field: str, *, max_chars: int) -> str:
    """A short optional text (edit summary, close note): "" when absent."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise InvalidInput("This must be plain text.", field)
    value = " ".join(value.split())
    return _clean(value, field, max_chars=max_chars, name="text") if value else ""


def clean_difficulty(value: object) -> str:
    if value not in Difficulty.values:
        raise InvalidInput(f"Choose one of: {', '.join(Difficulty.values)}.", "difficulty_level")
    return str(value)


@dataclass(frozen=True)
class _TagWish:
    slug: str
    name: str


def clean_tags(values: Iterable[object]) -> list[_TagWish]:
    """Tags named by slug ("neural-networks") or by name ("Neural networks"), deduplicated.

    Like documents, a question may bring a new tag into being; a name is kept as the new
    tag's name, a slug gets a name made from it.
    """
    wishes: dict[str, _TagWish] = {}
    for value in values:
        if not isinstance(value, str) or not _storable(value):
            raise InvalidInput("Each tag must be a word or a short name.", "tags")
        text = " ".join(value.split())
        if not text:
            continue
        if TAG_SLUG_RE.match(text):
            slug, name = text, text.replace("-", " ")
        else:
            slug = slugify(text)[:50].strip("-")
            name = text[:80]
            if not slug:
                raise InvalidInput(
                    f"“{text[:60]}” cannot be a tag: use letters, digits and hyphens.", "tags"
                )
        wishes.setdefault(slug, _TagWish(slug, name))
    if len(wishes) > MAX_TAGS:
        raise InvalidInput(f"Use at most {MAX_TAGS} tags.", "tags")
    return list(wishes.values())


def tags_for(wishes: list[_TagWish]) -> list[Tag]:
    """The tags wished for, found by slug or by name, created when missing."""
    tags = []
    for wish in wishes:
        tag = (
            Tag.objects.filter(slug=wish.slug).first()
            or Tag.objects.filter(name__iexact=wish.name).first()
        )
        if tag is None:
            # get_or_create: another request may create the same tag at the same time.
            tag, _ = Tag.objects.get_or_create(slug=wish.slug, defaults={"name": wish.name})
        tags.append(tag)
    return tags


def document_for(user, ref: object) -> Document | None:
    """The document a question is about: one `user` may read, named by id or slug."""
    if ref is None or ref == "":
        return None
    if not isinstance(ref, str | int) or isinstance(ref, bool) or not _storable(str(ref)):
        raise InvalidInput("Give the document's id or slug.", "document_id")
    document = document_find(ref=str(ref).strip(), queryset=readable_documents(user))
    if document is None:
        raise InvalidInput(
            f"There is no document “{str(ref)[:80]}” that you can read.", "document_id"
        )
    return document


def clean_section(document: Document | None, section: object) -> str:
    """A heading id of `document` (as its table of contents names it), or ""."""
    if section is None or section == "":
        return ""
    if not isinstance(section, str) or not _storable(section):
        raise InvalidInput("Give the id of a heading of the document.", "document_section")
    section = section.strip().lstrip("#")
    if document is None:
        raise InvalidInput(
            "Choose the document first, then one of its sections.", "document_section"
        )
    ids = [entry["id"] for entry in table_of_contents(document.content) if entry["id"]]
    if section not in ids:
        raise InvalidInput(
            f"“{section[:80]}” is not a section of “{document.title}”.", "document_section"
        )
    return section


# --- the rules (one place; `can_*` answers the same question without raising) --------------


def _require_signed_in(user, doing: str) -> None:
    if not is_signed_in(user) or not user.may_sign_in:
        raise NotAllowed(f"Sign in to {doing}.")


def check_can_edit(user, post: Question | Answer) -> None:
    """Own posts always; others' with EDIT_OTHERS (experts and moderators hold it)."""
    _require_signed_in(user, "edit posts")
    if post.author_id != user.pk and not is_moderator(user):
        privileges.require_privilege(user, privileges.EDIT_OTHERS)
    if post.deleted_at is not None:
        raise Conflict("This post was deleted; it cannot be edited.")
    if post.is_locked:
        raise Conflict("A moderator locked this post; it cannot be edited.")


def check_can_delete_question(user, question: Question) -> None:
    _require_signed_in(user, "delete questions")
    if question.deleted_at is not None:
        raise Conflict("This question is already deleted.")
    if is_moderator(user):
        return
    if question.author_id != user.pk:
        raise NotAllowed("Only the person who asked or a moderator may delete this question.")
    if question.is_locked:
        raise Conflict("A moderator locked this question; it cannot be deleted.")
    if question.answer_count > 0:
        raise Conflict(
            "This question has answers, so it stays: people put work into them. "
            "Edit it instead, or flag it for a moderator."
        )


def check_can_delete_answer(user, answer: Answer) -> None:
    _require_signed_in(user, "delete answers")
    if answer.deleted_at is not None:
        raise Conflict("This answer is already deleted.")
    if is_moderator(user):
        return
    if answer.author_id != user.pk:
        raise NotAllowed("Only its author or a moderator may delete this answer.")
    if answer.is_locked:
        raise Conflict("A moderator locked this answer; it cannot be deleted.")
    if answer.is_accepted:
        raise Conflict(
            "This answer was accepted, so it stays. Edit it instead, or ask a moderator."
        )


def check_can_answer(user, question: Question) -> None:
    privileges.require_privilege(user, privileges.ANSWER)
    if question.deleted_at is not None:
        raise Conflict("This question was deleted; it takes no new answers.")
    if question.is_closed:
        raise Conflict(
            "This question is closed, so it takes no new answers. "
            "It can be reopened by people with the right to close questions."
        )
    if question.is_locked:
        raise Conflict("A moderator locked this question; it takes no new answers.")


def check_can_accept(user, question: Question) -> None:
    _require_signed_in(user, "accept answers")
    if question.author_id != user.pk:
        raise NotAllowed("Only the person who asked this question can accept an answer.")
    if question.deleted_at is not None:
        raise Conflict("This question was deleted.")
    if question.is_locked:
        raise Conflict("A moderator locked this question; its accepted answer cannot change.")


def check_can_close(user, question: Question) -> None:
    privileges.require_privilege(user, privileges.CLOSE)
    if question.deleted_at is not None:
        raise Conflict("This question was deleted.")
    if question.is_locked:
        raise Conflict("A moderator locked this question.")


def allowed(check: Callable[..., None], *args: Any) -> bool:
    """Whether `check(*args)` would pass: for showing a button only when it would work."""
    try:
        check(*args)
    except CommunityError:
        return False
    return True


def question_can(user, question: Question) -> dict[str, bool]:
    """What `user` may do with the question now (the buttons pages and the API show)."""
    may_close = allowed(check_can_close, user, question)
    return {
        "edit": allowed(check_can_edit, user, question),
        "delete": allowed(check_can_delete_question, user, question),
        "answer": allowed(check_can_answer, user, question),
        "close": may_close and not question.is_closed,
        "reopen": may_close and question.is_closed,
    }


def answer_can(user, answer: Answer, question: Question) -> dict[str, bool]:
    """What `user` may do with the answer now (`question` is the answer's question)."""
    may_accept = answer.deleted_at is None and allowed(check_can_accept, user, question)
    return {
        "edit": allowed(check_can_edit, user, answer),
        "delete": allowed(check_can_delete_answer, user, answer),
        "accept": may_accept and not answer.is_accepted,
        "unaccept": may_accept and answer.is_accepted,
    }


# --- writes --------------------------------------------------------------------------------


def lock_question(question_id: int) -> Question:
    """The question, its row locked until the transaction ends. Call inside atomic()."""
    take_sqlite_write_lock(Question, question_id)
    return Question.objects.select_for_update().get(pk=question_id)


def _write_revision(question: Question, editor: User, summary: str) -> QuestionRevision:
    """The question as it now reads, as the next revision (row lock held by the caller)."""
    last = question.revisions.aggregate(last=Max("number"))["last"] or 0
    return QuestionRevision.objects.create(
        question=question,
        number=last + 1,
        title=question.title,
        content=question.content,
        tags=sorted(question.tags.values_list("slug", flat=True)),
        editor=editor,
        summary=summary,
    )


def question_create(
    *,
    author: User,
    title: object,
    content: object,
    tags: Iterable[object] = (),
    difficulty_level: object = Difficulty.BEGINNER,
    document: object = None,
    document_section: object = "",
) -> Question:
    """A new question with its revision 1. `document` is the id or slug of a document the
    author may read, `document_section` the id of one of its headings."""
    privileges.require_privilege(author, privileges.ASK)
    title = clean_title(title)
    content = clean_body(content)
    wishes = clean_tags(tags)
    difficulty = clean_difficulty(difficulty_level)
    linked = document_for(author, document)
    section = clean_section(linked, document_section)
    with transaction.atomic():
        question = Question.objects.create(
            author=author,
            title=title,
            content=content,
            difficulty_level=difficulty,
            document=linked,
            document_section=section,
            last_activity_at=timezone.now(),
        )
        question.tags.set(tags_for(wishes))
        _write_revision(question, author, "")
        badges.schedule_check(author.pk)
        watches.on_question_asked(question)
    return question


_UNCHANGED = object()


def question_update(
    *,
    question_id: int,
    user: User,
    title: object = _UNCHANGED,
    content: object = _UNCHANGED,
    tags: Any = _UNCHANGED,
    difficulty_level: object = _UNCHANGED,
    document: object = _UNCHANGED,
    document_section: object = _UNCHANGED,
    summary: object = "",
) -> Question:
    """Edits a question (fields left out stay as they are) and records the revision.

    An edit that changes nothing writes nothing. A new document without a section drops
    the old section (it belonged to the old document).
    """
    question_get_visible(user=user, question_id=question_id)  # 404 before anything else
    summary = clean_optional(summary, "summary", max_chars=SUMMARY_MAX_CHARS)
    new_title = None if title is _UNCHANGED else clean_title(title)
    new_content = None if content is _UNCHANGED else clean_body(content)
    new_tags = None if tags is _UNCHANGED else clean_tags(tags)
    new_difficulty = None if difficulty_level is _UNCHANGED else clean_difficulty(difficulty_level)
    with transaction.atomic():
        question = lock_question(question_id)
        check_can_edit(user, question)
        changed: list[str] = []
        if new_title is not None and new_title != question.title:
            question.title = new_title
            changed.append("title")
        if new_content is not None and new_content != question.content:
            question.content = new_content
            changed.append("content")
        if new_difficulty is not None and new_difficulty != question.difficulty_level:
            question.difficulty_level = new_difficulty
            changed.append("difficulty_level")
        linked = question.document
        if document is not _UNCHANGED:
            linked = document_for(user, document)
            if linked != question.document:
                question.document = linked
                changed.append("document")
                if document_section is _UNCHANGED:
                    document_section = ""
        if document_section is not _UNCHANGED:
            section = clean_section(linked, document_section)
            if section != question.document_section:
                question.document_section = section
                changed.append("document_section")
        tags_changed = False
        if new_tags is not None:
            tag_objects = tags_for(new_tags)
            if {t.pk for t in tag_objects} != set(question.tags.values_list("pk", flat=True)):
                question.tags.set(tag_objects)
                tags_changed = True
        if not changed and not tags_changed:
            return question
        now = timezone.now()
        question.edited_at = question.last_activity_at = now
        question.edited_by = user
        question.save(
            update_fields=[*changed, "edited_at", "edited_by", "last_activity_at", "updated_at"]
        )
        _write_revision(question, user, summary)
    return question


def question_delete(*, question_id: int, user: User) -> None:
    """Soft-deletes the question (own without answers; moderators always)."""
    question_get_visible(user=user, question_id=question_id)
    with transaction.atomic():
        question = lock_question(question_id)
        check_can_delete_question(user, question)
        question.deleted_at = timezone.now()
        question.deleted_by = user
        question.save(update_fields=["deleted_at", "deleted_by", "updated_at"])


def _duplicate_target(user: User, question: Question, duplicate_of: object) -> Question:
    if duplicate_of in (None, ""):
        raise InvalidInput("Say which question this one duplicates.", "duplicate_of")
    if isinstance(duplicate_of, bool) or not isinstance(duplicate_of, int | str):
        raise InvalidInput("Give the number of the other question.", "duplicate_of")
    target_id = parse_question_ref(duplicate_of)
    if target_id is None:
        raise InvalidInput("Give the number or the address of the other question.", "duplicate_of")
    if target_id == question.pk:
        raise InvalidInput("A question cannot duplicate itself.", "duplicate_of")
    target = question_get_visible(user=user, question_id=target_id, or_none=True)
    if target is None or target.deleted_at is not None:
        raise InvalidInput(f"There is no question {target_id} that you can see.", "duplicate_of")
    if target.duplicate_of_id == question.pk:
        raise InvalidInput(
            f"Question {target_id} is already closed as a duplicate of this one.", "duplicate_of"
        )
    return target


_QUESTION_URL = re.compile(r"(?:^|/)questions/(\d{1,18})(?:/|$|\?|#)")


def parse_question_ref(value: int | str) -> int | None:
    """A question id from a number, "123", or an address like /questions/123/."""
    if isinstance(value, int):
        return value if value > 0 else None
    text = value.strip()
    if text.isascii() and text.isdigit() and 0 < len(text) <= 18:
        return int(text)
    match = _QUESTION_URL.search(text)
    return int(match.group(1)) if match else None


def question_close(
    *,
    question_id: int,
    user: User,
    reason: object,
    duplicate_of: object = None,
    note: object = "",
) -> Question:
    """Closes the question (CLOSE privilege): it takes no new answers until reopened."""
    question_get_visible(user=user, question_id=question_id)
    if reason not in CloseReason.values:
        raise InvalidInput(f"Choose one of: {', '.join(CloseReason.values)}.", "reason")
    note = clean_optional(note, "note", max_chars=CLOSE_NOTE_MAX_CHARS)
    with transaction.atomic():
        question = lock_question(question_id)
        check_can_close(user, question)
        if question.is_closed:
            raise Conflict("This question is already closed.")
        target = None
        if reason == CloseReason.DUPLICATE:
            target = _duplicate_target(user, question, duplicate_of)
        elif duplicate_of not in (None, ""):
            raise InvalidInput("Only a duplicate names another question.", "duplicate_of")
        question.closed_at = timezone.now()
        question.closed_by = user
        question.close_reason = reason
        question.close_note = note
        question.duplicate_of = target
        question.save(
            update_fields=[
                "closed_at",
                "closed_by",
                "close_reason",
                "close_note",
                "duplicate_of",
                "updated_at",
            ]
        )
    return question


def question_reopen(*, question_id: int, user: User) -> Question:
    question_get_visible(user=user, question_id=question_id)
    with transaction.atomic():
        question = lock_question(question_id)
        check_can_close(user, question)
        if not question.is_closed:
            raise Conflict("This question is open already.")
        question.closed_at = None
        question.closed_by = None
        question.close_reason = ""
        question.close_note = ""
        question.duplicate_of = None
        question.last_activity_at = timezone.now()
        question.save(
            update_fields=[
                "closed_at",
                "closed_by",
                "close_reason",
                "close_note",
                "duplicate_of",
                "last_activity_at",
                "updated_at",
            ]
        )
    return question


def question_record_view(*, question_id: int, viewer: str) -> bool:
    """Counts a view of the question, once an hour per viewer (a user id or an address).

    The counter is advisory, so it needs no lock: an UPDATE with F() cannot lose a count.
    """
    if not cache.add(f"community:qview:{question_id}:{viewer}", 1, VIEW_WINDOW_SECONDS):
        return False
    Question.objects.filter(pk=question_id).update(view_count=F("view_count") + 1)
    return True
