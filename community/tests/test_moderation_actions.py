"""Moderator actions: what each does to the post, its flags and the audit log, who may act,
and the API for them (POST /api/moderation/actions, GET /api/moderation/log)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from accounts.services import auth_tokens_issue
from accounts.tests.factories import UserFactory
from community.errors import Conflict, InvalidInput, NotAllowed
from community.models import (
    Answer,
    Flag,
    FlagReason,
    FlagStatus,
    HiddenReason,
    ModerationAction,
    ModerationActionKind,
    Question,
)
from community.services import answers, moderation
from community.visibility import can_see_post

from .factories import AnswerFactory, CommentFactory, QuestionFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def moderator():
    return UserFactory(role=Role.MODERATOR, username="mo")


@pytest.fixture
def answer():
    return AnswerFactory()


def flag(item, reason=FlagReason.RUDE, flagger=None) -> Flag:
    return moderation.flag_create(
        user=flagger or UserFactory(),
        target_type=type(item).__name__.lower(),
        target_id=item.pk,
        reason=reason,
        text="",
    )


def act(moderator, action, item, note="", **extra):
    return moderation.moderation_act(
        moderator=moderator,
        action=action,
        target_type=type(item).__name__.lower(),
        target_id=item.pk,
        note=note,
        **extra,
    )


def reloaded(item):
    return type(item).objects.get(pk=item.pk)


def audit_row(kind) -> ModerationAction:
    return ModerationAction.objects.get(action=kind)


# --- each action ------------------------------------------------------------------------------


def test_dismissing_flags_shows_an_item_the_flags_hid(moderator, answer):
    flags = [flag(answer, FlagReason.SPAM) for _ in range(3)]
    assert reloaded(answer).is_hidden

    act(moderator, "dismiss", answer, note="Not spam, just a link to the paper.")

    answer = reloaded(answer)
    assert not answer.is_hidden
    assert answer.hidden_reason == HiddenReason.NONE
    for each in flags:
        each.refresh_from_db()
        assert (each.status, each.handled_by) == (FlagStatus.DISMISSED, moderator)
        assert each.handled_at is not None
    row = audit_row(ModerationActionKind.DISMISS)
    assert (row.moderator, row.target_type, row.target_id) == (moderator, "answer", answer.pk)
    assert (row.target_user, row.note) == (answer.author, "Not spam, just a link to the paper.")


def test_dismissing_leaves_a_moderators_hide_alone(moderator, answer):
    act(moderator, "hide", answer)
    flag(answer, flagger=UserFactory(role=Role.MODERATOR))  # only moderators see it now

    act(moderator, "dismiss", answer)

    assert reloaded(answer).is_hidden


def test_dismissing_with_no_open_flags_is_a_conflict(moderator, answer):
    with pytest.raises(Conflict):
        act(moderator, "dismiss", answer)
    assert not ModerationAction.objects.exists()


def test_hiding_marks_the_open_flags_actioned(moderator, answer):
    open_flag = flag(answer)

    decision = act(moderator, "hide", answer, note="Insulting.")

    assert decision.item.is_hidden
    answer = reloaded(answer)
    assert (answer.is_hidden, answer.hidden_reason) == (True, HiddenReason.MODERATOR)
    open_flag.refresh_from_db()
    assert (open_flag.status, open_flag.handled_by) == (FlagStatus.ACTIONED, moderator)
    assert decision.action == audit_row(ModerationActionKind.HIDE)
    assert not can_see_post(UserFactory(), answer)
    assert can_see_post(answer.author, answer)


def test_hiding_what_the_flags_hid_confirms_it(moderator, answer):
    for _ in range(3):
        flag(answer, FlagReason.SPAM)

    act(moderator, "hide", answer)

    assert reloaded(answer).hidden_reason == HiddenReason.MODERATOR
    assert not Flag.objects.filter(status=FlagStatus.OPEN).exists()


def test_hiding_twice_is_a_conflict_and_logs_nothing(moderator, answer):
    act(moderator, "hide", answer)
    with pytest.raises(Conflict):
        act(moderator, "hide", answer)
    assert ModerationAction.objects.count() == 1


def test_unhiding_shows_the_post_to_everyone(moderator, answer):
    act(moderator, "hide", answer)

    act(moderator, "unhide", answer, note="Author fixed it.")

    assert can_see_post(UserFactory(), reloaded(answer))
    assert audit_row(ModerationActionKind.UNHIDE).note == "Author fixed it."
    with pytest.raises(Conflict):
        act(moderator, "unhide", answer)


def test_deleting_an_answer_is_soft_and_keeps_the_question_count_right(moderator, answer):
    answers.answer_accept(answer_id=answer.pk, user=answer.question.author)
    Question.objects.filter(pk=answer.question_id).update(answer_count=1)
    flag(answer)

    act(moderator, "delete", answer, note="Plagiarised.")

    answer = reloaded(answer)
    assert answer.deleted_at is not None and answer.deleted_by == moderator
    assert not answer.is_accepted  # the accept and its reputation are taken back
    assert Question.objects.get(pk=answer.question_id).answer_count == 0
    assert not can_see_post(answer.author, answer)
    assert Flag.objects.get().status == FlagStatus.ACTIONED
    assert audit_row(ModerationActionKind.DELETE).target_user == answer.author
    with pytest.raises(Conflict):
        act(moderator, "delete", answer)

    act(moderator, "restore", answer)

    answer = reloaded(answer)
    assert answer.deleted_at is None and answer.deleted_by is None
    assert Question.objects.get(pk=answer.question_id).answer_count == 1
    assert can_see_post(UserFactory(), answer)
    with pytest.raises(Conflict):
        act(moderator, "restore", answer)


@pytest.mark.parametrize("factory", [QuestionFactory, CommentFactory])
def test_deleting_and_restoring_questions_and_comments(moderator, factory):
    item = factory()

    act(moderator, "delete", item)
    assert reloaded(item).deleted_by == moderator
    assert not can_see_post(item.author, reloaded(item))

    act(moderator, "restore", item)
    assert reloaded(item).deleted_at is None
    assert [row.action for row in ModerationAction.objects.order_by("id")] == [
        ModerationActionKind.DELETE,
        ModerationActionKind.RESTORE,
    ]


def test_restoring_a_hidden_post_keeps_it_hidden(moderator, answer):
    act(moderator, "hide", answer)
    act(moderator, "delete", answer)
    act(moderator, "restore", answer)
    assert reloaded(answer).is_hidden


def test_locking_and_unlocking(moderator, answer):
    act(moderator, "lock", answer, note="Edit war.")
    assert reloaded(answer).is_locked
    assert audit_row(ModerationActionKind.LOCK).note == "Edit war."
    with pytest.raises(Conflict):
        act(moderator, "lock", answer)

    act(moderator, "unlock", answer)
    assert not reloaded(answer).is_locked
    with pytest.raises(Conflict):
        act(moderator, "unlock", answer)


def test_warning_the_author_is_recorded_with_the_note(moderator, answer):
    open_flag = flag(answer)

    act(moderator, "warn", answer, note="Please keep it civil.")

    row = audit_row(ModerationActionKind.WARN)
    assert (row.target_user, row.note, row.moderator) == (
        answer.author,
        "Please keep it civil.",
        moderator,
    )
    open_flag.refresh_from_db()
    assert open_flag.status == FlagStatus.ACTIONED
    assert not reloaded(answer).is_hidden  # a warning changes nothing else


@pytest.mark.parametrize("action", ["warn", "suspend"])
def test_warning_and_suspending_need_a_note_for_the_author(moderator, answer, action):
    with pytest.raises(InvalidInput) as refused:
        act(moderator, action, answer, note="  ")
    assert refused.value.field == "note"
    assert not ModerationAction.objects.exists()


def test_suspending_the_author_cuts_their_access(moderator, answer):
    author = answer.author
    assert author.may_sign_in
    signed_in = APIClient()
    token = auth_tokens_issue(user=author)["access"]
    signed_in.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert signed_in.get("/api/auth/me").status_code == 200

    before = timezone.now()
    act(moderator, "suspend", answer, note="Spamming links.", days=3)

    author.refresh_from_db()
    assert not author.may_sign_in
    assert author.suspension_reason == "Spamming links."
    assert (
        before + timedelta(days=3) <= author.suspended_until <= timezone.now() + timedelta(days=3)
    )
    row = audit_row(ModerationActionKind.SUSPEND)
    assert row.target_user == author
    assert "3 days" in row.note
    # The token they signed in with stops working at once.
    assert signed_in.get("/api/auth/me").status_code == 401


def test_suspension_defaults_to_seven_days(moderator, answer):
    act(moderator, "suspend", answer, note="Spam.")
    author = reloaded(answer).author
    assert author.is_suspended
    assert "7 days" in audit_row("suspend").note


@pytest.mark.parametrize("days", [0, 366, True, "7"])
def test_suspension_days_out_of_range_are_refused(moderator, answer, days):
    with pytest.raises(InvalidInput) as refused:
        act(moderator, "suspend", answer, note="Spam.", days=days)
    assert refused.value.field == "days"
    assert reloaded(answer).author.may_sign_in


def test_a_moderator_cannot_suspend_another_moderator(moderator):
    other = UserFactory(role=Role.MODERATOR)
    answer = AnswerFactory(author=other)

    with pytest.raises(NotAllowed) as refused:
        act(moderator, "suspend", answer, note="Rude.")

    assert "moderator" in refused.value.message
    assert UserFactory._meta.model.objects.get(pk=other.pk).may_sign_in
    assert not ModerationAction.objects.exists()


def test_only_a_suspension_takes_days(moderator, answer):
    with pytest.raises(InvalidInput):
        act(moderator, "hide", answer, days=3)


@pytest.mark.parametrize(
    "action", ["dismiss", "hide", "unhide", "delete", "restore", "lock", "unlock", "warn"]
)
def test_people_who_are_not_moderators_may_not_act(action, answer):
    flag(answer)
    for person in (UserFactory(), UserFactory(role=Role.EXPERT), answer.question.author):
        with pytest.raises(NotAllowed):
            act(person, action, answer, note="x")
    assert not ModerationAction.objects.exists()
    assert Flag.objects.get().status == FlagStatus.OPEN
    assert not reloaded(answer).is_hidden


def test_a_suspended_moderator_may_not_act(answer):
    suspended = UserFactory(role=Role.MODERATOR, suspended_until=timezone.now() + timedelta(days=1))
    with pytest.raises(NotAllowed):
        act(suspended, "hide", answer)


# --- the API ----------------------------------------------------------------------------------


def post_action(client, **body):
    return client.post("/api/moderation/actions", body)


def test_api_action_answers_the_audit_row_and_the_item(moderator, answer):
    flag(answer)

    response = post_action(
        client_for(moderator),
        action="hide",
        target_type="answer",
        target_id=answer.pk,
        note="Off-topic rant.",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["action"]["action"] == "hide"
    assert body["action"]["moderator"] == {"id": moderator.pk, "username": "mo"}
    assert body["action"]["target_user"]["id"] == answer.author_id
    assert body["action"]["note"] == "Off-topic rant."
    assert body["target"]["is_hidden"] is True
    assert body["target"]["id"] == answer.pk


def test_api_actions_refuse_non_moderators(answer):
    body = {"action": "hide", "target_type": "answer", "target_id": answer.pk}
    assert post_action(APIClient(), **body).status_code == 401
    response = post_action(client_for(UserFactory()), **body)
    assert response.status_code == 403
    assert "moderator" in response.json()["error"]["message"]
    assert not reloaded(answer).is_hidden


def test_api_action_errors(moderator, answer):
    client = client_for(moderator)
    missing = post_action(client, action="hide", target_type="answer", target_id=424242)
    assert missing.status_code == 404

    bad = post_action(client, action="ban", target_type="answer", target_id=answer.pk)
    assert bad.status_code == 400
    assert "action" in bad.json()["error"]["fields"]

    no_note = post_action(client, action="warn", target_type="answer", target_id=answer.pk)
    assert no_note.status_code == 400
    assert "note" in no_note.json()["error"]["fields"]

    post_action(client, action="lock", target_type="answer", target_id=answer.pk)
    twice = post_action(client, action="lock", target_type="answer", target_id=answer.pk)
    assert twice.status_code == 409
    assert twice.json()["error"]["message"] == "This post is already locked."

    assert ModerationAction.objects.count() == 1


def test_api_suspend_takes_days(moderator, answer):
    response = post_action(
        client_for(moderator),
        action="suspend",
        target_type="answer",
        target_id=answer.pk,
        note="Spam.",
        days=30,
    )
    assert response.status_code == 201
    assert "30 days" in response.json()["action"]["note"]
    assert not reloaded(answer).author.may_sign_in


def test_the_audit_log_lists_every_action_newest_first(moderator, answer):
    comment = CommentFactory()
    for _ in range(3):
        flag(comment, FlagReason.SPAM)  # hidden automatically
    act(moderator, "lock", answer)
    act(moderator, "warn", answer, note="Mind the tone.")

    client = client_for(moderator)
    log = client.get("/api/moderation/log").json()

    assert [row["action"] for row in log["results"]] == ["warn", "lock", "hide"]
    assert log["results"][2]["moderator"] is None
    warns = client.get("/api/moderation/log", {"action": "warn"}).json()["results"]
    assert [row["note"] for row in warns] == ["Mind the tone."]
    on_comment = client.get(
        "/api/moderation/log", {"target_type": "comment", "target_id": comment.pk}
    ).json()
    assert on_comment["count"] == 1
    by_author = client.get("/api/moderation/log", {"target_user": answer.author_id}).json()
    assert by_author["count"] == 2


def test_the_audit_log_is_for_moderators(answer):
    assert APIClient().get("/api/moderation/log").status_code == 401
    assert client_for(UserFactory()).get("/api/moderation/log").status_code == 403


def test_the_audit_log_rejects_unknown_filters(moderator):
    response = client_for(moderator).get("/api/moderation/log", {"action": "ban"})
    assert response.status_code == 400


def test_a_missing_answer_row_is_a_404_not_an_error(moderator):
    assert not Answer.objects.exists()
    response = post_action(
        client_for(moderator), action="delete", target_type="answer", target_id=1
    )
    assert response.status_code == 404


def test_flags_outliving_their_item_can_be_dismissed_and_leave_the_queue(moderator):
    comment = CommentFactory()
    flag(comment)
    comment.document.delete()  # takes its comments along; the flag stays
    client = client_for(moderator)
    queue = client.get("/api/flags").json()
    assert queue["results"][0]["target"] is None

    response = post_action(client, action="dismiss", target_type="comment", target_id=comment.pk)

    assert response.status_code == 201
    assert response.json()["target"] is None
    assert client.get("/api/flags").json()["count"] == 0
    assert audit_row(ModerationActionKind.DISMISS).note == "The item no longer exists."
    # Nothing left to dismiss: the address names nothing.
    again = post_action(client, action="dismiss", target_type="comment", target_id=comment.pk)
    assert again.status_code == 404
