"""Study group tasks."""

from celery import shared_task
from django.db import OperationalError

from ..services import groups_meetups


@shared_task(
    name="community.remind_meetups",
    serializer="json",
    ignore_result=True,
    # A lost connection is worth another try: claimed meetups are never claimed twice.
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def remind_meetups() -> int:
    """Reminds members of meetups starting soon (beat: every minute); how many now."""
    return groups_meetups.meetups_remind()
