"""The AMA queue: asking before and during (not after), your own question's edits,
up-votes (idempotent, never your own, ordered by votes then age), hiding, merging
duplicates (votes move, never twice), "answering now" and answers; every change is a
frame in the room log, in commit order, that carries the question's new state."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration.selectors.live import room_backlog
from community.errors import Conflict, InvalidInput, NotAllowed
from community.models import AmaQuestion, AmaQuestionStatus, AmaState, AmaVote
from community.selectors import amas as selectors
from community.services import amas as services
from community.services import amas_questions as questions
from community.tests.factories_amas import make_ama

pytestmark = pytest.mark.django_db


def ask(ama, text="What is attention?", author=None):
    return questions.question_ask(ama_id=ama.pk, author=author or UserFactory(), content=text)


def vote(ama, question, user, value=1):
    return questions.question_vote(ama_id=ama.pk, question_id=question.pk, user=user, value=value)


def queue_ids(ama, user=None):
    return [q.pk for q in selectors.question_queue(user=user or UserFactory(), ama=ama)]


# --- asking --------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [AmaState.SCHEDULED, AmaState.LIVE])
def test_anyone_signed_in_asks_before_and_during(state):
    ama = make_ama(state=state)
    question = ask(ama, "  How do heads differ?  ")
    assert question.content == "How do heads differ?"
    assert question.status == AmaQuestionStatus.OPEN


@pytest.mark.parametrize(
    ("state", "words"), [(AmaState.ENDED, "ended"), (AmaState.CANCELLED, "cancelled")]
)
def test_no_questions_after_the_end(state, words):
    ama = make_ama(state=state)
    with pytest.raises(Conflict, match=words):
        ask(ama)
    assert not AmaQuestion.objects.exists()


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001])
def test_question_length_is_checked(text):
    with pytest.raises(InvalidInput) as refused:
        ask(make_ama(), text)
    assert refused.value.field == "content"


def test_the_author_edits_and_withdraws_their_own_open_question_only():
    ama = make_ama(state=AmaState.LIVE)
    author = UserFactory()
    question = ask(ama, author=author)
    with pytest.raises(NotAllowed):
        questions.question_edit(
            ama_id=ama.pk, question_id=question.pk, user=UserFactory(), content="Hijacked"
        )
    questions.question_edit(
        ama_id=ama.pk, question_id=question.pk, user=author, content="Better wording?"
    )
    question.refresh_from_db()
    assert question.content == "Better wording?"
    questions.question_answer(ama_id=ama.pk, question_id=question.pk, user=ama.host, answer="A")
    with pytest.raises(Conflict):
        questions.question_delete(ama_id=ama.pk, question_id=question.pk, user=author)
    other = ask(ama, author=author)
    questions.question_delete(ama_id=ama.pk, question_id=other.pk, user=author)
    assert not AmaQuestion.objects.filter(pk=other.pk).exists()


# --- votes ---------------------------------------------------------------------------------


def test_votes_are_idempotent_and_can_be_taken_back():
    ama = make_ama(state=AmaState.LIVE)
    question = ask(ama)
    fan = UserFactory()
    assert vote(ama, question, fan).score == 1
    assert vote(ama, question, fan).score == 1
    assert AmaVote.objects.filter(question=question).count() == 1
    assert vote(ama, question, fan, 0).score == 0
    assert vote(ama, question, fan, 0).score == 0


def test_no_vote_on_your_own_question_nor_after_the_end():
    ama = make_ama(state=AmaState.LIVE)
    author = UserFactory()
    question = ask(ama, author=author)
    with pytest.raises(NotAllowed, match="own"):
        vote(ama, question, author)
    with pytest.raises(InvalidInput):
        vote(ama, question, UserFactory(), value=2)
    services.ama_end(ama_id=ama.pk, user=ama.host)
    with pytest.raises(Conflict, match="ended"):
        vote(ama, question, UserFactory())


def test_the_queue_is_ordered_by_votes_then_oldest_first():
    ama = make_ama(state=AmaState.LIVE)
    first, second, third = ask(ama, "one"), ask(ama, "two"), ask(ama, "three")
    assert queue_ids(ama) == [first.pk, second.pk, third.pk]
    vote(ama, third, UserFactory())
    assert queue_ids(ama) == [third.pk, first.pk, second.pk]
    vote(ama, second, UserFactory())
    # Equal votes: the older question first; the one without votes last.
    assert queue_ids(ama) == [second.pk, third.pk, first.pk]


# --- hide, merge, answer -------------------------------------------------------------------


def test_hidden_questions_are_seen_by_the_host_moderators_and_their_author_only():
    ama = make_ama(state=AmaState.LIVE)
    author = UserFactory()
    question = ask(ama, "spam spam", author=author)
    with pytest.raises(NotAllowed):
        questions.question_hide(ama_id=ama.pk, question_id=question.pk, user=UserFactory())
    questions.question_hide(ama_id=ama.pk, question_id=question.pk, user=ama.host)
    assert queue_ids(ama) == []
    assert queue_ids(ama, author) == [question.pk]
    assert queue_ids(ama, ama.host) == [question.pk]
    assert queue_ids(ama, UserFactory(role=Role.MODERATOR)) == [question.pk]
    with pytest.raises(Conflict):
        vote(ama, question, UserFactory())
    questions.question_hide(ama_id=ama.pk, question_id=question.pk, user=ama.host, hidden=False)
    assert queue_ids(ama) == [question.pk]


def test_merge_moves_the_voters_to_the_target_without_double_votes():
    ama = make_ama(state=AmaState.LIVE)
    target_author = UserFactory()
    target, duplicate = ask(ama, "Why √d?", author=target_author), ask(ama, "why sqrt d??")
    both, only_dup, only_target = UserFactory.create_batch(3)
    for user in (both, only_target):
        vote(ama, target, user)
    for user in (both, only_dup, target_author):
        vote(ama, duplicate, user)
    moderator = UserFactory(role=Role.MODERATOR)

    merged_target = questions.question_merge(
        ama_id=ama.pk, question_id=duplicate.pk, into_id=target.pk, user=moderator
    )

    duplicate.refresh_from_db()
    assert duplicate.status == AmaQuestionStatus.MERGED and duplicate.merged_into_id == target.pk
    voters = set(AmaVote.objects.filter(question=target).values_list("user_id", flat=True))
    assert voters == {both.pk, only_dup.pk, only_target.pk}  # never the target's author
    assert merged_target.score == 3
    assert not AmaVote.objects.filter(question=duplicate).exists()
    assert queue_ids(ama) == [target.pk]
    with pytest.raises(Conflict):
        questions.question_merge(
            ama_id=ama.pk, question_id=duplicate.pk, into_id=target.pk, user=moderator
        )
    with pytest.raises(InvalidInput):
        questions.question_merge(
            ama_id=ama.pk, question_id=target.pk, into_id=target.pk, user=moderator
        )


def test_the_host_marks_answering_now_and_answers():
    ama = make_ama(state=AmaState.LIVE)
    question = ask(ama)
    with pytest.raises(NotAllowed):
        questions.question_answering(ama_id=ama.pk, question_id=question.pk, user=UserFactory())
    questions.question_answering(ama_id=ama.pk, question_id=question.pk, user=ama.host)
    ama.refresh_from_db()
    assert ama.answering_now_id == question.pk
    with pytest.raises(NotAllowed):
        questions.question_answer(
            ama_id=ama.pk, question_id=question.pk, user=UserFactory(), answer="No"
        )
    answered = questions.question_answer(
        ama_id=ama.pk, question_id=question.pk, user=ama.host, answer="It **weighs** tokens."
    )
    ama.refresh_from_db()
    assert answered.status == AmaQuestionStatus.ANSWERED and answered.answered_at
    assert ama.answering_now_id is None


def test_every_change_is_a_frame_in_the_room_log_in_order():
    ama = make_ama(state=AmaState.LIVE)
    first, second = ask(ama, "first"), ask(ama, "second")
    vote(ama, second, UserFactory())
    questions.question_answering(ama_id=ama.pk, question_id=second.pk, user=ama.host)
    questions.question_answer(ama_id=ama.pk, question_id=second.pk, user=ama.host, answer="Yes.")
    questions.question_hide(ama_id=ama.pk, question_id=first.pk, user=ama.host)

    events = [
        (f["type"], f.get("question", {}).get("id"), f.get("question", {}).get("score"))
        for f in room_backlog(room_id=ama.room_id, after=0)
    ]
    assert events == [
        ("ama_state", None, None),  # live
        ("ama_question", first.pk, 0),
        ("ama_question", second.pk, 0),
        ("ama_question", second.pk, 1),
        ("ama_state", None, None),  # answering now
        ("ama_state", None, None),  # answered: nobody now
        ("ama_question", second.pk, 1),
        ("ama_question", first.pk, 0),
    ]
    ids = [f["id"] for f in room_backlog(room_id=ama.room_id, after=0)]
    assert ids == sorted(ids)
    last = room_backlog(room_id=ama.room_id, after=0)[-1]["question"]
    assert last["status"] == "hidden" and last["content"] == "" and last["author"] is None
    answered = room_backlog(room_id=ama.room_id, after=0)[-2]["question"]
    assert answered["status"] == "answered" and "<p>Yes.</p>" in answered["answer_html"]
    # A reconnecting page asks for what came after the last id it saw: nothing twice.
    assert room_backlog(room_id=ama.room_id, after=ids[3])[0]["id"] == ids[4]
