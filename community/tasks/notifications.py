"""Notification tasks: writing an event's notifications, emails and the daily digest."""

from typing import Any

from celery import shared_task
from django.db import OperationalError, transaction

from ..models import EmailStatus
from ..services import notification_email, notifications


@shared_task(
    name="community.notify",
    serializer="json",
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def notify(event: dict) -> int:
    """Writes one event's notifications (idempotent: one per event key and recipient),
    queues the "email at once" ones; answers how many were written now."""
    created = notifications.notify(**event)
    to_email = [n.pk for n in created if n.email_status == EmailStatus.PENDING]
    if to_email:
        send_notification_emails.delay(to_email)
    return len(created)


def notify_on_commit(**event: Any) -> None:
    """What services call for every event, inside the transaction that records it: once it
    commits, a worker runs `notify(event)` (the event's fields must be JSON: ids, strings).
    If the email task is lost with its worker, send_pending_emails (beat) sends them."""
    transaction.on_commit(lambda: notify.delay(event))


@shared_task(
    name="community.send_notification_emails",
    serializer="json",
    ignore_result=True,
    autoretry_for=(OperationalError, OSError),
    retry_backoff=True,
    max_retries=8,
)
def send_notification_emails(ids: list[int]) -> int:
    """Emails these "email at once" notifications (each at most once; see
    community.services.notification_email); answers how many were sent now."""
    return notification_email.send_notification_emails(ids)


@shared_task(
    name="community.send_pending_emails",
    serializer="json",
    ignore_result=True,
    autoretry_for=(OperationalError, OSError),
    retry_backoff=True,
    max_retries=3,
)
def send_pending_emails() -> int:
    """The sweep (beat): sends what a lost task left pending."""
    return notification_email.send_notification_emails(notification_email.stale_pending_ids())


@shared_task(
    name="community.send_digests",
    serializer="json",
    ignore_result=True,
    autoretry_for=(OperationalError, OSError),
    retry_backoff=True,
    max_retries=3,
)
def send_digests() -> int:
    """Hourly (beat): today's digests once NOTIFICATION_DIGEST_HOUR has come, one per user
    and day however often it runs."""
    return notification_email.send_digests()
