"""Answering, editing and deleting answers, and the asker accepting one of them.

Accepting follows Stack Overflow: the asker may accept one answer and change their mind;
the answer's author gets REPUTATION_ANSWER_ACCEPTED (ledger source `accept:<answer id>`)
and the asker REPUTATION_ACCEPTED_ANSWER (`accept:<answer id>:by`), both reversed when
the accept moves elsewhere or is undone; accepting your own answer gives nothing.

Locks, always in this order (see `community.services.questions`): the question row, then
the answers involved, then the people whose reputation moves (by id). The question's row
lock serialises every accept of one question, so exactly one answer ends up accepted;
the partial unique constraint on Answer would refuse a second one anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from accounts.models import User

from ..errors import Conflict
from ..models import Answer, AnswerRevision, Question, ReputationReason, TargetType
from ..selectors.questions import answer_get_visible, question_get_visible
from . import badges, reputation, watches
from .questions import (
    SUMMARY_MAX_CHARS,
    check_can_accept,
    check_can_answer,
    check_can_delete_answer,
    check_can_edit,
    clean_body,
    clean_optional,
    lock_question,
)

if TYPE_CHECKING:
    from collections.abc import Iterable


def _write_revision(answer: Answer, editor: User, summary: str) -> AnswerRevision:
    last = answer.revisions.aggregate(last=Max("number"))["last"] or 0
    return AnswerRevision.objects.create(
        answer=answer, number=last + 1, content=answer.content, editor=editor, summary=summary
    )


def _lock_answer(answer_id: int) -> Answer:
    return Answer.objects.select_for_update().get(pk=answer_id)


def _lock_people(user_ids: Iterable[int | None]) -> None:
    """Row locks on these people, in id order, before any reputation line moves."""
    ids = sorted({pk for pk in user_ids if pk is not None})
    list(User.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))


def _touch(question_id: int, **changes) -> None:
    Question.objects.filter(pk=question_id).update(last_activity_at=timezone.now(), **changes)


def answer_create(*, question_id: int, author: User, content: object) -> Answer:
    """A new answer with its revision 1; the question counts it and shows the activity."""
    question_get_visible(user=author, question_id=question_id)
    content = clean_body(content, what="answer")
    with transaction.atomic():
        question = lock_question(question_id)
        check_can_answer(author, question)
        answer = Answer.objects.create(question=question, author=author, content=content)
        _write_revision(answer, author, "")
        _touch(question.pk, answer_count=F("answer_count") + 1)
        badges.schedule_check(author.pk)
        watches.on_answer_posted(answer)
    return answer


def answer_update(*, answer_id: int, user: User, content: object, summary: object = "") -> Answer:
    """Edits an answer and records the revision; an edit that changes nothing writes nothing."""
    found = answer_get_visible(user=user, answer_id=answer_id)
    content = clean_body(content, what="answer")
    summary = clean_optional(summary, "summary", max_chars=SUMMARY_MAX_CHARS)
    with transaction.atomic():
        lock_question(found.question_id)
        answer = _lock_answer(answer_id)
        check_can_edit(user, answer)
        if content == answer.content:
            return answer
        answer.content = content
        answer.edited_at = timezone.now()
        answer.edited_by = user
        answer.save(update_fields=["content", "edited_at", "edited_by", "updated_at"])
        _write_revision(answer, user, summary)
        _touch(answer.question_id)
    return answer


def answer_delete(*, answer_id: int, user: User) -> None:
    """Soft-deletes the answer (own unless accepted; moderators always, and a moderator
    deleting the accepted answer takes the accept and its reputation back)."""
    found = answer_get_visible(user=user, answer_id=answer_id)
    with transaction.atomic():
        question = lock_question(found.question_id)
        answer = _lock_answer(answer_id)
        check_can_delete_answer(user, answer)
        if answer.is_accepted:
            _lock_people([answer.author_id, question.author_id])
            _unaccept(question, answer)
        answer.deleted_at = timezone.now()
        answer.deleted_by = user
        answer.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
        Question.objects.filter(pk=question.pk, answer_count__gt=0).update(
            answer_count=F("answer_count") - 1
        )


# --- accepting -----------------------------------------------------------------------------


def _accept_sources(answer_id: int) -> tuple[str, str]:
    return f"accept:{answer_id}", f"accept:{answer_id}:by"


def _unaccept(question: Question, answer: Answer) -> None:
    """Takes the accept off `answer` and reverses its lines (every lock already held)."""
    answer.is_accepted = False
    answer.accepted_at = None
    answer.save(update_fields=["is_accepted", "accepted_at", "updated_at"])
    question.accepted_answer = None
    question.save(update_fields=["accepted_answer", "updated_at"])
    for_author, for_asker = _accept_sources(answer.pk)
    # reverse() finds nothing when no line was written (an own answer): nothing to undo.
    if answer.author_id is not None:
        reputation.reverse(user_id=answer.author_id, source=for_author)
    if question.author_id is not None:
        reputation.reverse(user_id=question.author_id, source=for_asker)


def _grant_accept(question: Question, answer: Answer, asker: User) -> None:
    if answer.author_id is None or answer.author_id == asker.pk:
        return  # no reputation for accepting your own answer
    for_author, for_asker = _accept_sources(answer.pk)
    reputation.grant(
        user_id=answer.author_id,
        amount=settings.REPUTATION_ANSWER_ACCEPTED,
        reason=ReputationReason.ANSWER_ACCEPTED,
        source=for_author,
        target_type=TargetType.ANSWER,
        target_id=answer.pk,
        actor_id=asker.pk,
    )
    reputation.grant(
        user_id=asker.pk,
        amount=settings.REPUTATION_ACCEPTED_ANSWER,
        reason=ReputationReason.ACCEPTED_ANSWER,
        source=for_asker,
        target_type=TargetType.ANSWER,
        target_id=answer.pk,
        actor_id=asker.pk,
    )


def answer_accept(*, answer_id: int, user: User) -> Answer:
    """The asker accepts this answer (moving the accept from another one if need be).

    Accepting the accepted answer again changes nothing and writes no line.
    """
    found = answer_get_visible(user=user, answer_id=answer_id)
    with transaction.atomic():
        question = lock_question(found.question_id)
        check_can_accept(user, question)
        previous = (
            Answer.objects.select_for_update()
            .filter(question=question, is_accepted=True)
            .exclude(pk=answer_id)
            .first()
        )
        answer = _lock_answer(answer_id)
        if answer.deleted_at is not None:
            raise Conflict("This answer was deleted; it cannot be accepted.")
        if answer.is_accepted:
            return answer
        _lock_people(
            [question.author_id, answer.author_id, previous.author_id if previous else None]
        )
        if previous is not None:
            # First: the constraint allows one accepted answer per question at any moment.
            _unaccept(question, previous)
        answer.is_accepted = True
        answer.accepted_at = timezone.now()
        answer.save(update_fields=["is_accepted", "accepted_at", "updated_at"])
        question.accepted_answer = answer
        question.last_activity_at = answer.accepted_at
        question.save(update_fields=["accepted_answer", "last_activity_at", "updated_at"])
        _grant_accept(question, answer, user)
        watches.on_answer_accepted(answer, by=user)
        for person in {answer.author_id, user.pk, previous.author_id if previous else None}:
            badges.schedule_check(person)
    return answer


def answer_unaccept(*, answer_id: int, user: User) -> Answer:
    """The asker takes the accept back; an answer that is not accepted stays as it is."""
    found = answer_get_visible(user=user, answer_id=answer_id)
    with transaction.atomic():
        question = lock_question(found.question_id)
        check_can_accept(user, question)
        answer = _lock_answer(answer_id)
        if not answer.is_accepted:
            return answer
        _lock_people([question.author_id, answer.author_id])
        _unaccept(question, answer)
        _touch(question.pk)
    return answer
