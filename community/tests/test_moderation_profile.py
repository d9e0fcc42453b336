"""A warned person reads the warning on their own profile; moderators see it too, nobody
else does."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from community.services import moderation

from .factories import AnswerFactory, QuestionFactory

pytestmark = pytest.mark.django_db

NOTE = "Please stop posting referral links."


@pytest.fixture
def moderator():
    return UserFactory(role=Role.MODERATOR)


@pytest.fixture
def warned(moderator):
    answer = AnswerFactory(question=QuestionFactory(title="What is dropout?"))
    moderation.author_warn(
        moderator=moderator, target_type="answer", target_id=answer.pk, note=NOTE
    )
    return answer.author


def profile_page(client, viewer, person):
    if viewer is not None:
        client.force_login(viewer)
    response = client.get(reverse("accounts:profile", args=[person.username]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_person_reads_their_warnings_on_their_profile(client, warned):
    page = profile_page(client, warned, warned)

    assert "Warnings from moderators" in page
    assert NOTE in page
    assert "about your answer to “What is dropout?”" in page
    assert "Only you and the moderators see this." in page


def test_moderators_see_the_warnings_and_a_link_to_the_log(client, warned, moderator):
    page = profile_page(client, moderator, warned)

    assert NOTE in page
    assert "about their answer" in page
    assert f"?target_user__id__exact={warned.pk}" in page


@pytest.mark.parametrize("who", ["stranger", "anonymous"])
def test_nobody_else_sees_the_warnings(client, warned, who):
    viewer = UserFactory() if who == "stranger" else None
    page = profile_page(client, viewer, warned)
    assert NOTE not in page
    assert "Warnings from moderators" not in page


def test_no_panel_for_people_without_warnings(client):
    person = UserFactory()
    assert "Warnings from moderators" not in profile_page(client, person, person)


def test_moderators_see_a_current_suspension(client, moderator):
    answer = AnswerFactory()
    moderation.author_suspend(
        moderator=moderator, target_type="answer", target_id=answer.pk, note="Spam links", days=2
    )
    page = profile_page(client, moderator, answer.author)
    assert "Suspended until" in page
    assert "Spam links" in page
