"""The AMA API: scheduling (experts, ISO 8601 times with offsets), the queue with votes,
moderation and answers, FAQ entries, and every refusal as a 4xx JSON body that names the
field, leaving nothing changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration.tests.factories import DocumentFactory
from community.models import AmaQuestion, AmaSession, AmaState, FaqEntry
from community.tests.factories_amas import expert, make_ama

pytestmark = pytest.mark.django_db


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content[:400]
    return response.json()["error"]


def iso(delta: timedelta) -> str:
    return (timezone.now() + delta).replace(microsecond=0).isoformat()


def test_an_expert_schedules_over_the_api():
    host = expert()
    document = DocumentFactory(owner=host)
    response = client_for(host).post(
        "/api/amas",
        {
            "topic": "Diffusion models",
            "description": "Ask **anything**.",
            "start": "2099-01-01T18:00:00+01:00",
            "end": "2099-01-01T19:30:00+01:00",
            "document_ids": [document.pk],
        },
        format="json",
    )
    assert response.status_code == 400  # more than a year ahead
    start = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    response = client_for(host).post(
        "/api/amas",
        {
            "topic": "Diffusion models",
            "start": start.astimezone(timezone.get_fixed_timezone(60)).isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
            "document_ids": [document.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "scheduled" and body["room_id"]
    assert body["documents"] == [
        {"id": document.pk, "slug": document.slug, "title": document.title}
    ]
    assert body["host"]["username"] == host.username
    assert body["question_count"] == 0 and body["answering_now"] is None
    assert body["starts_at"].endswith(("Z", "+00:00"))
    assert AmaSession.objects.get().starts_at == start
    assert body["can"]["start"] and body["can"]["edit"]


def test_scheduling_refusals_are_json_with_fields():
    learner = UserFactory()
    payload = {"topic": "Mine", "start": iso(timedelta(hours=1)), "end": iso(timedelta(hours=2))}
    error = error_of(client_for(learner).post("/api/amas", payload, format="json"), 403)
    assert "experts" in error["message"]
    error_of(client_for().post("/api/amas", payload, format="json"), 401)
    bad = {**payload, "end": iso(timedelta(minutes=30))}
    error = error_of(client_for(expert()).post("/api/amas", bad, format="json"), 400)
    assert "end" in error["fields"]
    error = error_of(client_for(expert()).post("/api/amas", {"topic": "x"}, format="json"), 400)
    assert {"start", "end"} <= set(error["fields"])
    assert not AmaSession.objects.exists()


def test_list_filters_and_detail():
    live = make_ama(state=AmaState.LIVE, topic="Live one")
    upcoming = make_ama(topic="Soon")
    past = make_ama(state=AmaState.ENDED, topic="Done")
    client = client_for()
    ids = lambda query: [a["id"] for a in client.get(f"/api/amas{query}").json()["results"]]  # noqa: E731
    assert ids("?when=live") == [live.pk]
    assert ids("?when=upcoming") == [upcoming.pk]
    assert ids("?when=past") == [past.pk]
    assert ids(f"?host={past.host.username}") == [past.pk]
    assert ids("?state=ended") == [past.pk]
    error_of(client.get("/api/amas?when=someday"), 400)
    assert client.get(f"/api/amas/{live.pk}").json()["topic"] == "Live one"
    error_of(client.get("/api/amas/999999"), 404)


def test_host_moves_and_others_are_refused():
    ama = make_ama()
    error_of(client_for(UserFactory()).post(f"/api/amas/{ama.pk}/start"), 403)
    assert client_for(ama.host).post(f"/api/amas/{ama.pk}/start").json()["state"] == "live"
    error = error_of(client_for(ama.host).post(f"/api/amas/{ama.pk}/start"), 409)
    assert "live" in error["message"].lower()
    error_of(
        client_for(ama.host).patch(f"/api/amas/{ama.pk}", {"topic": "New"}, format="json"), 409
    )
    assert client_for(ama.host).post(f"/api/amas/{ama.pk}/end").json()["state"] == "ended"
    other = make_ama()
    assert client_for(other.host).delete(f"/api/amas/{other.pk}").status_code == 204
    other.refresh_from_db()
    assert other.state == AmaState.CANCELLED


def test_questions_votes_and_the_queue_over_the_api():
    ama = make_ama(state=AmaState.LIVE)
    alice, bob, carol = UserFactory.create_batch(3)
    url = f"/api/amas/{ama.pk}/questions"
    first = client_for(alice).post(url, {"content": "First?"}, format="json").json()
    second = client_for(bob).post(url, {"content": "Second?"}, format="json").json()
    assert first["status"] == "open" and first["author"]["username"] == alice.username

    response = client_for(carol).post(f"{url}/{second['id']}/vote", {"value": 1}, format="json")
    assert response.status_code == 200
    assert (response.json()["score"], response.json()["my_vote"]) == (1, 1)
    again = client_for(carol).post(f"{url}/{second['id']}/vote", {"value": 1}, format="json")
    assert again.json()["score"] == 1

    listed = client_for(carol).get(url).json()["results"]
    assert [q["id"] for q in listed] == [second["id"], first["id"]]
    assert [q["my_vote"] for q in listed] == [1, 0]

    error = error_of(
        client_for(bob).post(f"{url}/{second['id']}/vote", {"value": 1}, format="json"), 403
    )
    assert "own" in error["message"]
    error = error_of(
        client_for(carol).post(f"{url}/{second['id']}/vote", {"value": 5}, format="json"), 400
    )
    assert "value" in error["fields"]
    error = error_of(client_for(alice).post(url, {"content": ""}, format="json"), 400)
    assert "content" in error["fields"]
    error_of(client_for().post(url, {"content": "anon?"}, format="json"), 401)
    assert AmaQuestion.objects.count() == 2

    client_for(ama.host).post(f"/api/amas/{ama.pk}/end")
    error = error_of(client_for(alice).post(url, {"content": "Late?"}, format="json"), 409)
    assert "ended" in error["message"]


def test_edit_and_withdraw_own_question():
    ama = make_ama(state=AmaState.LIVE)
    author = UserFactory()
    url = f"/api/amas/{ama.pk}/questions"
    question = client_for(author).post(url, {"content": "Typo?"}, format="json").json()
    error_of(
        client_for(UserFactory()).patch(f"{url}/{question['id']}", {"content": "x"}, format="json"),
        403,
    )
    edited = client_for(author).patch(
        f"{url}/{question['id']}", {"content": "Fixed?"}, format="json"
    )
    assert edited.json()["content"] == "Fixed?"
    assert client_for(author).delete(f"{url}/{question['id']}").status_code == 204
    error_of(client_for(author).get(f"{url}/{question['id']}"), 404)


def test_moderation_answers_and_faq_over_the_api():
    document = DocumentFactory()
    ama = make_ama(state=AmaState.LIVE, documents=[document])
    url = f"/api/amas/{ama.pk}/questions"
    asker = UserFactory()
    keep = client_for(asker).post(url, {"content": "Keep?"}, format="json").json()
    dup = client_for(UserFactory()).post(url, {"content": "Keep??"}, format="json").json()
    spam = client_for(UserFactory()).post(url, {"content": "Buy now"}, format="json").json()
    client_for(UserFactory()).post(f"{url}/{dup['id']}/vote", {"value": 1}, format="json")
    moderator = UserFactory(role=Role.MODERATOR)

    error_of(client_for(asker).post(f"{url}/{spam['id']}/hide"), 403)
    assert client_for(moderator).post(f"{url}/{spam['id']}/hide").json()["status"] == "hidden"
    error_of(client_for(UserFactory()).get(f"{url}/{spam['id']}"), 404)
    merged = client_for(moderator).post(
        f"{url}/{dup['id']}/merge", {"into": keep["id"]}, format="json"
    )
    assert merged.json()["id"] == keep["id"] and merged.json()["score"] == 1
    error = error_of(
        client_for(moderator).post(f"{url}/{keep['id']}/merge", {"into": 999999}, format="json"),
        400,
    )
    assert "into" in error["fields"]

    now = client_for(ama.host).post(f"{url}/{keep['id']}/answering", {}, format="json")
    assert now.json()["answering_now"] == keep["id"]
    answered = (
        client_for(ama.host)
        .post(
            f"{url}/{keep['id']}/answer",
            {"answer": "Yes, <script>x</script>**keep**"},
            format="json",
        )
        .json()
    )
    assert answered["status"] == "answered" and "<strong>keep</strong>" in answered["answer_html"]
    assert "<script>" not in answered["answer_html"]

    faq_url = f"/api/amas/{ama.pk}/faq"
    error_of(client_for(ama.host).post(faq_url, {"question_ids": [keep["id"]]}, format="json"), 409)
    client_for(ama.host).post(f"/api/amas/{ama.pk}/end")
    made = client_for(ama.host).post(faq_url, {"question_ids": [keep["id"]]}, format="json")
    assert made.status_code == 200 and len(made.json()) == 1
    client_for(ama.host).post(faq_url, {"question_ids": [keep["id"]]}, format="json")
    assert FaqEntry.objects.count() == 1
    listed = client_for().get(f"/api/documents/{document.slug}/faq").json()["results"]
    assert [e["question"] for e in listed] == ["Keep?"] and listed[0]["ama_id"] == ama.pk
    error_of(client_for(UserFactory()).delete(f"/api/faq/{listed[0]['id']}"), 403)
    assert client_for(ama.host).delete(f"/api/faq/{listed[0]['id']}").status_code == 204
    error_of(client_for().get("/api/documents/no-such-doc/faq"), 404)


def test_remind_me():
    ama = make_ama()
    user = UserFactory()
    response = client_for(user).post(f"/api/amas/{ama.pk}/remind", {}, format="json")
    assert response.json() == {"following": True}
    assert ama.followers.filter(pk=user.pk).exists()
    client_for(user).post(f"/api/amas/{ama.pk}/remind", {"follow": False}, format="json")
    assert not ama.followers.exists()
