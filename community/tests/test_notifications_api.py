"""The notifications API: inbox, read, read-all, preferences, watches; idempotent writes."""

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from collaboration.models import Tag, Visibility
from collaboration.tests.factories import DocumentFactory
from community.models import Notification, NotificationKind, Watch, WatchLevel
from community.services.notifications import notify
from community.tests.factories import AnswerFactory, QuestionFactory
from community.tests.factories_notifications import NotificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def me():
    return UserFactory()


@pytest.fixture
def api(me) -> APIClient:
    client = APIClient()
    client.force_authenticate(me)
    return client


def test_the_list_is_newest_first_with_the_unread_count(api, me):
    old = NotificationFactory(recipient=me)
    new = NotificationFactory(recipient=me)
    NotificationFactory()  # someone else's
    body = api.get("/api/notifications").json()
    assert [n["id"] for n in body["results"]] == [new.pk, old.pk]
    assert body["unread_count"] == 2 and body["count"] == 2
    assert body["results"][0]["read"] is False


def test_unread_filter_and_marking_one_read(api, me):
    first, second = NotificationFactory(recipient=me), NotificationFactory(recipient=me)
    answer = api.post(f"/api/notifications/{first.pk}/read")
    assert answer.status_code == 200
    assert answer.json()["notification"]["read"] is True and answer.json()["unread_count"] == 1
    body = api.get("/api/notifications", {"unread": "true"}).json()
    assert [n["id"] for n in body["results"]] == [second.pk]


def test_someone_elses_notification_is_a_404_and_stays_unread(api):
    other = NotificationFactory()
    assert api.post(f"/api/notifications/{other.pk}/read").status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_read_all_leaves_what_arrived_after_the_page(api, me):
    shown = NotificationFactory(recipient=me)
    later = NotificationFactory(recipient=me)
    body = api.post("/api/notifications/read-all", {"before_id": shown.pk}, format="json").json()
    assert body == {"marked": 1, "unread_count": 1}
    later.refresh_from_db()
    assert later.read_at is None
    assert api.post("/api/notifications/read-all", {}, format="json").json()["marked"] == 1


def test_signed_out_is_401():
    assert APIClient().get("/api/notifications").status_code == 401


def test_preferences_list_every_kind_and_take_a_partial_map(api, settings):
    body = api.get("/api/notifications/preferences").json()
    assert {p["kind"] for p in body} == set(NotificationKind.values)
    badge = next(p for p in body if p["kind"] == "badge")
    assert badge["delivery"] == badge["default"] == settings.NOTIFICATION_DEFAULT_DELIVERY["badge"]
    changed = api.put(
        "/api/notifications/preferences", {"deliveries": {"badge": "digest"}}, format="json"
    ).json()
    assert next(p for p in changed if p["kind"] == "badge")["delivery"] == "digest"


@pytest.mark.parametrize(
    ("deliveries", "field"), [({"nope": "live"}, "nope"), ({"badge": "pigeon"}, "badge")]
)
def test_a_bad_kind_or_delivery_is_a_400_naming_it(api, me, deliveries, field):
    answer = api.put("/api/notifications/preferences", {"deliveries": deliveries}, format="json")
    assert answer.status_code == 400
    assert field in answer.json()["error"]["fields"]
    assert not me.notification_preferences.exists()


def test_watches_upsert_list_and_delete(api, me):
    question = QuestionFactory()
    tag = Tag.objects.create(slug="rnn", name="RNN")
    put = {"target_type": "question", "target_id": question.pk, "level": "watching"}
    assert api.put("/api/watches", put, format="json").status_code == 200
    put["level"] = "tracking"
    api.put("/api/watches", put, format="json")
    api.put("/api/watches", {"target_type": "tag", "tag": "rnn", "level": "muted"}, format="json")
    listed = api.get("/api/watches").json()
    assert {(w["target_type"], w["level"]) for w in listed} == {
        ("question", "tracking"),
        ("tag", "muted"),
    }
    tracked = next(w for w in listed if w["target_type"] == "question")
    assert tracked["unread"] == 0 and tracked["url"] == f"/questions/{question.pk}/"
    api.delete(f"/api/watches?target_type=tag&tag={tag.slug}")
    assert not Watch.objects.filter(user=me, tag=tag).exists()


def test_watching_what_you_may_not_read_is_a_404(api, me):
    private = DocumentFactory(visibility=Visibility.PRIVATE)
    put = {"target_type": "document", "target_id": private.pk, "level": "watching"}
    assert api.put("/api/watches", put, format="json").status_code == 404
    bad = api.put("/api/watches", {**put, "level": "loud"}, format="json")
    assert bad.status_code == 400 and "level" in bad.json()["error"]["fields"]
    assert not Watch.objects.filter(user=me).exists()


def test_tracking_counts_new_answers_since_last_seen(api, me):
    question = QuestionFactory()
    put = {"target_type": "question", "target_id": question.pk, "level": WatchLevel.TRACKING}
    api.put("/api/watches", put, format="json")
    AnswerFactory(question=question)
    AnswerFactory(question=question, author=me)  # your own is not news to you
    (watch,) = api.get("/api/watches").json()
    assert watch["unread"] == 1


def test_notifying_twice_with_one_key_writes_one_row(me):
    event = {"recipient_ids": [me.pk], "kind": "badge", "key": "k:1", "title": "t", "url": "/"}
    assert len(notify(**event)) == 1
    assert notify(**event) == []
    assert Notification.objects.filter(recipient=me).count() == 1


def test_the_actor_and_inactive_people_are_not_notified(me):
    gone = UserFactory(is_active=False)
    written = notify(
        recipient_ids=[me.pk, gone.pk], kind="badge", key="k", title="t", url="/", actor_id=me.pk
    )
    assert written == []
