"""Emails: at once, in the daily digest, never twice, and one-click unsubscribe."""

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.utils import timezone

from accounts.tests.factories import UserFactory
from community.models import DigestRun, EmailStatus, Notification, NotificationPreference
from community.services import notification_email as email
from community.services.notifications import notify
from community.tasks import notifications as notification_tasks

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://docs.example.org"
    settings.NOTIFICATION_DIGEST_HOUR = 7


def event(user_ids, kind="answer", key="answer:1", **extra):
    return {
        "recipient_ids": user_ids,
        "kind": kind,
        "key": key,
        "title": "ada answered your question “What is attention?”",
        "url": "/answers/1/",
        "body": "Attention weighs the values by how well keys match the query.",
        **extra,
    }


def test_email_now_is_sent_once_with_a_link_and_unsubscribe_headers(eager_tasks):
    ben = UserFactory(email="ben@example.org")
    # The notify task writes the notification and queues its email.
    assert notification_tasks.notify(event([ben.pk])) == 1
    note = Notification.objects.get(recipient=ben)
    (message,) = mail.outbox
    assert message.to == ["ben@example.org"]
    assert message.subject == "ada answered your question “What is attention?”"
    assert "https://docs.example.org/answers/1/" in message.body
    html, _ = message.alternatives[0]
    assert "https://docs.example.org/answers/1/" in html
    assert message.extra_headers["List-Unsubscribe"].startswith(
        "<https://docs.example.org/notifications/unsubscribe/"
    )
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    note.refresh_from_db()
    assert note.email_status == EmailStatus.SENT and note.emailed_at is not None
    # A retried or doubled task sends nothing more.
    assert email.send_notification_emails([note.pk, note.pk]) == 0
    assert len(mail.outbox) == 1


def test_no_email_without_an_address_when_read_first_or_for_live_kinds(
    django_capture_on_commit_callbacks,
):
    nobody = UserFactory(email="")
    reader = UserFactory()
    live = UserFactory()
    NotificationPreference.objects.create(user=live, kind="answer", delivery="live")
    notes = notify(**event([nobody.pk, reader.pk, live.pk]))
    Notification.objects.filter(recipient=reader).update(read_at=timezone.now())
    email.send_notification_emails([n.pk for n in notes])
    assert mail.outbox == []
    statuses = dict(Notification.objects.values_list("recipient_id", "email_status"))
    assert statuses == {
        nobody.pk: EmailStatus.SKIPPED,
        reader.pk: EmailStatus.SKIPPED,
        live.pk: EmailStatus.NONE,
    }


def test_the_digest_waits_for_its_hour_then_sends_one_email_a_day():
    ben = UserFactory()
    notify(**event([ben.pk], kind="watched_question", key="q:1"))
    notify(**event([ben.pk], kind="watched_question", key="q:2"))
    early = datetime(2026, 5, 4, 6, 59, tzinfo=UTC)
    assert email.send_digests(now=early) == 0 and mail.outbox == []
    later = datetime(2026, 5, 4, 7, 0, tzinfo=UTC)
    assert email.send_digests(now=later) == 1
    assert email.send_digests(now=later) == 0  # doubled beat run: still one
    (message,) = mail.outbox
    assert message.subject.endswith("2 new notifications")
    assert message.body.count("https://docs.example.org/answers/1/") == 2
    assert set(Notification.objects.values_list("email_status", flat=True)) == {
        EmailStatus.DIGESTED
    }
    run = DigestRun.objects.get(user=ben)
    assert run.notification_count == 2 and run.sent_at is not None
    # Something new the same day waits for tomorrow's digest.
    notify(**event([ben.pk], kind="watched_question", key="q:3"))
    assert email.send_digests(now=later) == 0
    tomorrow = datetime(2026, 5, 5, 8, 0, tzinfo=UTC)
    assert email.send_digests(now=tomorrow) == 1 and len(mail.outbox) == 2


def test_unsubscribe_asks_on_get_and_applies_on_post(client):
    ben = UserFactory()
    url = email.unsubscribe_url(ben.pk, "answer").removeprefix("https://docs.example.org")
    page = client.get(url)
    assert page.status_code == 200 and b"Unsubscribe?" in page.content
    assert not NotificationPreference.objects.filter(user=ben).exists()  # GET changes nothing
    done = client.post(url)
    assert b"You are unsubscribed" in done.content
    assert NotificationPreference.objects.get(user=ben, kind="answer").delivery == "live"


def test_one_click_unsubscribe_from_the_mail_client_for_all_email(client):
    ben = UserFactory()
    url = email.unsubscribe_url(ben.pk).removeprefix("https://docs.example.org")
    pending = notify(**event([ben.pk], kind="mention", key="m:1"))
    answer = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    assert set(
        NotificationPreference.objects.filter(user=ben).values_list("delivery", flat=True)
    ) == {"live"}
    pending[0].refresh_from_db()
    assert pending[0].email_status == EmailStatus.SKIPPED  # not sent after unsubscribing


def test_a_forged_unsubscribe_token_changes_nothing(client):
    ben = UserFactory()
    token = email.unsubscribe_token(ben.pk, "answer")
    answer = client.post(f"/notifications/unsubscribe/{token[:-2]}xx/")
    assert answer.status_code == 404
    assert not NotificationPreference.objects.exists()
