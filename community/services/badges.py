"""Badges: which exist, and awarding them (by Celery tasks, idempotently)."""

from __future__ import annotations

from django.db import transaction

from .. import tasks


def schedule_check(user_id: int | None) -> None:
    """Asks a worker to award whatever badges the person now deserves, once the current
    transaction commits (call after any event a badge may count: a post, a vote, ...)."""
    if user_id is not None:
        transaction.on_commit(lambda: tasks.award_badges.delay(user_id))
