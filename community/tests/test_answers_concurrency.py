"""Accepts under real concurrency: the asker clicking "accept" on different answers from
many threads at once (several tabs, several daphne processes) ends with exactly one
accepted answer, and the reputation ledger agrees with everyone's stored reputation.

Needs PostgreSQL: its row locks are what the services rely on; SQLite serialises whole
transactions and would prove nothing here.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Sum

from accounts.models import User
from accounts.tests.factories import UserFactory
from community.models import Answer, Question, ReputationEvent
from community.services import answers, reputation
from community.tests.factories import AnswerFactory, QuestionFactory

pytestmark = [
    pytest.mark.skipif(
        not settings.USING_POSTGRES,
        reason="needs PostgreSQL: the accept path relies on its row locks, which SQLite "
        "does not have (CI runs it with DATABASE_URL set)",
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 24


def _accept_all_at_once(asker: User, answer_ids: list[int], *, unaccept_every: int = 0):
    """Each thread accepts one of `answer_ids` (round robin), all released together; with
    `unaccept_every`, every n-th thread takes its accept back right after."""
    start = threading.Barrier(THREADS)

    def one(index: int) -> str:
        answer_id = answer_ids[index % len(answer_ids)]
        try:
            start.wait(timeout=30)
            answers.answer_accept(answer_id=answer_id, user=asker)
            if unaccept_every and index % unaccept_every == 0:
                answers.answer_unaccept(answer_id=answer_id, user=asker)
            return "ok"
        except Exception as exc:  # reported by the assertion below
            return repr(exc)
        finally:
            connection.close()  # each thread has its own connection

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        outcomes = list(pool.map(one, range(THREADS)))
    close_old_connections()
    return outcomes


def _earned(user: User) -> int:
    return ReputationEvent.objects.filter(user=user).aggregate(total=Sum("amount"))["total"] or 0


def _setup(count: int):
    asker = UserFactory()
    question = QuestionFactory(author=asker)
    authors = [UserFactory() for _ in range(count)]
    answer_rows = [AnswerFactory(question=question, author=author) for author in authors]
    # An answer of the asker's own is in the mix: accepting it writes no lines.
    answer_rows.append(AnswerFactory(question=question, author=asker))
    return asker, question, authors, [row.pk for row in answer_rows]


def test_many_concurrent_accepts_leave_exactly_one_accepted_answer():
    asker, question, authors, answer_ids = _setup(6)

    outcomes = _accept_all_at_once(asker, answer_ids)

    assert outcomes == ["ok"] * THREADS
    accepted = list(Answer.objects.filter(question=question, is_accepted=True))
    assert len(accepted) == 1
    winner = accepted[0]
    assert Question.objects.get(pk=question.pk).accepted_answer_id == winner.pk
    assert reputation.ledger_mismatches() == []
    own = winner.author_id == asker.pk
    for author in authors:
        expected = settings.REPUTATION_ANSWER_ACCEPTED if author.pk == winner.author_id else 0
        assert _earned(author) == expected, author
    assert _earned(asker) == (0 if own else settings.REPUTATION_ACCEPTED_ANSWER)
    # Every line still in force belongs to the accepted answer.
    standing = ReputationEvent.objects.filter(reverses__isnull=True, reversed_by__isnull=True)
    expected_sources = set() if own else {f"accept:{winner.pk}", f"accept:{winner.pk}:by"}
    assert set(standing.values_list("source", flat=True)) == expected_sources


def test_concurrent_accepts_and_unaccepts_keep_the_ledger_consistent():
    asker, question, authors, answer_ids = _setup(4)

    outcomes = _accept_all_at_once(asker, answer_ids, unaccept_every=3)

    assert outcomes == ["ok"] * THREADS
    accepted = list(Answer.objects.filter(question=question, is_accepted=True))
    assert len(accepted) <= 1
    stored = Question.objects.get(pk=question.pk).accepted_answer_id
    assert stored == (accepted[0].pk if accepted else None)
    assert reputation.ledger_mismatches() == []
    total = sum(_earned(author) for author in authors) + _earned(asker)
    winner_pays = accepted and accepted[0].author_id != asker.pk
    assert total == (
        settings.REPUTATION_ANSWER_ACCEPTED + settings.REPUTATION_ACCEPTED_ANSWER
        if winner_pays
        else 0
    )
