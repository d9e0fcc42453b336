"""AMA pages: the list, scheduling (experts; local time in a chosen zone), the live page
with its queue, controls by role and the chat, every button as a form that works without
JavaScript, and the archive after the end."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration.tests.factories import DocumentFactory
from community.models import AmaQuestion, AmaSession, AmaState, FaqEntry
from community.services import amas_questions as questions
from community.tests.factories_amas import expert, make_ama

pytestmark = pytest.mark.django_db


def page_data(response) -> dict:
    found = re.search(
        r'<script id="ama-data" type="application/json">(.*?)</script>', response.content.decode()
    )
    return json.loads(found.group(1))


def test_the_list_shows_live_upcoming_and_past(client):
    make_ama(state=AmaState.LIVE, topic="Live session")
    make_ama(topic="Upcoming session")
    make_ama(state=AmaState.ENDED, topic="Past session")
    text = client.get("/amas/").content.decode()
    assert text.index("Live session") < text.index("Upcoming session") < text.index("Past session")
    assert "Host an AMA" not in text


def test_experts_schedule_in_their_time_zone(client):
    host = expert()
    client.force_login(host)
    assert client.get("/amas/new/").status_code == 200
    day = (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%d")
    response = client.post(
        "/amas/new/",
        {
            "topic": "Tokenizers",
            "description": "",
            "start": f"{day}T18:00",
            "end": f"{day}T19:00",
            "time_zone": "Europe/Berlin",
        },
    )
    ama = AmaSession.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/amas/{ama.pk}/"
    berlin = ama.starts_at.astimezone(timezone.get_fixed_timezone(0))
    assert berlin.hour in (16, 17)  # 18:00 in Berlin is 17:00 UTC in winter, 16:00 in summer


def test_the_form_shows_errors_next_to_the_field(client):
    client.force_login(expert())
    day = (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%d")
    response = client.post(
        "/amas/new/",
        {"topic": "Tokenizers", "start": f"{day}T18:00", "end": f"{day}T17:00", "time_zone": "UTC"},
    )
    assert response.status_code == 200
    assert "The end must come after the start." in response.content.decode()
    assert not AmaSession.objects.exists()


def test_learners_cannot_open_the_form(client):
    client.force_login(UserFactory())
    response = client.get("/amas/new/")
    assert response.status_code == 403
    assert "Only experts" in response.content.decode()


def test_the_live_page_shows_the_queue_controls_by_role_and_the_chat(client):
    ama = make_ama(state=AmaState.LIVE)
    author = UserFactory()
    questions.question_ask(ama_id=ama.pk, author=author, content="Low question")
    high = questions.question_ask(ama_id=ama.pk, author=UserFactory(), content="High question")
    questions.question_vote(ama_id=ama.pk, question_id=high.pk, user=UserFactory(), value=1)

    viewer = UserFactory()
    client.force_login(viewer)
    response = client.get(f"/amas/{ama.pk}/")
    text = response.content.decode()
    assert text.index("High question") < text.index("Low question")
    assert 'id="chat"' in text
    assert "End the session" not in text and "Merge into" not in text
    data = page_data(response)
    assert data["roomId"] == ama.room_id and data["since"] > 0 and data["canRun"] is False
    assert data["apiBase"] == f"/api/amas/{ama.pk}"

    client.force_login(ama.host)
    text = client.get(f"/amas/{ama.pk}/").content.decode()
    assert "End the session" in text and "Answering now" in text and "Merge into" in text


def test_buttons_work_without_javascript(client):
    ama = make_ama(state=AmaState.LIVE)
    asker, fan = UserFactory.create_batch(2)
    client.force_login(asker)
    response = client.post(f"/amas/{ama.pk}/ask/", {"content": "Plain form?"})
    question = AmaQuestion.objects.get()
    assert response["Location"] == f"/amas/{ama.pk}/#q-{question.pk}"
    client.force_login(fan)
    client.post(f"/amas/{ama.pk}/questions/{question.pk}/vote/", {"value": "1"})
    question.refresh_from_db()
    assert question.score == 1
    response = client.post(f"/amas/{ama.pk}/ask/", {"content": ""})
    assert response.status_code == 400 and "Write your question." in response.content.decode()
    response = client.post(f"/amas/{ama.pk}/questions/{question.pk}/hide/")
    assert response.status_code == 403

    client.force_login(ama.host)
    client.post(f"/amas/{ama.pk}/questions/{question.pk}/answer/", {"answer": "Yes, plain."})
    client.post(f"/amas/{ama.pk}/end/")
    ama.refresh_from_db()
    assert ama.state == AmaState.ENDED


def test_after_the_end_the_page_is_the_archive_with_faq_choices(client):
    document = DocumentFactory()
    ama = make_ama(state=AmaState.LIVE, documents=[document])
    answered = questions.question_ask(ama_id=ama.pk, author=UserFactory(), content="Answered one")
    questions.question_answer(
        ama_id=ama.pk, question_id=answered.pk, user=ama.host, answer="The *answer*."
    )
    questions.question_ask(ama_id=ama.pk, author=UserFactory(), content="Never answered")
    client.force_login(ama.host)
    client.post(f"/amas/{ama.pk}/end/")

    text = client.get(f"/amas/{ama.pk}/").content.decode()
    assert "Archive" in text and "<em>answer</em>" in text and "Never answered" in text
    assert (
        "Add the chosen answers" in text and "Ask " not in text.split("archive-heading")[0][-200:]
    )
    client.post(f"/amas/{ama.pk}/faq/", {"question_ids": [str(answered.pk)]})
    assert FaqEntry.objects.filter(document=document, source=answered).exists()

    client.force_login(UserFactory(role=Role.LEARNER))
    assert "Add the chosen answers" not in client.get(f"/amas/{ama.pk}/").content.decode()
