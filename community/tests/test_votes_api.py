"""Voting through the API: one vote per person per item, scores, reputation, and every
refusal (own post, privileges, comments, locked/deleted/hidden posts, unreadable
documents)."""

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration.models import MemberRole, Visibility
from collaboration.tests.factories import DocumentFactory, DocumentMemberFactory
from community.models import ReputationEvent, ReputationReason, Vote
from community.selectors.votes import my_votes
from community.services import reputation
from community.services.reputation import ledger_mismatches
from community.tests.factories import AnswerFactory, CommentFactory, QuestionFactory

pytestmark = pytest.mark.django_db

START = settings.REPUTATION_START


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def vote(user, kind: str, item_id: int, value):
    return client_for(user).post(f"/api/{kind}s/{item_id}/vote", {"value": value}, format="json")


def rep(user) -> int:
    user.refresh_from_db()
    return user.reputation


def with_reputation(amount: int):
    """Someone who earned `amount` reputation (through the ledger, so it adds up)."""
    person = UserFactory()
    reputation.carry_over(user_id=person.pk, reputation=amount)
    person.refresh_from_db()
    return person


# --- what a vote does --------------------------------------------------------------------


def test_an_upvote_on_a_question_raises_its_score_and_gives_its_author_reputation():
    question = QuestionFactory()
    voter = UserFactory()

    response = vote(voter, "question", question.pk, 1)

    assert response.status_code == 200
    assert response.json() == {
        "target_type": "question",
        "target_id": question.pk,
        "score": 1,
        "my_vote": 1,
    }
    question.refresh_from_db()
    assert question.score == 1
    assert rep(question.author) == START + settings.REPUTATION_QUESTION_UPVOTED
    line = ReputationEvent.objects.get(user=question.author)
    assert (line.reason, line.source, line.capped, line.actor_id) == (
        ReputationReason.QUESTION_UPVOTED,
        f"vote:{Vote.objects.get().pk}",
        True,
        voter.pk,
    )
    assert rep(voter) == START  # up-voting is free


def test_changing_a_vote_replaces_it_and_its_reputation():
    answer = AnswerFactory()
    voter = with_reputation(100)

    vote(voter, "answer", answer.pk, 1)
    response = vote(voter, "answer", answer.pk, -1)

    assert response.json()["score"] == -1
    assert response.json()["my_vote"] == -1
    assert Vote.objects.get().value == -1
    assert rep(answer.author) == START + settings.REPUTATION_DOWNVOTED
    assert rep(voter) == 100 + settings.REPUTATION_DOWNVOTE_CAST
    assert ledger_mismatches() == []


def test_retracting_a_vote_undoes_everything_it_did():
    answer = AnswerFactory()
    voter = with_reputation(100)
    vote(voter, "answer", answer.pk, -1)

    response = vote(voter, "answer", answer.pk, 0)

    assert response.json() == {
        "target_type": "answer",
        "target_id": answer.pk,
        "score": 0,
        "my_vote": 0,
    }
    assert not Vote.objects.exists()
    answer.refresh_from_db()
    assert answer.score == 0
    assert rep(answer.author) == START
    assert rep(voter) == 100
    reversed_lines = ReputationEvent.objects.filter(reverses__isnull=False)
    assert sorted(line.amount for line in reversed_lines) == sorted(
        [-settings.REPUTATION_DOWNVOTED, -settings.REPUTATION_DOWNVOTE_CAST]
    )
    assert ledger_mismatches() == []


def test_voting_the_same_way_twice_changes_nothing():
    question = QuestionFactory()
    voter = UserFactory()
    vote(voter, "question", question.pk, 1)

    response = vote(voter, "question", question.pk, 1)

    assert response.json()["score"] == 1
    assert Vote.objects.count() == 1
    assert ReputationEvent.objects.count() == 1


def test_retracting_without_a_vote_changes_nothing():
    question = QuestionFactory()
    response = vote(UserFactory(), "question", question.pk, 0)
    assert response.status_code == 200
    assert response.json()["score"] == 0
    assert response.json()["my_vote"] == 0
    assert not ReputationEvent.objects.exists()


def test_downvoting_a_question_costs_the_voter_nothing():
    question = QuestionFactory()
    voter = with_reputation(60)

    vote(voter, "question", question.pk, -1)

    assert rep(voter) == 60
    assert rep(question.author) == START + settings.REPUTATION_DOWNVOTED


def test_comment_upvotes_count_but_move_no_reputation():
    comment = CommentFactory()

    response = vote(UserFactory(), "comment", comment.pk, 1)

    assert response.json()["score"] == 1
    assert not ReputationEvent.objects.exists()


def test_a_vote_also_answers_at_the_address_with_a_trailing_slash():
    question = QuestionFactory()
    response = client_for(UserFactory()).post(
        f"/api/questions/{question.pk}/vote/", {"value": 1}, format="json"
    )
    assert response.status_code == 200


def test_my_votes_tells_each_reader_their_own_votes():
    first, second, third = QuestionFactory.create_batch(3)
    voter, other = UserFactory(), with_reputation(100)
    vote(voter, "question", first.pk, 1)
    vote(other, "question", second.pk, -1)

    ids = [first.pk, second.pk, third.pk]
    assert my_votes(voter, "question", ids) == {first.pk: 1}
    assert my_votes(other, "question", ids) == {second.pk: -1}
    assert my_votes(voter, "answer", ids) == {}


# --- refusals ------------------------------------------------------------------------------


def assert_refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error


def assert_nothing_changed(item):
    item.refresh_from_db()
    assert item.score == 0
    assert not Vote.objects.exists()
    assert not ReputationEvent.objects.filter(amount__lt=0).exists()


def test_nobody_votes_on_their_own_post():
    question = QuestionFactory()
    error = assert_refused(vote(question.author, "question", question.pk, 1), 403, "forbidden")
    assert "own question" in error["message"]
    assert_nothing_changed(question)


def test_comments_take_no_downvotes():
    comment = CommentFactory()
    error = assert_refused(vote(with_reputation(100), "comment", comment.pk, -1), 400, "invalid")
    assert "up-votes only" in error["fields"]["value"][0]
    assert_nothing_changed(comment)


def test_downvoting_needs_the_privilege_and_says_how_much_reputation():
    answer = AnswerFactory()
    error = assert_refused(
        vote(UserFactory(), "answer", answer.pk, -1), 403, "insufficient_reputation"
    )
    assert error["threshold"] == settings.PRIVILEGE_DOWNVOTE
    assert str(settings.PRIVILEGE_DOWNVOTE) in error["message"]
    assert_nothing_changed(answer)


def test_experts_downvote_whatever_their_reputation():
    answer = AnswerFactory()
    expert = UserFactory(role=Role.EXPERT)
    assert vote(expert, "answer", answer.pk, -1).json()["score"] == -1


def test_a_downvote_can_be_taken_back_after_losing_the_privilege():
    answer = AnswerFactory()
    voter = with_reputation(settings.PRIVILEGE_DOWNVOTE)
    vote(voter, "answer", answer.pk, -1)  # the cast costs 1: now below the threshold
    assert rep(voter) < settings.PRIVILEGE_DOWNVOTE

    assert vote(voter, "answer", answer.pk, 0).json()["score"] == 0


def test_anonymous_votes_are_refused():
    question = QuestionFactory()
    response = APIClient().post(f"/api/questions/{question.pk}/vote", {"value": 1}, format="json")
    assert_refused(response, 401, "not_authenticated")


@pytest.mark.parametrize("value", [2, -2, "1", True, 1.0, None])
def test_a_value_other_than_1_minus_1_or_0_is_refused(value):
    question = QuestionFactory()
    error = assert_refused(vote(UserFactory(), "question", question.pk, value), 400, "invalid")
    assert "value" in error["fields"]
    assert_nothing_changed(question)


def test_a_missing_value_is_refused():
    question = QuestionFactory()
    response = client_for(UserFactory()).post(f"/api/questions/{question.pk}/vote", {})
    assert "value" in assert_refused(response, 400, "invalid")["fields"]


def test_no_such_post_is_a_404():
    assert_refused(vote(UserFactory(), "answer", 424242, 1), 404, "not_found")


def test_deleted_posts_are_invisible_to_voters():
    question = QuestionFactory(deleted_at=timezone.now())
    assert_refused(vote(UserFactory(), "question", question.pk, 1), 404, "not_found")


def test_moderators_see_deleted_posts_but_cannot_vote_on_them():
    question = QuestionFactory(deleted_at=timezone.now())
    moderator = UserFactory(role=Role.MODERATOR)
    assert_refused(vote(moderator, "question", question.pk, 1), 409, "conflict")
    assert_nothing_changed(question)


def test_hidden_posts_are_invisible_to_voters():
    answer = AnswerFactory(is_hidden=True)
    assert_refused(vote(UserFactory(), "answer", answer.pk, 1), 404, "not_found")


def test_answers_to_a_deleted_question_are_invisible_to_voters():
    answer = AnswerFactory(question=QuestionFactory(deleted_at=timezone.now()))
    assert_refused(vote(UserFactory(), "answer", answer.pk, 1), 404, "not_found")


def test_locked_posts_take_no_votes():
    answer = AnswerFactory(is_locked=True)
    error = assert_refused(vote(UserFactory(), "answer", answer.pk, 1), 409, "conflict")
    assert "locked" in error["message"]
    assert_nothing_changed(answer)


def test_posts_on_a_document_the_voter_cannot_read_are_a_404():
    private = DocumentFactory(visibility=Visibility.PRIVATE)
    question = QuestionFactory(document=private)
    comment = CommentFactory(document=private)
    outsider = UserFactory()
    assert_refused(vote(outsider, "question", question.pk, 1), 404, "not_found")
    assert_refused(vote(outsider, "comment", comment.pk, 1), 404, "not_found")
    assert_refused(
        vote(outsider, "answer", AnswerFactory(question=question).pk, 1), 404, "not_found"
    )


def test_members_of_a_restricted_document_vote_on_its_comments():
    document = DocumentFactory(visibility=Visibility.RESTRICTED)
    member = DocumentMemberFactory(document=document, role=MemberRole.VIEWER).user
    comment = CommentFactory(document=document)
    assert vote(member, "comment", comment.pk, 1).json()["score"] == 1
