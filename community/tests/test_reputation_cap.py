"""At most REPUTATION_DAILY_VOTE_CAP a day from votes: votes beyond it give 0 (and say so
in the ledger), undoing a vote takes back exactly what it gave, and accepts and
down-votes are not capped."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from community.models import ReputationEvent, ReputationReason
from community.services import reputation, votes
from community.services.reputation import ledger_mismatches
from community.tests.factories import AnswerFactory, QuestionFactory

pytestmark = pytest.mark.django_db

START = settings.REPUTATION_START
UP = settings.REPUTATION_ANSWER_UPVOTED
CAP = settings.REPUTATION_DAILY_VOTE_CAP


def up(voter, answer, value=1):
    return votes.vote(user=voter, target_type="answer", target_id=answer.pk, value=value)


def rep(user) -> int:
    user.refresh_from_db()
    return user.reputation


@pytest.fixture
def author():
    return UserFactory()


@pytest.fixture
def answer(author):
    return AnswerFactory(author=author)


def test_upvotes_beyond_the_daily_cap_give_nothing(author, answer):
    voters = UserFactory.create_batch(CAP // UP + 2)
    for voter in voters:
        up(voter, answer)

    assert rep(author) == START + CAP
    answer.refresh_from_db()
    assert answer.score == len(voters)  # the votes count; only the reputation is capped
    last = ReputationEvent.objects.filter(user=author).order_by("-id")[:2]
    assert [line.amount for line in last] == [0, 0]
    assert all(line.capped for line in last)


def test_undoing_a_vote_beyond_the_cap_takes_back_nothing(author, answer):
    voters = UserFactory.create_batch(CAP // UP + 1)
    for voter in voters:
        up(voter, answer)

    up(voters[-1], answer, 0)  # the vote that gave 0

    assert rep(author) == START + CAP
    undo = ReputationEvent.objects.filter(user=author).order_by("-id").first()
    assert (undo.amount, undo.reverses.amount) == (0, 0)


def test_undoing_a_vote_within_the_cap_takes_back_what_it_gave_and_frees_room(author, answer):
    voters = UserFactory.create_batch(CAP // UP + 1)
    for voter in voters:
        up(voter, answer)

    up(voters[0], answer, 0)  # gave the full amount
    assert rep(author) == START + CAP - UP
    up(UserFactory(), answer)  # the room it freed is used again
    assert rep(author) == START + CAP
    assert ledger_mismatches() == []


def test_a_vote_reaching_the_cap_gives_what_is_left(settings, author, answer):
    settings.REPUTATION_DAILY_VOTE_CAP = UP + UP // 2
    for voter in UserFactory.create_batch(2):
        up(voter, answer)

    assert rep(author) == START + UP + UP // 2

    lines = list(ReputationEvent.objects.filter(user=author).order_by("id"))
    assert [line.amount for line in lines] == [UP, UP // 2]


def test_downvotes_and_accepts_are_not_capped(author, answer):
    for voter in UserFactory.create_batch(CAP // UP):
        up(voter, answer)
    assert rep(author) == START + CAP

    with transaction.atomic():  # as the Q&A service records an accept
        reputation.grant(
            user_id=author.pk,
            amount=settings.REPUTATION_ANSWER_ACCEPTED,
            reason=ReputationReason.ANSWER_ACCEPTED,
            source=f"accept:{answer.pk}",
            target_type="answer",
            target_id=answer.pk,
        )
    expert = UserFactory(role="expert")
    votes.vote(user=expert, target_type="answer", target_id=answer.pk, value=-1)

    assert rep(author) == (
        START + CAP + settings.REPUTATION_ANSWER_ACCEPTED + settings.REPUTATION_DOWNVOTED
    )


def test_the_cap_starts_again_the_next_day(author, answer):
    voters = UserFactory.create_batch(CAP // UP)
    for voter in voters:
        up(voter, answer)
    ReputationEvent.objects.filter(user=author).update(
        created_at=timezone.now() - timedelta(days=1)
    )

    up(UserFactory(), AnswerFactory(author=author))

    assert rep(author) == START + CAP + UP


def test_question_upvotes_count_towards_the_same_cap(author):
    question = QuestionFactory(author=author)
    answer = AnswerFactory(author=author)
    for voter in UserFactory.create_batch(CAP // UP):
        votes.vote(user=voter, target_type="question", target_id=question.pk, value=1)

    up(UserFactory(), answer)

    assert rep(author) == START + CAP
