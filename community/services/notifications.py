"""Notifying people: one call for every event of every app.

`notify_on_commit(...)` is what services call, inside the transaction that records the
event: once it commits, a Celery task runs `notify(...)`, which writes one notification per
recipient (at most one per event key and recipient, so a retried or doubled task never
doubles one), publishes each to its recipient's open tabs (`notification` frames on the
user's topic, with the same id the API lists) and marks what is to be emailed, now or in
the daily digest, by each recipient's choice for that kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count

from accounts.models import User
from collaboration.locking import take_sqlite_write_lock
from collaboration.realtime import publish

from .. import tasks
from ..models import Delivery, EmailStatus, Notification, NotificationFeed, NotificationPreference

TITLE_MAX_CHARS = 300
BODY_MAX_CHARS = 280

_EMAIL_STATUS = {
    Delivery.LIVE: EmailStatus.NONE,
    Delivery.EMAIL: EmailStatus.PENDING,
    Delivery.DIGEST: EmailStatus.DIGEST,
}


def default_delivery(kind: str) -> str:
    """The site's choice for a kind nobody chose for (NOTIFICATION_DEFAULT_DELIVERY)."""
    return settings.NOTIFICATION_DEFAULT_DELIVERY.get(kind, Delivery.LIVE)


def deliveries(user_ids: Iterable[int], kind: str) -> dict[int, str]:
    """Each user's delivery for `kind` (their preference, else the default)."""
    user_ids = list(user_ids)
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=user_ids, kind=kind).values_list(
            "user_id", "delivery"
        )
    )
    default = default_delivery(kind)
    return {user_id: chosen.get(user_id, default) for user_id in user_ids}


def _excerpt(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def notification_frame(notification: Notification, unread_count: int) -> dict[str, Any]:
    """The `notification` frame on the user's topic (the API's item plus the count)."""
    actor = notification.actor
    return {
        "type": "notification",
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "actor": None if actor is None else {"id": actor.pk, "username": actor.username},
        "created_at": notification.created_at.isoformat().replace("+00:00", "Z"),
        "read": notification.read_at is not None,
        "unread_count": unread_count,
    }


def unread_counts(user_ids: Iterable[int]) -> dict[int, int]:
    rows = (
        Notification.objects.filter(recipient_id__in=list(user_ids), read_at__isnull=True)
        .values("recipient_id")
        .annotate(n=Count("id"))
    )
    return {row["recipient_id"]: row["n"] for row in rows}


def notify(
    *,
    recipient_ids: Iterable[int],
    kind: str,
    key: str,
    title: str,
    url: str,
    actor_id: int | None = None,
    body: str = "",
    target_type: str = "",
    target_id: int | None = None,
) -> list[Notification]:
    """Writes the event's notifications (the actor is never notified of their own act;
    inactive accounts are skipped) and answers the ones written now.

    Recipients' feed rows are locked in id order (no deadlock between two events), so
    each recipient's notification ids grow in commit order: a tab that reconnects resumes
    from the last id it saw and misses none.
    """
    wanted = {int(pk) for pk in recipient_ids} - {actor_id}
    if not wanted:
        return []
    title = _excerpt(title, TITLE_MAX_CHARS)
    body = _excerpt(body, BODY_MAX_CHARS)
    with transaction.atomic():
        active = sorted(
            User.objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True)
        )
        if not active:
            return []
        NotificationFeed.objects.bulk_create(
            [NotificationFeed(user_id=pk) for pk in active], ignore_conflicts=True
        )
        take_sqlite_write_lock(NotificationFeed, active[0])
        list(
            NotificationFeed.objects.select_for_update()
            .filter(user_id__in=active)
            .order_by("user_id")
            .values_list("user_id", flat=True)
        )
        done = set(
            Notification.objects.filter(recipient_id__in=active, key=key).values_list(
                "recipient_id", flat=True
            )
        )
        fresh = [pk for pk in active if pk not in done]
        if not fresh:
            return []
        by_user = deliveries(fresh, kind)
        created = Notification.objects.bulk_create(
            [
                Notification(
                    recipient_id=pk,
                    kind=kind,
                    actor_id=actor_id,
                    title=title,
                    body=body,
                    url=url,
                    target_type=target_type,
                    target_id=target_id,
                    key=key,
                    email_status=_EMAIL_STATUS[by_user[pk]],
                )
                for pk in fresh
            ]
        )
        actor = User.objects.filter(pk=actor_id).first() if actor_id else None
        counts = unread_counts(fresh)
        for notification in created:
            notification.actor = actor
            frame = notification_frame(notification, counts.get(notification.recipient_id, 0))
            publish.on_commit(publish.to_user, notification.recipient_id, frame)
        to_email = [n.pk for n in created if n.email_status == EmailStatus.PENDING]
        if to_email:
            transaction.on_commit(lambda: tasks.send_notification_emails.delay(to_email))
    return created


def notify_on_commit(**event: Any) -> None:
    """`notify(**event)` by a worker once the current transaction commits (call inside it;
    the event's fields must be JSON: ids, strings)."""
    transaction.on_commit(lambda: tasks.notify.delay(event))
