"""AMAs under real concurrency: many people up-voting one question at once (and taking
votes back) leave a score equal to its votes, and the host pressing "Start" while the
beat moves the session makes one transition, announced once.

Needs PostgreSQL: its row locks are what the services rely on; SQLite serialises whole
transactions and would prove nothing here.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from accounts.tests.factories import UserFactory
from collaboration.selectors.live import room_backlog
from community.errors import Conflict
from community.models import AmaQuestion, AmaState, AmaVote
from community.services import amas as services
from community.services import amas_questions as questions
from community.tests.factories_amas import make_ama

pytestmark = [
    pytest.mark.skipif(
        not settings.USING_POSTGRES,
        reason="needs PostgreSQL: votes and moves rely on its row locks, which SQLite "
        "does not have (CI runs it with DATABASE_URL set)",
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 16


def _all_at_once(calls) -> list[str]:
    start = threading.Barrier(len(calls))

    def one(call) -> str:
        try:
            start.wait(timeout=30)
            call()
            return "ok"
        except Conflict:
            return "conflict"
        except Exception as exc:  # reported by the assertions
            return repr(exc)
        finally:
            connection.close()  # each thread has its own connection

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        outcomes = list(pool.map(one, calls))
    close_old_connections()
    return outcomes


def test_concurrent_votes_keep_the_score_equal_to_the_votes():
    ama = make_ama(state=AmaState.LIVE)
    question = questions.question_ask(ama_id=ama.pk, author=UserFactory(), content="Hot?")
    voters = UserFactory.create_batch(THREADS)

    def vote(user, value):
        return lambda: questions.question_vote(
            ama_id=ama.pk, question_id=question.pk, user=user, value=value
        )

    # Everyone up-votes twice at once; then half take it back, twice, at once.
    assert set(_all_at_once([vote(u, 1) for u in voters] * 2)) == {"ok"}
    assert set(_all_at_once([vote(u, 0) for u in voters[: THREADS // 2]] * 2)) == {"ok"}

    question = AmaQuestion.objects.get(pk=question.pk)
    assert AmaVote.objects.filter(question=question).count() == THREADS - THREADS // 2
    assert question.score == THREADS - THREADS // 2
    scores = [
        f["question"]["score"]
        for f in room_backlog(room_id=ama.room_id, after=0)
        if f["type"] == "ama_question"
    ]
    assert scores[-1] == question.score  # the last frame tells the truth


def test_the_host_and_the_beat_start_a_session_once():
    ama = make_ama(starts_in=timedelta(minutes=1))
    later = timezone.now() + timedelta(minutes=2)
    calls = [lambda: services.ama_start(ama_id=ama.pk, user=ama.host)] * (THREADS // 2) + [
        lambda: services.ama_advance(ama_id=ama.pk, now=later)
    ] * (THREADS // 2)

    outcomes = _all_at_once(calls)

    assert set(outcomes) <= {"ok", "conflict"}
    states = [f["state"] for f in room_backlog(room_id=ama.room_id, after=0)]
    assert states == ["live"]
    ama.refresh_from_db()
    assert ama.state == AmaState.LIVE
