"""Badges: awarding them (by Celery tasks, idempotently). The badges themselves are
defined in `community.badges`."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User

from ..badges import BADGES
from ..models import BadgeAward
from ..tasks import badges as badge_tasks
from . import watches


def schedule_check(user_id: int | None) -> None:
    """Asks a worker to award whatever badges the person now deserves, once the current
    transaction commits (call after any event a badge may count: a post, a vote, ...)."""
    if user_id is not None:
        transaction.on_commit(lambda: badge_tasks.award_badges.delay(user_id))


def award_deserved(*, user_id: int) -> list[str]:
    """Awards every badge the person has earned and not got yet; answers the slugs of
    the awards made now (a slug once per item for per-item badges).

    Idempotent, also when two workers run it at once (a retried task, two events close
    together): the unique (user, badge, target) constraint lets one insert win and the
    other find the row, so nobody is awarded twice. Badges are never taken back.
    """
    if not User.objects.filter(pk=user_id).exists():
        return []  # the account was deleted after the task was queued
    have = set(
        BadgeAward.objects.filter(user_id=user_id).values_list("badge", "target_type", "target_id")
    )
    awarded = []
    for badge in BADGES:
        for target_id in badge.earned(user_id):
            if (badge.slug, badge.target_type, target_id) in have:
                continue
            _award, created = BadgeAward.objects.get_or_create(
                user_id=user_id,
                badge=badge.slug,
                target_type=badge.target_type,
                target_id=target_id,
                defaults={"level": badge.level},
            )
            if created:
                awarded.append(badge.slug)
                watches.on_badge_awarded(_award)
    return awarded
