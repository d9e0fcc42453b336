"""Notification tasks: writing an event's notifications, emails and the daily digest."""

from celery import shared_task
from django.db import OperationalError

from ..services import notifications


@shared_task(
    name="community.notify",
    serializer="json",
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def notify(event: dict) -> int:
    """Writes one event's notifications (idempotent: one per event key and recipient);
    answers how many were written now."""
    return len(notifications.notify(**event))
