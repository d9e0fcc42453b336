"""`GET /api/users/{username}/reputation` (the ledger) and `/privileges`."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration.models import MemberRole, Visibility
from collaboration.tests.factories import DocumentFactory, DocumentMemberFactory
from community.services import votes
from community.tests.factories import AnswerFactory, QuestionFactory

pytestmark = pytest.mark.django_db

START = settings.REPUTATION_START


def ledger(username: str, viewer=None, query: str = ""):
    client = APIClient()
    if viewer is not None:
        client.force_authenticate(viewer)
    return client.get(f"/api/users/{username}/reputation{query}")


def cast(voter, item, value=1, kind="answer"):
    return votes.vote(user=voter, target_type=kind, target_id=item.pk, value=value)


def test_the_ledger_lists_every_change_newest_first_with_the_total():
    answer = AnswerFactory()
    question = QuestionFactory(author=answer.author)
    voter = UserFactory()
    cast(voter, answer)
    cast(voter, question, kind="question")
    cast(voter, answer, 0)

    response = ledger(answer.author.username)

    assert response.status_code == 200
    body = response.json()
    assert body["reputation"] == START + settings.REPUTATION_QUESTION_UPVOTED
    assert body["count"] == 3
    undo, question_up, answer_up = body["results"]
    assert (undo["amount"], undo["reverses"], undo["reversed"]) == (
        -settings.REPUTATION_ANSWER_UPVOTED,
        answer_up["id"],
        False,
    )
    assert answer_up["reversed"] is True
    assert question_up == {
        "id": question_up["id"],
        "amount": settings.REPUTATION_QUESTION_UPVOTED,
        "reason": "question_upvoted",
        "reason_display": "Question up-voted",
        "target_type": "question",
        "target_id": question.pk,
        "target_url": question_up["target_url"],
        "target_title": question.title,
        "created_at": question_up["created_at"],
        "capped": True,
        "reversed": False,
        "reverses": None,
    }


def test_the_ledger_is_public_and_anonymous_readers_see_it():
    answer = AnswerFactory()
    cast(UserFactory(), answer)
    assert ledger(answer.author.username).json()["count"] == 1


def test_lines_about_posts_the_reader_may_not_see_keep_their_amount_but_not_the_post():
    document = DocumentFactory(visibility=Visibility.RESTRICTED)
    author = DocumentMemberFactory(document=document, role=MemberRole.EDITOR).user
    voter = DocumentMemberFactory(document=document, role=MemberRole.VIEWER).user
    secret = QuestionFactory(author=author, document=document, title="Our unreleased model")
    cast(voter, secret, kind="question")

    outsider_view = ledger(author.username, UserFactory()).json()
    member_view = ledger(author.username, voter).json()

    [hidden] = outsider_view["results"]
    assert hidden["amount"] == settings.REPUTATION_QUESTION_UPVOTED
    assert (hidden["target_id"], hidden["target_url"], hidden["target_title"]) == (None,) * 3
    assert "unreleased" not in str(outsider_view)
    assert member_view["results"][0]["target_title"] == "Our unreleased model"
    assert member_view["results"][0]["target_id"] == secret.pk


def test_lines_about_a_deleted_answer_show_it_to_moderators_only():
    answer = AnswerFactory()
    cast(UserFactory(), answer)
    answer.deleted_at = timezone.now()
    answer.save()

    [line] = ledger(answer.author.username, UserFactory()).json()["results"]
    assert line["target_id"] is None
    moderator = UserFactory(role=Role.MODERATOR)
    [line] = ledger(answer.author.username, moderator).json()["results"]
    assert line["target_id"] == answer.pk


def test_the_ledger_is_paginated():
    answer = AnswerFactory()
    for voter in UserFactory.create_batch(3):
        cast(voter, answer)

    body = ledger(answer.author.username, query="?page_size=2").json()

    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"]
    assert body["reputation"] == START + 3 * settings.REPUTATION_ANSWER_UPVOTED


def test_the_username_is_matched_whatever_its_case():
    UserFactory(username="Grace")
    assert ledger("grace").status_code == 200


@pytest.mark.parametrize("endpoint", ["reputation", "privileges", "badges"])
def test_unknown_and_deactivated_people_are_a_404(endpoint):
    gone = UserFactory(is_active=False)
    for username in ("nobody-here", gone.username, "a%00b"):
        response = APIClient().get(f"/api/users/{username}/{endpoint}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


# --- privileges ------------------------------------------------------------------------------


def privileges(username: str) -> dict:
    response = APIClient().get(f"/api/users/{username}/privileges")
    assert response.status_code == 200
    return response.json()


def test_a_newcomer_has_the_first_rights_and_sees_what_the_others_take():
    newcomer = UserFactory()

    body = privileges(newcomer.username)

    assert body["reputation"] == START
    rights = body["privileges"]
    for name in ("ask", "answer", "comment", "upvote", "flag"):
        assert rights[name]["granted"] is True
        assert rights[name]["threshold"] == 0
    assert rights["downvote"] == {
        "granted": False,
        "threshold": settings.PRIVILEGE_DOWNVOTE,
        "description": "down-vote",
    }
    assert rights["edit_others"]["threshold"] == settings.PRIVILEGE_EDIT_OTHERS
    assert rights["close"]["granted"] is False


def test_reputation_unlocks_privileges(settings):
    settings.PRIVILEGE_DOWNVOTE = 3
    person = UserFactory()
    answer = AnswerFactory(author=person)
    cast(UserFactory(), answer)  # +10

    rights = privileges(person.username)["privileges"]

    assert rights["downvote"] == {"granted": True, "threshold": 3, "description": "down-vote"}
    assert rights["close"]["granted"] is False


def test_experts_and_moderators_hold_every_privilege():
    for role in (Role.EXPERT, Role.MODERATOR):
        person = UserFactory(role=role)
        rights = privileges(person.username)["privileges"]
        assert all(right["granted"] for right in rights.values()), role


def test_a_suspended_person_holds_no_privilege():
    person = UserFactory(suspended_until=timezone.now() + timedelta(days=1))
    rights = privileges(person.username)["privileges"]
    assert not any(right["granted"] for right in rights.values())
