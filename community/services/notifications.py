"""Notifying people: one call for every event of every app.

`community.tasks.notifications.notify_on_commit(...)` is what services call, inside the
transaction that records the event: once it commits, a Celery task runs `notify(...)`,
which writes one notification per recipient (at most one per event key and recipient, so
a retried or doubled task never doubles one), publishes each to its recipient's open tabs
(`notification` frames on the user's topic, with the same id the API lists) and marks what
is to be emailed, now or in the daily digest, by each recipient's choice for that kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from collaboration.locking import take_sqlite_write_lock
from collaboration.realtime import publish

from ..errors import InvalidInput
from ..models import (
    Delivery,
    EmailStatus,
    Notification,
    NotificationFeed,
    NotificationKind,
    NotificationPreference,
)

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
        # SQLite: the write lock first (a no-op UPDATE of the first recipient's row).
        take_sqlite_write_lock(User, min(wanted))
        active = sorted(
            User.objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True)
        )
        if not active:
            return []
        NotificationFeed.objects.bulk_create(
            [NotificationFeed(user_id=pk) for pk in active], ignore_conflicts=True
        )
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
        frames = []
        for notification in created:
            notification.actor = actor
            count = counts.get(notification.recipient_id, 0)
            frames.append((notification.recipient_id, notification_frame(notification, count)))
        publish.on_commit(publish.to_users, frames)
    return created


# --- the recipient's side: reading, choosing ------------------------------------------------


def mark_read(*, user: User, notification_id: int) -> Notification:
    """Marks one of the user's notifications read (again: nothing changes); Http404 for
    anyone else's. An email not sent yet is no longer sent."""
    updated = Notification.objects.filter(
        pk=notification_id, recipient=user, read_at__isnull=True
    ).update(read_at=timezone.now())
    notification = Notification.objects.filter(pk=notification_id, recipient=user).first()
    if notification is None:
        raise Http404("There is no such notification.")
    if updated:
        _skip_unsent([notification_id])
    return notification


def mark_all_read(*, user: User, before_id: int | None = None) -> int:
    """Marks the user's unread notifications read, only those up to `before_id` when given
    (what the page showed, not what arrived since); answers how many."""
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if before_id is not None:
        rows = rows.filter(pk__lte=before_id)
    ids = list(rows.values_list("pk", flat=True))
    count = Notification.objects.filter(pk__in=ids, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    _skip_unsent(ids)
    return count


def _skip_unsent(ids: list[int]) -> None:
    """Read before its email left: the email task skips it (it re-checks read_at under the
    row lock, so this is only the fast path)."""
    Notification.objects.filter(pk__in=ids, email_status=EmailStatus.PENDING).update(
        email_status=EmailStatus.SKIPPED
    )


def clean_preferences(changes: object) -> dict[str, str]:
    """{kind: delivery} checked: an unknown kind or delivery is InvalidInput naming it."""
    if not isinstance(changes, dict):
        raise InvalidInput("Send a map of kind to delivery.", field="non_field_errors")
    clean = {}
    for kind, delivery in changes.items():
        if kind not in NotificationKind.values:
            raise InvalidInput(
                f"“{str(kind)[:40]}” is not a kind of notification.", field=str(kind)[:40]
            )
        if delivery not in Delivery.values:
            raise InvalidInput(f"Choose one of: {', '.join(Delivery.values)}.", field=str(kind))
        clean[kind] = str(delivery)
    return clean


def preferences_update(*, user: User, changes: object) -> dict[str, str]:
    """Sets the deliveries given (a partial map); the others stay as they are."""
    clean = clean_preferences(changes)
    with transaction.atomic():
        for kind, delivery in clean.items():
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind, defaults={"delivery": delivery}
            )
    return clean
