"""Notification emails: "email at once", the daily digest and one-click unsubscribe.

Exactly once, as far as mail allows: each notification is claimed under its row lock
(`select_for_update(skip_locked=True)`: a second worker skips it instead of waiting) and
marked sent in the same transaction that hands the message to the mail server. A worker
killed before that commit leaves it "pending" for the retried task (acks late) or the
sweep to send; one killed after finds it "sent" and sends nothing. Only a kill between
the server's acceptance and the commit (milliseconds) can send a message twice, and then
with the same Message-ID, which mail clients show once. The digest claims (user, day) in
DigestRun the same way, so a doubled or retried digest task sends one digest.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from collaboration.locking import take_sqlite_write_lock

from ..models import (
    Delivery,
    DigestRun,
    EmailStatus,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from .notifications import deliveries

UNSUBSCRIBE_SALT = "community.notifications.unsubscribe"
ALL_KINDS = "all"
DIGEST_MAX_ITEMS = 50
# "Email at once" left pending this long lost its task: the sweep sends it.
STALE_AFTER = timedelta(minutes=5)


# --- unsubscribe links -------------------------------------------------------------------


def unsubscribe_token(user_id: int, kind: str = ALL_KINDS) -> str:
    """A signed, salted token for "no more email of `kind`" ("all": no email at all)."""
    return signing.dumps({"u": user_id, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[User, str] | None:
    """The active user and kind the token names, or None for a bad or stale token."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        user_id, kind = int(data["u"]), str(data["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if kind != ALL_KINDS and kind not in NotificationKind.values:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    return None if user is None else (user, kind)


def unsubscribe(*, user: User, kind: str) -> list[str]:
    """Sets `kind` (or every kind) to in-app only; answers the kinds changed. Emails not
    sent yet for those kinds are skipped."""
    kinds = NotificationKind.values if kind == ALL_KINDS else [kind]
    with transaction.atomic():
        for each in kinds:
            NotificationPreference.objects.update_or_create(
                user=user, kind=each, defaults={"delivery": Delivery.LIVE}
            )
        Notification.objects.filter(
            recipient=user,
            kind__in=kinds,
            email_status__in=[EmailStatus.PENDING, EmailStatus.DIGEST],
        ).update(email_status=EmailStatus.SKIPPED)
    return list(kinds)


def unsubscribe_url(user_id: int, kind: str = ALL_KINDS) -> str:
    token = unsubscribe_token(user_id, kind)
    return settings.SITE_URL + reverse("community:notification-unsubscribe", args=[token])


def absolute(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL + url


# --- messages ----------------------------------------------------------------------------


def _message(
    *, user: User, subject: str, template: str, context: dict, kind: str, message_id: str
) -> EmailMultiAlternatives:
    one_kind = unsubscribe_url(user.pk, kind)
    context = {
        **context,
        "user": user,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "settings_url": absolute(reverse("community:notification-settings")),
        "unsubscribe_url": one_kind,
        "unsubscribe_all_url": unsubscribe_url(user.pk),
    }
    text = render_to_string(f"community/email/{template}.txt", context)
    html = render_to_string(f"community/email/{template}.html", context)
    domain = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split())[:200],
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={
            # The same notification is the same message: a duplicate shows once.
            "Message-ID": f"<{message_id}@{domain or 'localhost'}>",
            "List-Unsubscribe": f"<{one_kind}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def _reason_to_skip(notification: Notification, delivery: str) -> str | None:
    user = notification.recipient
    if not user.is_active or not user.email:
        return "no address"
    if notification.read_at is not None:
        return "read first"
    if delivery != Delivery.EMAIL:
        return "unsubscribed"
    return None


def send_notification_email(notification_id: int, connection=None) -> bool:
    """Emails one pending notification (claim, send, mark sent: one transaction); True
    when this call sent it. Sent, skipped, or claimed by another worker: nothing."""
    with transaction.atomic():
        take_sqlite_write_lock(Notification, notification_id)
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient", "actor")
            .filter(pk=notification_id, email_status=EmailStatus.PENDING)
            .first()
        )
        if notification is None:
            return False
        user = notification.recipient
        delivery = deliveries([user.pk], notification.kind)[user.pk]
        if _reason_to_skip(notification, delivery):
            notification.email_status = EmailStatus.SKIPPED
            notification.save(update_fields=["email_status"])
            return False
        message = _message(
            user=user,
            subject=notification.title,
            template="notification",
            context={"notification": notification, "link": absolute(notification.url)},
            kind=notification.kind,
            message_id=f"notification-{notification.pk}",
        )
        message.connection = connection
        message.send()
        notification.email_status = EmailStatus.SENT
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["email_status", "emailed_at"])
    return True


def send_notification_emails(ids: list[int]) -> int:
    """Emails each pending notification of `ids` (idempotent); answers how many now."""
    connection = get_connection()
    sent = 0
    for pk in sorted({int(pk) for pk in ids}):
        sent += send_notification_email(pk, connection)
    return sent


def stale_pending_ids(now: datetime | None = None, limit: int = 1000) -> list[int]:
    """ "Email at once" notifications still pending after STALE_AFTER (their task was lost)."""
    before = (now or timezone.now()) - STALE_AFTER
    return list(
        Notification.objects.filter(email_status=EmailStatus.PENDING, created_at__lt=before)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


# --- the daily digest --------------------------------------------------------------------


def digest_due(now: datetime | None = None) -> tuple[date, list[int]] | None:
    """Today's date and the users with digest notifications waiting, once the digest hour
    (NOTIFICATION_DIGEST_HOUR, UTC) has come; None before it."""
    now = now or timezone.now()
    if now.hour < settings.NOTIFICATION_DIGEST_HOUR:
        return None
    day = now.date()
    done = DigestRun.objects.filter(day=day, sent_at__isnull=False).values("user_id")
    users = (
        Notification.objects.filter(email_status=EmailStatus.DIGEST)
        .exclude(recipient_id__in=done)
        .values_list("recipient_id", flat=True)
        .distinct()
        .order_by("recipient_id")
    )
    return day, list(users)


def send_digest(*, user_id: int, day: date, connection=None) -> bool:
    """One digest email of the user's waiting notifications for `day` (at most once: the
    DigestRun row is claimed first and marked in the transaction that sends)."""
    with transaction.atomic():
        take_sqlite_write_lock(DigestRun, user_id)
        DigestRun.objects.get_or_create(user_id=user_id, day=day)
        run = (
            DigestRun.objects.select_for_update(skip_locked=True)
            .filter(user_id=user_id, day=day, sent_at__isnull=True)
            .first()
        )
        if run is None:
            return False  # sent already, or another worker is sending it
        user = User.objects.filter(pk=user_id).first()
        waiting = Notification.objects.select_for_update().filter(
            recipient_id=user_id, email_status=EmailStatus.DIGEST
        )
        unread = list(waiting.filter(read_at__isnull=True).order_by("pk"))
        if user is None or not user.is_active or not user.email or not unread:
            waiting.update(email_status=EmailStatus.SKIPPED)
            return False
        shown = unread[:DIGEST_MAX_ITEMS]
        count = len(unread)
        message = _message(
            user=user,
            subject=f"Your {settings.SITE_NAME} digest: {count} new notification"
            + ("s" if count != 1 else ""),
            template="digest",
            context={
                "items": [(n, absolute(n.url)) for n in shown],
                "count": count,
                "more": count - len(shown),
                "inbox_url": absolute(reverse("community:notification-inbox")),
                "day": day,
            },
            kind=ALL_KINDS,
            message_id=f"digest-{user_id}-{day.isoformat()}",
        )
        message.connection = connection
        message.send()
        now = timezone.now()
        waiting.filter(pk__in=[n.pk for n in unread]).update(
            email_status=EmailStatus.DIGESTED, emailed_at=now
        )
        waiting.filter(email_status=EmailStatus.DIGEST).update(email_status=EmailStatus.SKIPPED)
        run.sent_at = now
        run.notification_count = count
        run.save(update_fields=["sent_at", "notification_count"])
    return True


def send_digests(now: datetime | None = None) -> int:
    due = digest_due(now)
    if due is None:
        return 0
    day, users = due
    connection = get_connection()
    return sum(send_digest(user_id=pk, day=day, connection=connection) for pk in users)
