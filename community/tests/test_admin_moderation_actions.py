"""Admin actions on the moderation queue and on posts: a confirmation page with the note
(and days), then the moderation services, which write the audit log."""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

from accounts.roles import Role
from accounts.services import user_set_role
from accounts.tests.factories import UserFactory
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

from .factories import AnswerFactory, CommentFactory, QuestionFactory

pytestmark = pytest.mark.django_db

QUEUE = "admin:community_flag_changelist"


@pytest.fixture
def moderator():
    person = UserFactory(username="mo")
    user_set_role(user=person, role=Role.MODERATOR, by=None)
    return person


@pytest.fixture
def mo_client(client, moderator):
    client.force_login(moderator)
    return client


def flag_it(item, reason="rude", times=1) -> list[Flag]:
    return [
        moderation.flag_create(
            user=UserFactory(),
            target_type=type(item).__name__.lower(),
            target_id=item.pk,
            reason=reason,
        )
        for _ in range(times)
    ]


def run_action(client, url_name, action, rows, **form):
    data = {"action": f"moderate_{action}", helpers.ACTION_CHECKBOX_NAME: [r.pk for r in rows]}
    data.update(form)
    return client.post(reverse(url_name), data)


def test_an_action_first_asks_for_confirmation_and_a_note(mo_client):
    answer = AnswerFactory(content="Visit my shop for GPUs")
    flags = flag_it(answer, times=2)

    page = run_action(mo_client, QUEUE, "hide", flags)

    assert page.status_code == 200
    html = page.content.decode()
    assert "Hide (only the author and moderators see it)" in html
    assert "Visit my shop for GPUs" in html
    assert "2 open flags" in html
    assert 'name="note"' in html
    assert not Answer.objects.get(pk=answer.pk).is_hidden  # nothing done yet
    assert not ModerationAction.objects.exists()


def test_confirming_runs_the_service_once_per_item(mo_client, moderator):
    answer = AnswerFactory()
    flags = flag_it(answer, times=2)

    response = run_action(mo_client, QUEUE, "hide", flags, apply="yes", note="Advertising.")

    assert response.status_code == 302
    answer = Answer.objects.get(pk=answer.pk)
    assert (answer.is_hidden, answer.hidden_reason) == (True, HiddenReason.MODERATOR)
    row = ModerationAction.objects.get()  # two flags, one item: one action
    assert (row.action, row.moderator, row.note) == ("hide", moderator, "Advertising.")
    assert set(Flag.objects.values_list("status", flat=True)) == {FlagStatus.ACTIONED}
    messages = [str(m) for m in mo_client.get(reverse(QUEUE)).context["messages"]]
    assert any("done for 1 item" in m for m in messages)


def test_dismiss_from_the_queue_shows_a_spam_hidden_item_again(mo_client):
    comment = CommentFactory()
    flags = flag_it(comment, reason="spam", times=3)
    assert Comment.objects.get(pk=comment.pk).is_hidden

    run_action(mo_client, QUEUE, "dismiss", flags[:1], apply="yes")

    assert not Comment.objects.get(pk=comment.pk).is_hidden
    assert set(Flag.objects.values_list("status", flat=True)) == {FlagStatus.DISMISSED}
    assert ModerationAction.objects.filter(action=ModerationActionKind.DISMISS).count() == 1


def test_warning_without_a_note_shows_the_form_error_and_does_nothing(mo_client):
    question = QuestionFactory()
    flags = flag_it(question)

    page = run_action(mo_client, QUEUE, "warn", flags, apply="yes", note=" ")

    assert page.status_code == 200
    assert "This field is required." in page.content.decode()
    assert not ModerationAction.objects.filter(action="warn").exists()
    assert Flag.objects.get().status == FlagStatus.OPEN


def test_suspending_from_the_queue(mo_client):
    answer = AnswerFactory()
    flags = flag_it(answer)

    page = run_action(mo_client, QUEUE, "suspend", flags)
    assert 'name="days"' in page.content.decode()
    assert 'value="7"' in page.content.decode()

    run_action(mo_client, QUEUE, "suspend", flags, apply="yes", note="Spam.", days="7")

    author = Answer.objects.get(pk=answer.pk).author
    assert not author.may_sign_in
    row = ModerationAction.objects.get(action="suspend")
    assert row.target_user == author
    assert "7 days" in row.note


def test_refused_items_are_reported_and_the_others_go_ahead(mo_client, moderator):
    hidden, fresh = CommentFactory(), CommentFactory()
    moderation.post_hide(moderator=moderator, target_type="comment", target_id=hidden.pk)

    run_action(
        mo_client, "admin:community_comment_changelist", "hide", [hidden, fresh], apply="yes"
    )

    assert Comment.objects.get(pk=fresh.pk).is_hidden
    assert ModerationAction.objects.filter(action="hide").count() == 2  # the first + fresh
    messages = [
        str(m)
        for m in mo_client.get(reverse("admin:community_comment_changelist")).context["messages"]
    ]
    assert any("This post is already hidden." in m for m in messages)


@pytest.mark.parametrize(
    ("model", "factory"),
    [("question", QuestionFactory), ("answer", AnswerFactory), ("comment", CommentFactory)],
)
@pytest.mark.parametrize(
    ("action", "check"),
    [
        ("hide", lambda item: item.is_hidden),
        ("delete", lambda item: item.deleted_at is not None),
        ("lock", lambda item: item.is_locked),
    ],
)
def test_post_admins_moderate_through_the_services(
    mo_client, moderator, model, factory, action, check
):
    item = factory()

    run_action(mo_client, f"admin:community_{model}_changelist", action, [item], apply="yes")

    assert check(type(item).objects.get(pk=item.pk))
    row = ModerationAction.objects.get()
    assert (row.action, row.moderator, row.target_type, row.target_id) == (
        action,
        moderator,
        model,
        item.pk,
    )


def test_a_staff_member_who_is_not_a_moderator_is_refused_by_the_service(client):
    # Staff with the model permissions but no moderator role (set up by hand).
    staff = UserFactory(is_staff=True, is_superuser=False)
    moderators = user_set_role(user=UserFactory(), role=Role.MODERATOR, by=None).groups.first()
    staff.groups.add(moderators)
    client.force_login(staff)
    question = QuestionFactory()

    response = run_action(
        client, "admin:community_question_changelist", "hide", [question], apply="yes"
    )

    assert response.status_code == 302
    assert not Question.objects.get(pk=question.pk).is_hidden
    assert not ModerationAction.objects.exists()
    listing = client.get(reverse("admin:community_question_changelist"))
    assert any("Only moderators may do this." in str(m) for m in listing.context["messages"])


def test_flags_whose_item_is_gone_are_dismissed_from_the_queue(mo_client):
    comment = CommentFactory()
    flags = flag_it(comment)
    comment.document.delete()

    page = run_action(mo_client, QUEUE, "dismiss", flags)
    assert f"comment {comment.pk} (no longer exists)" in page.content.decode()
    run_action(mo_client, QUEUE, "dismiss", flags, apply="yes")

    assert Flag.objects.get().status == FlagStatus.DISMISSED
