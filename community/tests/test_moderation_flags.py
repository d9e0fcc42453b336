"""Flagging posts (POST /api/flags), spam flags hiding a post, and the moderators' queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration.models import Visibility
from collaboration.tests.factories import DocumentFactory
from community.errors import NotAllowed
from community.models import (
    Answer,
    Comment,
    Flag,
    FlagStatus,
    HiddenReason,
    ModerationAction,
    ModerationActionKind,
    Question,
)
from community.services import moderation
from community.visibility import can_see_post, visible_posts

from .factories import AnswerFactory, CommentFactory, QuestionFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def flag(user, item, reason="spam", text="", target_type=None):
    target_type = target_type or type(item).__name__.lower()
    return client_for(user).post(
        "/api/flags",
        {"target_type": target_type, "target_id": item.pk, "reason": reason, "text": text},
    )


@pytest.fixture
def moderator():
    return UserFactory(role=Role.MODERATOR)


@pytest.fixture
def question():
    return QuestionFactory()


# --- raising a flag ---------------------------------------------------------------------------


@pytest.mark.parametrize("factory", [QuestionFactory, AnswerFactory, CommentFactory])
def test_anyone_signed_in_flags_a_post_they_can_see(factory):
    item = factory()
    reader = UserFactory()

    response = flag(reader, item, reason="rude")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["target_id"] == item.pk
    assert (body["reason"], body["status"]) == ("rude", "open")
    stored = Flag.objects.get()
    assert (stored.flagger, stored.target_id, stored.status) == (reader, item.pk, FlagStatus.OPEN)


def test_signing_in_is_needed_to_flag(question):
    response = APIClient().post(
        "/api/flags", {"target_type": "question", "target_id": question.pk, "reason": "spam"}
    )
    assert response.status_code == 401
    assert not Flag.objects.exists()


def test_a_suspended_person_cannot_flag(question):
    suspended = UserFactory(suspended_until=timezone.now() + timedelta(days=1))
    with pytest.raises(NotAllowed):
        moderation.flag_create(
            user=suspended, target_type="question", target_id=question.pk, reason="spam"
        )
    assert not Flag.objects.exists()


def test_other_needs_a_text_saying_what_is_wrong(question):
    response = flag(UserFactory(), question, reason="other", text="   ")

    assert response.status_code == 400
    error = response.json()["error"]
    assert "text" in error["fields"]
    assert not Flag.objects.exists()

    response = flag(UserFactory(), question, reason="other", text="Copied from a blog post.")
    assert response.status_code == 201
    assert Flag.objects.get().text == "Copied from a blog post."


def test_a_flag_text_over_500_characters_is_refused(question):
    response = flag(UserFactory(), question, reason="other", text="x" * 501)
    assert response.status_code == 400
    assert "text" in response.json()["error"]["fields"]
    assert not Flag.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target_type": "document", "target_id": 1, "reason": "spam"}, "target_type"),
        ({"target_type": "question", "target_id": 1, "reason": "boring"}, "reason"),
        ({"target_type": "question", "target_id": 0, "reason": "spam"}, "target_id"),
        ({"target_type": "question", "reason": "spam"}, "target_id"),
    ],
)
def test_malformed_flags_name_the_field(body, field):
    response = client_for(UserFactory()).post("/api/flags", body)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_flagging_something_that_does_not_exist_is_404():
    response = client_for(UserFactory()).post(
        "/api/flags", {"target_type": "answer", "target_id": 999_999, "reason": "spam"}
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_items_the_person_cannot_see_are_404_as_if_missing():
    owner = UserFactory()
    private = DocumentFactory(owner=owner, visibility=Visibility.PRIVATE)
    on_private = CommentFactory(document=private, author=owner)
    hidden = QuestionFactory(is_hidden=True, hidden_reason=HiddenReason.MODERATOR)
    deleted = AnswerFactory(deleted_at=timezone.now())
    about_private = QuestionFactory(document=private)
    under_hidden_question = AnswerFactory(question=hidden)
    stranger = UserFactory()

    for item in (on_private, hidden, deleted, about_private, under_hidden_question):
        response = flag(stranger, item)
        assert response.status_code == 404, item
    assert not Flag.objects.exists()


def test_you_cannot_flag_your_own_post(question):
    response = flag(question.author, question)

    assert response.status_code == 400
    assert "your own post" in response.json()["error"]["message"]
    assert not Flag.objects.exists()


def test_one_flag_per_person_per_item(question):
    reader = UserFactory()
    assert flag(reader, question, reason="rude").status_code == 201

    again = flag(reader, question, reason="spam")

    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "conflict"
    assert "already flagged" in error["message"]
    assert Flag.objects.count() == 1


def test_a_second_flag_after_a_moderator_decided_is_still_refused(question, moderator):
    reader = UserFactory()
    flag(reader, question, reason="rude")
    moderation.flags_dismiss(moderator=moderator, target_type="question", target_id=question.pk)

    again = flag(reader, question, reason="rude")

    assert again.status_code == 409
    assert "a moderator has looked at it" in again.json()["error"]["message"]


# --- spam flags hide a post -------------------------------------------------------------------


@pytest.mark.parametrize("factory", [QuestionFactory, AnswerFactory, CommentFactory])
def test_three_spam_flags_from_different_people_hide_the_post(factory):
    item = factory()
    flaggers = UserFactory.create_batch(3)
    for flagger in flaggers[:2]:
        assert flag(flagger, item).status_code == 201
    item.refresh_from_db()
    assert not item.is_hidden

    assert flag(flaggers[2], item).status_code == 201

    item.refresh_from_db()
    assert item.is_hidden
    assert item.hidden_reason == HiddenReason.SPAM_FLAGS
    logged = ModerationAction.objects.get()
    assert logged.action == ModerationActionKind.HIDE
    assert logged.moderator is None  # automatic
    assert (logged.target_id, logged.target_user) == (item.pk, item.author)
    assert "3 people flagged it as spam" in logged.note


def test_three_rude_flags_do_not_hide_the_post(question):
    for flagger in UserFactory.create_batch(3):
        flag(flagger, question, reason="rude")
    question.refresh_from_db()
    assert not question.is_hidden
    assert not ModerationAction.objects.exists()


def test_only_spam_flags_count_towards_hiding(question):
    for reason in ("spam", "spam", "off_topic"):
        flag(UserFactory(), question, reason=reason)
    question.refresh_from_db()
    assert not question.is_hidden


def test_one_person_flagging_again_does_not_add_up_to_three(question):
    first, second = UserFactory.create_batch(2)
    flag(first, question)
    flag(second, question)
    assert flag(second, question).status_code == 409
    assert flag(first, question).status_code == 409

    question.refresh_from_db()
    assert not question.is_hidden


def test_the_threshold_follows_the_setting(question, settings):
    settings.SPAM_FLAGS_TO_HIDE = 2
    flag(UserFactory(), question)
    flag(UserFactory(), question)
    question.refresh_from_db()
    assert question.is_hidden


def test_a_fourth_spam_flag_does_not_hide_it_again(question):
    for flagger in UserFactory.create_batch(3):
        flag(flagger, question)
    question.refresh_from_db()
    assert question.is_hidden

    # The fourth person can no longer see it, so cannot flag it either.
    assert flag(UserFactory(), question).status_code == 404
    assert ModerationAction.objects.count() == 1


def test_dismissed_spam_flags_no_longer_count(question, moderator):
    for flagger in UserFactory.create_batch(3):
        flag(flagger, question)
    moderation.flags_dismiss(moderator=moderator, target_type="question", target_id=question.pk)
    question.refresh_from_db()
    assert not question.is_hidden

    flag(UserFactory(), question)  # one new spam flag: one open, not three

    question.refresh_from_db()
    assert not question.is_hidden


def test_a_hidden_post_stays_visible_to_its_author_and_moderators_only(question, moderator):
    for flagger in UserFactory.create_batch(3):
        flag(flagger, question)
    question.refresh_from_db()
    reader = UserFactory()

    assert can_see_post(question.author, question)
    assert can_see_post(moderator, question)
    assert not can_see_post(reader, question)
    assert not can_see_post(None, question)
    questions = Question.objects.filter(pk=question.pk)
    assert visible_posts(questions, question.author).exists()
    assert visible_posts(questions, moderator).exists()
    assert not visible_posts(questions, reader).exists()


def test_hiding_an_answer_hides_only_that_answer():
    answer = AnswerFactory()
    sibling = AnswerFactory(question=answer.question)
    for flagger in UserFactory.create_batch(3):
        flag(flagger, answer)

    reader = UserFactory()
    visible = visible_posts(Answer.objects.filter(question=answer.question), reader)
    assert list(visible) == [sibling]
    answer.question.refresh_from_db()
    assert not answer.question.is_hidden


def test_a_post_a_moderator_hid_is_not_touched_by_spam_flags(moderator):
    comment = CommentFactory()
    moderation.post_hide(moderator=moderator, target_type="comment", target_id=comment.pk)
    # Moderators still see it and can flag it, say to leave a note for other moderators.
    flag(moderator, comment)

    comment = Comment.objects.get(pk=comment.pk)
    assert comment.hidden_reason == HiddenReason.MODERATOR
    assert ModerationAction.objects.count() == 1


# --- the queue --------------------------------------------------------------------------------


def test_the_queue_is_for_moderators(question):
    assert APIClient().get("/api/flags").status_code == 401
    response = client_for(UserFactory()).get("/api/flags")
    assert response.status_code == 403
    assert "moderator" in response.json()["error"]["message"]


def test_the_queue_groups_open_flags_per_item_most_flagged_first(moderator):
    calm, busy = QuestionFactory(), AnswerFactory(content="Buy cheap pills at example.com")
    flag(UserFactory(), calm, reason="off_topic")
    for reason in ("spam", "rude"):
        flag(UserFactory(), busy, reason=reason)

    response = client_for(moderator).get("/api/flags", {"status": "open"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first, second = body["results"]
    assert (first["target_type"], first["target_id"], first["count"]) == ("answer", busy.pk, 2)
    assert [f["reason"] for f in first["flags"]] == ["spam", "rude"]
    assert first["target"]["content"] == "Buy cheap pills at example.com"
    assert first["target"]["author"]["username"] == busy.author.username
    assert first["target"]["question_id"] == busy.question_id
    assert first["target"]["title"].startswith("answer to “")
    assert (second["target_type"], second["target_id"], second["count"]) == (
        "question",
        calm.pk,
        1,
    )


def test_the_queue_shows_hidden_and_deleted_items_to_moderators(moderator, question):
    for flagger in UserFactory.create_batch(3):
        flag(flagger, question)

    target = client_for(moderator).get("/api/flags").json()["results"][0]["target"]

    assert target["is_hidden"] is True
    assert target["hidden_reason"] == "spam_flags"


def test_handled_flags_leave_the_open_queue(moderator, question):
    flag(UserFactory(), question)
    moderation.post_lock(moderator=moderator, target_type="question", target_id=question.pk)
    client = client_for(moderator)

    assert client.get("/api/flags").json()["count"] == 0
    actioned = client.get("/api/flags", {"status": "actioned"}).json()["results"]
    assert actioned[0]["flags"][0]["handled_by"]["username"] == moderator.username
    assert client.get("/api/flags", {"status": "all"}).json()["count"] == 1


def test_an_unknown_queue_status_is_400(moderator):
    response = client_for(moderator).get("/api/flags", {"status": "pending"})
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]
