"""AMAs in the admin: sessions (with their questions), questions and FAQ entries open for
admins and moderators, and the moderators' actions go through the services (a question
hidden there leaves the queue and is announced in the room)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.roles import Role
from accounts.services import user_set_role
from accounts.tests.factories import UserFactory
from collaboration.selectors.live import room_backlog
from collaboration.tests.factories import DocumentFactory
from community.models import AmaQuestion, AmaQuestionStatus, AmaSession, AmaState, FaqEntry
from community.services import amas as services
from community.services import amas_faq as faq
from community.services import amas_questions as questions
from community.tests.factories_amas import make_ama

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator_client(client):
    person = UserFactory()
    user_set_role(user=person, role=Role.MODERATOR, by=None)
    client.force_login(person)
    return client


@pytest.fixture
def ended_with_faq():
    ama = make_ama(state=AmaState.LIVE, documents=[DocumentFactory()])
    question = questions.question_ask(ama_id=ama.pk, author=UserFactory(), content="Why?")
    questions.question_answer(ama_id=ama.pk, question_id=question.pk, user=ama.host, answer="So.")
    services.ama_end(ama_id=ama.pk, user=ama.host)
    faq.faq_from_answers(ama_id=ama.pk, user=ama.host, question_ids=[question.pk])
    return ama


@pytest.mark.parametrize("model", [AmaSession, AmaQuestion, FaqEntry])
def test_the_admin_pages_open_with_rows(moderator_client, ended_with_faq, model):
    name = model._meta.model_name
    assert moderator_client.get(reverse(f"admin:community_{name}_changelist")).status_code == 200
    row = model.objects.first()
    change = reverse(f"admin:community_{name}_change", args=[row.pk])
    assert moderator_client.get(change).status_code == 200
    # Nothing is added or deleted by hand: the services keep the room and the queue right.
    assert moderator_client.get(reverse(f"admin:community_{name}_add")).status_code == 403
    delete = reverse(f"admin:community_{name}_delete", args=[row.pk])
    assert moderator_client.post(delete, {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=row.pk).exists()


def test_moderators_hide_a_question_through_the_service(moderator_client):
    ama = make_ama(state=AmaState.LIVE)
    question = questions.question_ask(ama_id=ama.pk, author=UserFactory(), content="Spam!")
    response = moderator_client.post(
        reverse("admin:community_amaquestion_changelist"),
        {"action": "hide", "_selected_action": [question.pk]},
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.status == AmaQuestionStatus.HIDDEN
    last = room_backlog(room_id=ama.room_id, after=0)[-1]
    assert last["type"] == "ama_question" and last["question"]["status"] == "hidden"


def test_ending_a_session_from_the_admin(moderator_client):
    ama = make_ama(state=AmaState.LIVE)
    moderator_client.post(
        reverse("admin:community_amasession_changelist"),
        {"action": "end_now", "_selected_action": [ama.pk]},
    )
    ama.refresh_from_db()
    assert ama.state == AmaState.ENDED
