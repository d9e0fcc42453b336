"""Badge tasks."""

from celery import shared_task
from django.db import OperationalError

from ..services import badges


@shared_task(
    name="community.award_badges",
    serializer="json",
    ignore_result=True,
    # A lost database connection is worth another try; the service is idempotent.
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def award_badges(user_id: int) -> list[str]:
    """Awards every badge the person deserves and has not got yet (the new slugs)."""
    return badges.award_deserved(user_id=user_id)
