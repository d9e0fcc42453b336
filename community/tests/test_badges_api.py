"""`GET /api/users/{username}/badges`: a person's awards, newest first, with counts."""

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from collaboration.models import Visibility
from collaboration.tests.factories import DocumentFactory
from community.models import BadgeAward
from community.tests.factories import AnswerFactory, QuestionFactory

pytestmark = pytest.mark.django_db


def badges(username: str, viewer=None, query: str = "") -> dict:
    client = APIClient()
    if viewer is not None:
        client.force_authenticate(viewer)
    response = client.get(f"/api/users/{username}/badges{query}")
    assert response.status_code == 200
    return response.json()


def test_awards_are_listed_with_their_badge_and_counts_per_level():
    person = UserFactory()
    answer = AnswerFactory(author=person)
    BadgeAward.objects.create(user=person, badge="first-answer", level="bronze")
    BadgeAward.objects.create(
        user=person, badge="good-answer", level="silver", target_type="answer", target_id=answer.pk
    )

    body = badges(person.username)

    assert body["count"] == 2
    assert body["counts"] == {"gold": 0, "silver": 1, "bronze": 1}
    good, first = body["results"]
    assert first == {
        "badge": "first-answer",
        "name": "Helping hand",
        "level": "bronze",
        "description": "Answered a question for the first time.",
        "target_type": None,
        "target_id": None,
        "target_url": None,
        "target_title": None,
        "awarded_at": first["awarded_at"],
    }
    assert good["name"] == "Good answer"
    assert (good["target_type"], good["target_id"]) == ("answer", answer.pk)
    assert good["target_title"] == answer.question.title


def test_a_badge_earned_on_a_private_document_names_nothing_to_outsiders():
    person = UserFactory()
    question = QuestionFactory(document=DocumentFactory(visibility=Visibility.PRIVATE))
    answer = AnswerFactory(author=person, question=question)
    BadgeAward.objects.create(
        user=person, badge="good-answer", level="silver", target_type="answer", target_id=answer.pk
    )

    [award] = badges(person.username, UserFactory())["results"]

    assert award["badge"] == "good-answer"
    assert (award["target_id"], award["target_title"]) == (None, None)


def test_someone_without_badges_has_an_empty_list():
    body = badges(UserFactory().username)
    assert body == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
        "counts": {"gold": 0, "silver": 0, "bronze": 0},
    }
