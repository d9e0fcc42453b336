"""The inbox, the settings page, the watch control and the header's bell."""

import pytest

from accounts.tests.factories import UserFactory
from collaboration.tests.factories import DocumentFactory
from community.models import NotificationPreference, Watch, WatchLevel
from community.tests.factories import QuestionFactory
from community.tests.factories_notifications import NotificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def me(client):
    user = UserFactory()
    client.force_login(user)
    return user


def test_the_bell_shows_the_unread_count_and_the_new_nav_links(client, me):
    NotificationFactory(recipient=me)
    NotificationFactory(recipient=me)
    page = client.get("/questions/").content.decode()
    assert 'aria-label="Notifications: 2 unread"' in page
    assert 'href="/groups/"' in page and 'href="/amas/"' in page
    assert "notifications.bundle.js" in page


def test_the_inbox_lists_unread_first_and_marks_read_on_open(client, me):
    read = NotificationFactory(recipient=me, title="Old news")
    read.read_at = read.created_at
    read.save()
    unread = NotificationFactory(recipient=me, title="Fresh news", url="/questions/")
    page = client.get("/notifications/").content.decode()
    assert page.index("Fresh news") < page.index("Old news")
    assert "nt-unread" in page and "1 unread" in page
    opened = client.get(f"/notifications/{unread.pk}/")
    assert opened.status_code == 302 and opened["Location"] == "/questions/"
    unread.refresh_from_db()
    assert unread.read_at is not None


def test_mark_all_read_from_the_inbox(client, me):
    NotificationFactory(recipient=me)
    newest = NotificationFactory(recipient=me)
    after = NotificationFactory(recipient=me)  # arrived after the page was rendered
    client.post("/notifications/read-all/", {"before_id": newest.pk})
    assert list(me.notifications.filter(read_at__isnull=True)) == [after]


def test_someone_elses_notification_cannot_be_opened(client, me):
    other = NotificationFactory()
    assert client.get(f"/notifications/{other.pk}/").status_code == 404


def test_settings_save_deliveries(client, me, settings):
    page = client.get("/notifications/settings/")
    assert page.status_code == 200 and b"How each notification reaches you" in page.content
    form = {kind: delivery for kind, delivery in settings.NOTIFICATION_DEFAULT_DELIVERY.items()}
    client.post("/notifications/settings/", {**form, "answer": "digest", "badge": "email"})
    chosen = dict(NotificationPreference.objects.filter(user=me).values_list("kind", "delivery"))
    assert chosen["answer"] == "digest" and chosen["badge"] == "email"


def test_the_question_page_has_the_watch_control_and_it_saves(client, me):
    question = QuestionFactory()
    page = client.get(f"/questions/{question.pk}/").content.decode()
    assert "Notify me about this question" in page
    client.post(
        "/notifications/watch/",
        {"target_type": "question", "target_id": question.pk, "level": "watching",
         "next": f"/questions/{question.pk}/"},
    )  # fmt: skip
    assert Watch.objects.get(user=me, question=question).level == WatchLevel.WATCHING
    settings_page = client.get("/notifications/settings/").content.decode()
    assert question.title in settings_page


def test_the_document_page_has_the_watch_control(client, me):
    document = DocumentFactory()
    page = client.get(document.get_absolute_url()).content.decode()
    assert "Notify me about this document" in page


def test_signed_out_people_are_sent_to_log_in(client):
    assert client.get("/notifications/").status_code == 302
