"""Celery tasks of the community app: badges (and, later, notifications)."""

from celery import shared_task


@shared_task(name="community.award_badges")
def award_badges(user_id: int) -> list[str]:
    """Awards every badge the person deserves and has not got yet (filled in by badges)."""
    return []
