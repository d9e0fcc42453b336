"""The answers API: answering, the order answers come in, editing with history, deleting,
and accepting with its reputation lines (Stack Overflow's +15 to the answerer, +2 to the
asker, reversed when the accept moves or is taken back)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration.models import Visibility
from collaboration.tests.factories import DocumentFactory
from community.models import Answer, AnswerRevision, Question, ReputationEvent
from community.services import reputation
from community.tests.factories import AnswerFactory, QuestionFactory

pytestmark = pytest.mark.django_db

ANSWER = {"content": "Softmax turns the scores into weights that add up to one."}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def error_of(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:500]
    error = response.json()["error"]
    if code:
        assert error["code"] == code
    return error


def answer_via_api(question, author=None) -> dict:
    author = author or UserFactory()
    response = client_for(author).post(f"/api/questions/{question.pk}/answers", ANSWER)
    assert response.status_code == 201, response.content
    return response.json()


def lines(user) -> list[tuple[int, str, str]]:
    """The person's ledger, oldest first: (amount, reason, source)."""
    return list(
        ReputationEvent.objects.filter(user=user)
        .order_by("id")
        .values_list("amount", "reason", "source")
    )


def reputation_of(user) -> int:
    return User.objects.get(pk=user.pk).reputation


# --- answering -----------------------------------------------------------------------------


def test_answering_counts_the_answer_and_shows_the_activity():
    question = QuestionFactory()
    before = question.last_activity_at
    answerer = UserFactory()

    body = answer_via_api(question, answerer)

    assert body["author"]["id"] == answerer.pk and body["question_id"] == question.pk
    assert "<p>Softmax turns" in body["content_html"]
    question.refresh_from_db()
    assert question.answer_count == 1 and question.last_activity_at > before
    revision = AnswerRevision.objects.get(answer_id=body["id"])
    assert (revision.number, revision.editor_id) == (1, answerer.pk)


def test_bad_answers_are_refused_with_their_reason(user):
    question = QuestionFactory()
    url = f"/api/questions/{question.pk}/answers"
    error = error_of(client_for(user).post(url, {"content": "Thanks!"}), 400)
    assert "at least 20" in error["fields"]["content"][0]
    error_of(APIClient().post(url, ANSWER), 401)
    error_of(client_for(user).post("/api/questions/999999/answers", ANSWER), 404)
    assert not Answer.objects.exists()


def test_a_locked_question_takes_no_answers(user):
    question = QuestionFactory(is_locked=True)
    error = error_of(client_for(user).post(f"/api/questions/{question.pk}/answers", ANSWER), 409)
    assert "locked" in error["message"]


def test_answers_come_accepted_first_then_by_score_then_oldest_first(api_client):
    question = QuestionFactory()
    first = AnswerFactory(question=question, score=1)
    best = AnswerFactory(question=question, score=7)
    second = AnswerFactory(question=question, score=1)
    accepted = AnswerFactory(question=question, score=0, is_accepted=True)
    AnswerFactory(question=question, score=9, deleted_at=timezone.now())

    body = api_client.get(f"/api/questions/{question.pk}/answers").json()

    assert [a["id"] for a in body["results"]] == [accepted.pk, best.pk, first.pk, second.pk]


def test_hidden_answers_are_shown_to_their_author_and_moderators_only(api_client):
    author = UserFactory()
    hidden = AnswerFactory(author=author, is_hidden=True, hidden_reason="spam_flags")
    url = f"/api/questions/{hidden.question_id}/answers"
    assert api_client.get(url).json()["count"] == 0
    error_of(api_client.get(f"/api/answers/{hidden.pk}"), 404)
    assert client_for(author).get(url).json()["count"] == 1
    moderator = UserFactory(role=Role.MODERATOR)
    assert client_for(moderator).get(f"/api/answers/{hidden.pk}").json()["is_hidden"] is True


def test_answers_to_a_question_about_a_private_document_are_invisible(api_client):
    owner = UserFactory()
    question = QuestionFactory(document=DocumentFactory(owner=owner, visibility=Visibility.PRIVATE))
    answer = AnswerFactory(question=question)
    error_of(api_client.get(f"/api/answers/{answer.pk}"), 404)
    error_of(client_for(UserFactory()).get(f"/api/answers/{answer.pk}/revisions"), 404)
    assert client_for(owner).get(f"/api/answers/{answer.pk}").status_code == 200


# --- editing and deleting ------------------------------------------------------------------


def test_editing_an_answer_keeps_its_history():
    question = QuestionFactory()
    author = UserFactory()
    answer_id = answer_via_api(question, author)["id"]
    url = f"/api/answers/{answer_id}"
    edit = {"content": ANSWER["content"] + " Then it weighs the values.", "summary": "more"}

    error = error_of(
        client_for(UserFactory(reputation=50)).patch(url, edit), 403, "insufficient_reputation"
    )
    assert error["threshold"] == 1000
    assert client_for(author).patch(url, edit).json()["edited_by"]["id"] == author.pk
    editor = UserFactory(reputation=1000)
    edit["content"] += " Like a soft lookup."
    assert client_for(editor).patch(url, edit).status_code == 200

    revisions = client_for(editor).get(f"{url}/revisions").json()["results"]
    assert [(r["number"], r["editor"]["id"], r["summary"]) for r in revisions] == [
        (1, author.pk, ""),
        (2, author.pk, "more"),
        (3, editor.pk, "more"),
    ]
    assert revisions[0]["content"] == ANSWER["content"]


def test_deleting_your_answer_uncounts_it_but_an_accepted_one_stays():
    question = QuestionFactory()
    author = UserFactory()
    answer_id = answer_via_api(question, author)["id"]
    accepted_id = answer_via_api(question, author)["id"]
    client_for(question.author).post(f"/api/answers/{accepted_id}/accept")

    error_of(client_for(UserFactory()).delete(f"/api/answers/{answer_id}"), 403)
    assert client_for(author).delete(f"/api/answers/{answer_id}").status_code == 204
    error = error_of(client_for(author).delete(f"/api/answers/{accepted_id}"), 409)
    assert "accepted" in error["message"]
    question.refresh_from_db()
    assert question.answer_count == 1
    error_of(client_for(author).get(f"/api/answers/{answer_id}"), 404)


def test_a_moderator_deleting_the_accepted_answer_takes_its_reputation_back():
    asker, author = UserFactory(), UserFactory()
    question = QuestionFactory(author=asker)
    answer_id = answer_via_api(question, author)["id"]
    client_for(asker).post(f"/api/answers/{answer_id}/accept")
    assert (reputation_of(author), reputation_of(asker)) == (16, 3)

    moderator = UserFactory(role=Role.MODERATOR)
    assert client_for(moderator).delete(f"/api/answers/{answer_id}").status_code == 204

    question.refresh_from_db()
    assert question.accepted_answer_id is None and question.answer_count == 0
    assert (reputation_of(author), reputation_of(asker)) == (1, 1)
    assert reputation.ledger_mismatches() == []


# --- accepting -----------------------------------------------------------------------------


def test_accepting_gives_the_answerer_15_and_the_asker_2():
    asker, author = UserFactory(), UserFactory()
    question = QuestionFactory(author=asker)
    answer_id = answer_via_api(question, author)["id"]

    response = client_for(asker).post(f"/api/answers/{answer_id}/accept")

    assert response.status_code == 200, response.content
    assert response.json()["is_accepted"] is True
    assert response.json()["can"]["unaccept"] is True
    question.refresh_from_db()
    assert question.accepted_answer_id == answer_id
    assert lines(author) == [(15, "answer_accepted", f"accept:{answer_id}")]
    assert lines(asker) == [(2, "accepted_answer", f"accept:{answer_id}:by")]
    assert (reputation_of(author), reputation_of(asker)) == (16, 3)
    line = ReputationEvent.objects.get(user=author)
    assert (line.target_type, line.target_id, line.actor_id) == ("answer", answer_id, asker.pk)
    assert reputation.ledger_mismatches() == []


def test_accepting_the_accepted_answer_again_changes_nothing():
    asker = UserFactory()
    question = QuestionFactory(author=asker)
    answer_id = answer_via_api(question)["id"]
    client_for(asker).post(f"/api/answers/{answer_id}/accept")

    assert client_for(asker).post(f"/api/answers/{answer_id}/accept").status_code == 200

    assert ReputationEvent.objects.count() == 2
    assert reputation_of(asker) == 3


def test_changing_the_accepted_answer_moves_the_reputation():
    asker, first_author, second_author = UserFactory(), UserFactory(), UserFactory()
    question = QuestionFactory(author=asker)
    first = answer_via_api(question, first_author)["id"]
    second = answer_via_api(question, second_author)["id"]
    client = client_for(asker)
    client.post(f"/api/answers/{first}/accept")

    assert client.post(f"/api/answers/{second}/accept").status_code == 200

    assert list(Answer.objects.filter(is_accepted=True).values_list("pk", flat=True)) == [second]
    question.refresh_from_db()
    assert question.accepted_answer_id == second
    assert lines(first_author) == [
        (15, "answer_accepted", f"accept:{first}"),
        (-15, "answer_accepted", f"accept:{first}"),
    ]
    assert lines(second_author) == [(15, "answer_accepted", f"accept:{second}")]
    assert lines(asker) == [
        (2, "accepted_answer", f"accept:{first}:by"),
        (-2, "accepted_answer", f"accept:{first}:by"),
        (2, "accepted_answer", f"accept:{second}:by"),
    ]
    assert [reputation_of(u) for u in (first_author, second_author, asker)] == [1, 16, 3]
    undo = ReputationEvent.objects.filter(user=first_author, amount=-15).get()
    assert undo.reverses.amount == 15

    # Back to the first one: its author earns again, the second author's line is reversed.
    client.post(f"/api/answers/{first}/accept")
    assert [reputation_of(u) for u in (first_author, second_author, asker)] == [16, 1, 3]
    assert reputation.ledger_mismatches() == []


def test_unaccepting_reverses_the_lines_and_twice_changes_nothing():
    asker, author = UserFactory(), UserFactory()
    question = QuestionFactory(author=asker)
    answer_id = answer_via_api(question, author)["id"]
    client = client_for(asker)
    client.post(f"/api/answers/{answer_id}/accept")

    body = client.post(f"/api/answers/{answer_id}/unaccept").json()
    assert body["is_accepted"] is False and body["can"]["accept"] is True
    assert client.post(f"/api/answers/{answer_id}/unaccept").status_code == 200

    question.refresh_from_db()
    assert question.accepted_answer_id is None
    assert [amount for amount, _, _ in lines(author)] == [15, -15]
    assert [amount for amount, _, _ in lines(asker)] == [2, -2]
    assert (reputation_of(author), reputation_of(asker)) == (1, 1)
    assert reputation.ledger_mismatches() == []


def test_accepting_your_own_answer_gives_no_reputation():
    asker = UserFactory()
    question = QuestionFactory(author=asker)
    answer_id = answer_via_api(question, asker)["id"]

    assert client_for(asker).post(f"/api/answers/{answer_id}/accept").status_code == 200
    client_for(asker).post(f"/api/answers/{answer_id}/unaccept")

    assert not ReputationEvent.objects.exists()
    assert reputation_of(asker) == 1


def test_only_the_asker_accepts():
    question = QuestionFactory()
    author = UserFactory()
    answer_id = answer_via_api(question, author)["id"]
    for someone in (author, UserFactory(), UserFactory(role=Role.MODERATOR)):
        error = error_of(client_for(someone).post(f"/api/answers/{answer_id}/accept"), 403)
        assert "asked" in error["message"]
    error_of(APIClient().post(f"/api/answers/{answer_id}/accept"), 401)
    assert not Answer.objects.filter(is_accepted=True).exists()
    assert not ReputationEvent.objects.exists()


def test_deleted_answers_and_locked_questions_cannot_be_accepted():
    asker = UserFactory()
    question = QuestionFactory(author=asker)
    deleted = AnswerFactory(question=question, deleted_at=timezone.now())
    error_of(client_for(asker).post(f"/api/answers/{deleted.pk}/accept"), 404)

    answer = AnswerFactory(question=question)
    Question.objects.filter(pk=question.pk).update(is_locked=True)
    error = error_of(client_for(asker).post(f"/api/answers/{answer.pk}/accept"), 409)
    assert "locked" in error["message"]
