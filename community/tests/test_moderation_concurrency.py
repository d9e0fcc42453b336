"""Flags and moderator actions arriving at the same moment, from several threads with their
own database connections (as several daphne processes would).

PostgreSQL only: SQLite serialises every writer on its one file lock, so it cannot show
whether the row lock on the item does the work. CI runs these with DATABASE_URL set.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import close_old_connections, connection
from django.http import Http404

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from community.errors import Conflict
from community.models import (
    Flag,
    FlagReason,
    HiddenReason,
    ModerationAction,
    ModerationActionKind,
    Question,
)
from community.services import moderation

from .factories import QuestionFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite runs one writer at a time, so it cannot show the "
        "row lock at work (CI runs these with DATABASE_URL set)",
    ),
    pytest.mark.django_db(transaction=True),
]


def run_together(calls: list[Callable[[], object]]) -> list[str]:
    """Runs every call at once, one thread and connection each; returns each outcome:
    "ok", "Conflict", "NotFound", or "error: ..." for anything else."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(call):
        try:
            barrier.wait(timeout=10)
            call()
            outcome = "ok"
        except Conflict:
            outcome = "Conflict"
        except Http404:
            outcome = "NotFound"
        except Exception as exc:  # pragma: no cover - reported by the assertions
            outcome = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    close_old_connections()
    return outcomes


def spam_flag(user, question):
    return lambda: moderation.flag_create(
        user=user, target_type="question", target_id=question.pk, reason=FlagReason.SPAM
    )


def test_concurrent_spam_flags_hide_the_post_exactly_once():
    question = QuestionFactory()
    flaggers = UserFactory.create_batch(8)

    outcomes = run_together([spam_flag(user, question) for user in flaggers])

    # Those that came after the hiding no longer see the post: 404 for them.
    assert set(outcomes) <= {"ok", "NotFound"}, outcomes
    assert outcomes.count("ok") >= 3
    question = Question.objects.get(pk=question.pk)
    assert (question.is_hidden, question.hidden_reason) == (True, HiddenReason.SPAM_FLAGS)
    assert ModerationAction.objects.filter(action=ModerationActionKind.HIDE).count() == 1
    assert Flag.objects.count() == outcomes.count("ok")


def test_one_person_flagging_many_times_at_once_leaves_one_flag():
    question = QuestionFactory()
    flagger = UserFactory()

    outcomes = run_together([spam_flag(flagger, question) for _ in range(6)])

    assert sorted(outcomes) == ["Conflict"] * 5 + ["ok"], outcomes
    assert Flag.objects.count() == 1


def test_two_moderators_hiding_at_once_log_one_action():
    question = QuestionFactory()
    moderators = UserFactory.create_batch(2, role=Role.MODERATOR)

    outcomes = run_together(
        [
            lambda m=m: moderation.post_hide(
                moderator=m, target_type="question", target_id=question.pk
            )
            for m in moderators
        ]
    )

    assert sorted(outcomes) == ["Conflict", "ok"], outcomes
    assert ModerationAction.objects.count() == 1
