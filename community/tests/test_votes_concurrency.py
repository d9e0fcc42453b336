"""100 people vote on one answer at the same moment (some change or take back their
vote): the score is exactly the sum of the votes and the reputation ledger agrees with
every stored figure. PostgreSQL only: that is where votes really run side by side (SQLite
takes one writer at a time)."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from accounts.tests.factories import UserFactory
from community.models import Answer, BadgeAward, Vote
from community.services import reputation, votes
from community.services.reputation import ledger_mismatches
from community.tests.factories import AnswerFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite runs one writer at a time, so nothing races there "
        "(CI runs this with DATABASE_URL set)",
    ),
    pytest.mark.django_db(transaction=True),
]

VOTERS = 100
# What each voter does, in order, by their number modulo 5.
PLANS = {
    0: [1],  # up
    1: [-1],  # down
    2: [1, -1],  # up, then changes their mind
    3: [-1, 1],  # down, then up
    4: [1, 0],  # up, then takes it back
}


def test_a_hundred_simultaneous_voters_leave_an_exact_score(settings, eager_tasks):
    settings.REPUTATION_DAILY_VOTE_CAP = 10_000  # so the author's figure is predictable
    answer = AnswerFactory()
    voters = [UserFactory() for _ in range(VOTERS)]
    for voter in voters:  # enough to down-vote, earned through the ledger
        with transaction.atomic():
            reputation.carry_over(user_id=voter.pk, reputation=settings.PRIVILEGE_DOWNVOTE + 10)
        voter.refresh_from_db()
    start = Barrier(VOTERS)

    def cast(number: int) -> list[int]:
        try:
            start.wait()
            return [
                votes.vote(
                    user=voters[number], target_type="answer", target_id=answer.pk, value=value
                ).score
                for value in PLANS[number % len(PLANS)]
            ]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=VOTERS) as pool:
        results = list(pool.map(cast, range(VOTERS)))

    assert len(results) == VOTERS  # every vote went through: no deadlock, no error
    final = {number: PLANS[number % len(PLANS)][-1] for number in range(VOTERS)}
    ups = sum(1 for value in final.values() if value == 1)
    downs = sum(1 for value in final.values() if value == -1)
    answer = Answer.objects.get(pk=answer.pk)
    assert answer.score == ups - downs
    assert answer.score == Vote.objects.filter(target_id=answer.pk).aggregate(s=Sum("value"))["s"]
    assert Vote.objects.count() == ups + downs
    assert ledger_mismatches() == []
    answer.author.refresh_from_db()
    assert answer.author.reputation == (
        settings.REPUTATION_START
        + ups * settings.REPUTATION_ANSWER_UPVOTED
        + downs * settings.REPUTATION_DOWNVOTED
    )
    for number, voter in enumerate(voters):
        voter.refresh_from_db()
        cost = settings.REPUTATION_DOWNVOTE_CAST if final[number] == -1 else 0
        assert voter.reputation == settings.PRIVILEGE_DOWNVOTE + 10 + cost, number
    # The badge checks ran concurrently too: the answer has its badge exactly once.
    assert BadgeAward.objects.filter(user=answer.author, badge="good-answer").count() == 1
