"""An AMA's question queue: asking, editing and withdrawing your own, up-votes, and what
the host and moderators do to it (hide, merge duplicates, "answering now", answers).

A question's score is the count of its votes, written in the same transaction as the
vote under the question's row lock, so concurrent votes never lose one. Each change
appends the question's new public state to the room log (`ama_question` frames), which
is how every open page reorders its queue.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from collaboration.permissions import is_signed_in

from ..errors import Conflict, InvalidInput, NotAllowed
from ..models import AmaQuestion, AmaQuestionStatus, AmaSession, AmaState, AmaVote
from .amas_common import (
    lock_questions,
    lock_session,
    post_question,
    post_question_deleted,
    post_state,
    require_runner,
)

CONTENT_MAX_CHARS = 2000
ANSWER_MAX_CHARS = 20_000
OPEN_FOR_QUESTIONS = (AmaState.SCHEDULED, AmaState.LIVE)


def _clean_content(content: object) -> str:
    text = str(content or "").strip()
    if not text:
        raise InvalidInput("Write your question.", field="content")
    if len(text) > CONTENT_MAX_CHARS:
        raise InvalidInput(
            f"Keep your question under {CONTENT_MAX_CHARS} characters (it has {len(text)}).",
            field="content",
        )
    return text


def _one(ama: AmaSession, question_id: int, *others: int) -> AmaQuestion:
    questions = lock_questions(ama, question_id, *others)
    if question_id not in questions:
        raise InvalidInput("No such question in this session.", field="question_id")
    return questions[question_id]


def _require_open_session(ama: AmaSession, doing: str) -> None:
    if ama.state not in OPEN_FOR_QUESTIONS:
        word = "has ended" if ama.state == AmaState.ENDED else "was cancelled"
        raise Conflict(f"The session {word}: you can no longer {doing}.")


def _rescore(question: AmaQuestion) -> None:
    question.score = AmaVote.objects.filter(question=question).count()
    question.save(update_fields=["score"])


# --- the asker -----------------------------------------------------------------------------


def question_ask(*, ama_id: int, author: User, content: object) -> AmaQuestion:
    if not is_signed_in(author):
        raise NotAllowed("Sign in to ask a question.")
    text = _clean_content(content)
    with transaction.atomic():
        ama = lock_session(ama_id)
        _require_open_session(ama, "ask questions")
        question = AmaQuestion.objects.create(session=ama, author=author, content=text)
        post_question(ama, question)
    return question


def _own_open_question(ama: AmaSession, question: AmaQuestion, user: User, doing: str) -> None:
    if not is_signed_in(user) or question.author_id != user.pk:
        raise NotAllowed(f"You can only {doing} your own questions.")
    _require_open_session(ama, doing)
    if question.status != AmaQuestionStatus.OPEN:
        raise Conflict(
            f"This question is {question.get_status_display().lower()}: "
            f"it can no longer be changed."
        )
    if ama.answering_now_id == question.pk:
        raise Conflict("The host is answering this question right now.")


def question_edit(*, ama_id: int, question_id: int, user: User, content: object) -> AmaQuestion:
    text = _clean_content(content)
    with transaction.atomic():
        ama = lock_session(ama_id)
        question = _one(ama, question_id)
        _own_open_question(ama, question, user, "edit")
        question.content = text
        question.save(update_fields=["content"])
        post_question(ama, question)
    return question


def question_delete(*, ama_id: int, question_id: int, user: User) -> None:
    with transaction.atomic():
        ama = lock_session(ama_id)
        question = _one(ama, question_id)
        _own_open_question(ama, question, user, "withdraw")
        question.delete()
        post_question_deleted(ama, question_id)


# --- votes ---------------------------------------------------------------------------------


def question_vote(*, ama_id: int, question_id: int, user: User, value: int) -> AmaQuestion:
    """1 up-votes, 0 takes the up-vote back; repeating either changes nothing."""
    if value not in (0, 1):
        raise InvalidInput("Vote 1 to up-vote or 0 to take your vote back.", field="value")
    if not is_signed_in(user):
        raise NotAllowed("Sign in to vote.")
    with transaction.atomic():
        ama = AmaSession.objects.get(pk=ama_id)
        question = _one(ama, question_id)
        if value == 1:
            _require_open_session(ama, "vote")
            if question.author_id == user.pk:
                raise NotAllowed("You cannot up-vote your own question.")
            if question.status not in (AmaQuestionStatus.OPEN, AmaQuestionStatus.ANSWERED):
                raise Conflict("This question takes no votes: it was hidden or merged.")
        had = AmaVote.objects.filter(question=question, user=user).exists()
        if had == bool(value):
            return question  # idempotent: nothing changed, no frame
        if value:
            AmaVote.objects.create(question=question, user=user)
        else:
            AmaVote.objects.filter(question=question, user=user).delete()
        _rescore(question)
        post_question(ama, question)
    return question


# --- the host and moderators ---------------------------------------------------------------


def question_hide(*, ama_id: int, question_id: int, user: User, hidden: bool = True) -> AmaQuestion:
    with transaction.atomic():
        ama = lock_session(ama_id)
        require_runner(user, ama, "hide or show questions")
        question = _one(ama, question_id)
        if question.status == AmaQuestionStatus.MERGED:
            raise Conflict("This question was merged into another one.")
        if hidden and question.status != AmaQuestionStatus.HIDDEN:
            question.status = AmaQuestionStatus.HIDDEN
        elif not hidden and question.status == AmaQuestionStatus.HIDDEN:
            question.status = (
                AmaQuestionStatus.ANSWERED if question.answered_at else AmaQuestionStatus.OPEN
            )
        else:
            return question
        question.save(update_fields=["status"])
        if hidden and ama.answering_now_id == question.pk:
            ama.answering_now = None
            ama.save(update_fields=["answering_now"])
            post_state(ama)
        post_question(ama, question)
    return question


def question_merge(*, ama_id: int, question_id: int, into_id: int, user: User) -> AmaQuestion:
    """The duplicate's voters become the target's (once each; never its author), the
    target's score is recounted, and the duplicate points at the target. The target."""
    if question_id == into_id:
        raise InvalidInput("A question cannot be merged into itself.", field="into")
    with transaction.atomic():
        ama = lock_session(ama_id)
        require_runner(user, ama, "merge questions")
        questions = lock_questions(ama, question_id, into_id)
        duplicate, target = questions.get(question_id), questions.get(into_id)
        if duplicate is None:
            raise InvalidInput("No such question in this session.", field="question_id")
        if target is None:
            raise InvalidInput("Merge into a question of this session.", field="into")
        if duplicate.status in (AmaQuestionStatus.MERGED, AmaQuestionStatus.ANSWERED):
            raise Conflict("Only a waiting or hidden question can be merged.")
        if target.status in (AmaQuestionStatus.MERGED, AmaQuestionStatus.HIDDEN):
            raise InvalidInput("Merge into a question everyone can see.", field="into")
        already = set(AmaVote.objects.filter(question=target).values_list("user_id", flat=True))
        movers = [
            vote.user_id
            for vote in AmaVote.objects.filter(question=duplicate)
            if vote.user_id not in already and vote.user_id != target.author_id
        ]
        AmaVote.objects.bulk_create([AmaVote(question=target, user_id=uid) for uid in movers])
        AmaVote.objects.filter(question=duplicate).delete()
        duplicate.status = AmaQuestionStatus.MERGED
        duplicate.merged_into = target
        duplicate.score = 0
        duplicate.save(update_fields=["status", "merged_into", "score"])
        _rescore(target)
        if ama.answering_now_id == duplicate.pk:
            ama.answering_now = target
            ama.save(update_fields=["answering_now"])
            post_state(ama)
        post_question(ama, duplicate)
        post_question(ama, target)
    return target


def question_answering(*, ama_id: int, question_id: int | None, user: User) -> AmaSession:
    """The host marks the question they are answering now (None: none)."""
    with transaction.atomic():
        ama = lock_session(ama_id)
        if not is_signed_in(user) or user.pk != ama.host_id:
            raise NotAllowed("Only the host can say which question they are answering.")
        if ama.state != AmaState.LIVE:
            raise Conflict("Questions are answered live: start the session first.")
        if question_id is not None:
            question = _one(ama, question_id)
            if question.status not in (AmaQuestionStatus.OPEN, AmaQuestionStatus.ANSWERED):
                raise Conflict("This question was hidden or merged.")
        if ama.answering_now_id != question_id:
            ama.answering_now_id = question_id
            ama.save(update_fields=["answering_now"])
            post_state(ama)
    return ama


def question_answer(*, ama_id: int, question_id: int, user: User, answer: object) -> AmaQuestion:
    """The host's written answer (Markdown), while live or afterwards for the archive."""
    text = str(answer or "").strip()
    if not text:
        raise InvalidInput("Write the answer.", field="answer")
    if len(text) > ANSWER_MAX_CHARS:
        raise InvalidInput(f"Keep the answer under {ANSWER_MAX_CHARS} characters.", "answer")
    with transaction.atomic():
        ama = lock_session(ama_id)
        if not is_signed_in(user) or user.pk != ama.host_id:
            raise NotAllowed("Only the host answers questions.")
        if ama.state not in (AmaState.LIVE, AmaState.ENDED):
            raise Conflict("Answers come once the session is live.")
        question = _one(ama, question_id)
        if question.status not in (AmaQuestionStatus.OPEN, AmaQuestionStatus.ANSWERED):
            raise Conflict("This question was hidden or merged.")
        question.answer = text
        question.status = AmaQuestionStatus.ANSWERED
        question.answered_at = question.answered_at or timezone.now()
        question.save(update_fields=["answer", "status", "answered_at"])
        if ama.answering_now_id == question.pk:
            ama.answering_now = None
            ama.save(update_fields=["answering_now"])
            post_state(ama)
        post_question(ama, question)
    return question
