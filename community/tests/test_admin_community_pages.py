"""Every community model's admin opens, with rows present, for admins and moderators; the
ledger, the audit log and revisions cannot be added, changed or deleted there."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from accounts.services import user_set_role
from accounts.tests.factories import UserFactory
from collaboration.tests.factories import DocumentFactory
from community.models import (
    AmaState,
    AnswerRevision,
    BadgeAward,
    BadgeLevel,
    CommentEvent,
    CommentRevision,
    DigestRun,
    NotificationPreference,
    QuestionRevision,
    ReputationReason,
    Vote,
)
from community.services import amas, amas_faq, amas_questions, moderation, reputation
from community.services.groups import group_create
from community.services.groups_meetups import meetup_schedule
from community.services.groups_membership import group_join

from .factories import AnswerFactory, CommentFactory, QuestionFactory
from .factories_amas import make_ama
from .factories_notifications import NotificationFactory, WatchFactory

pytestmark = pytest.mark.django_db

COMMUNITY_MODELS = sorted(
    model._meta.model_name for model in admin.site._registry if model._meta.app_label == "community"
)
# Rows only services write: viewing, never editing.
READ_ONLY = [
    "vote",
    "reputationevent",
    "badgeaward",
    "moderationaction",
    "questionrevision",
    "answerrevision",
    "commentrevision",
    "commentevent",
]


@pytest.fixture
def rows():
    """One of everything, made the way the site makes it where a service exists."""
    mo = UserFactory(username="mo-helper", role=Role.MODERATOR)
    question = QuestionFactory(title="Why attention scales by root d?")
    QuestionRevision.objects.create(
        question=question, number=1, title=question.title, content=question.content
    )
    answer = AnswerFactory(question=question)
    AnswerRevision.objects.create(answer=answer, number=1, content=answer.content)
    comment = CommentFactory(content="A <script>alert(1)</script> attention comment")
    CommentRevision.objects.create(comment=comment, content="before")
    CommentEvent.objects.create(document=comment.document, comment=comment, kind="created")
    vote = Vote.objects.create(
        user=UserFactory(), target_type="answer", target_id=answer.pk, value=1
    )
    reputation.grant(
        user_id=answer.author_id,
        amount=10,
        reason=ReputationReason.ANSWER_UPVOTED,
        source=f"vote:{vote.pk}",
        target_type="answer",
        target_id=answer.pk,
        capped=True,
    )
    BadgeAward.objects.create(user=answer.author, badge="first_answer", level=BadgeLevel.BRONZE)
    for _ in range(3):  # hidden by the flags, which also writes an audit row
        moderation.flag_create(
            user=UserFactory(), target_type="comment", target_id=comment.pk, reason="spam"
        )
    moderation.flag_create(
        user=UserFactory(), target_type="question", target_id=question.pk, reason="off_topic"
    )
    moderation.author_warn(
        moderator=mo, target_type="answer", target_id=answer.pk, note="Cite your sources."
    )
    # Live community: a private group with a join request and a meetup, an ended AMA with
    # an FAQ entry, notifications, a watch, a preference and a digest run.
    owner = UserFactory()
    group = group_create(
        owner=owner, name="Attention readers", topic_focus="transformers", is_private=True
    )
    group_join(group_id=group.pk, user=UserFactory())
    start = timezone.now() + timedelta(days=7)
    end = start + timedelta(hours=1)
    meetup_schedule(
        group_id=group.pk, user=owner, title="Chapter 3",
        starts_at=start.isoformat(), ends_at=end.isoformat(),
    )  # fmt: skip
    ama = make_ama(state=AmaState.LIVE, documents=[DocumentFactory()])
    asked = amas_questions.question_ask(ama_id=ama.pk, author=UserFactory(), content="Why?")
    amas_questions.question_answer(ama_id=ama.pk, question_id=asked.pk, user=ama.host, answer="So.")
    amas.ama_end(ama_id=ama.pk, user=ama.host)
    amas_faq.faq_from_answers(ama_id=ama.pk, user=ama.host, question_ids=[asked.pk])
    NotificationFactory(recipient=answer.author)
    WatchFactory(user=answer.author, target_type="question", question=question)
    NotificationPreference.objects.create(user=answer.author, kind="badge", delivery="email")
    DigestRun.objects.create(user=answer.author, day=date(2026, 5, 4))
    return {"question": question, "answer": answer, "comment": comment}


@pytest.fixture(params=["superuser", "moderator"])
def staff_client(request, client):
    if request.param == "superuser":
        person = UserFactory(is_superuser=True, is_staff=True)
    else:
        person = UserFactory()
        user_set_role(user=person, role=Role.MODERATOR, by=None)
    client.force_login(person)
    return client


def test_every_community_model_is_in_the_admin():
    expected = {
        "question",
        "answer",
        "comment",
        "flag",
        *READ_ONLY,
    }
    assert expected <= set(COMMUNITY_MODELS)


@pytest.mark.parametrize("model_name", COMMUNITY_MODELS)
def test_changelists_and_change_pages_open_with_rows(rows, staff_client, model_name):
    changelist = reverse(f"admin:community_{model_name}_changelist")
    response = staff_client.get(changelist)
    assert response.status_code == 200
    assert staff_client.get(changelist, {"q": "attention"}).status_code == 200

    model = next(m for m in admin.site._registry if m._meta.model_name == model_name)
    first = model.objects.order_by("pk").first()
    assert first is not None, f"no {model_name} row to open"
    page = staff_client.get(reverse(f"admin:community_{model_name}_change", args=[first.pk]))
    assert page.status_code == 200


@pytest.mark.parametrize("model_name", COMMUNITY_MODELS)
def test_nothing_is_added_or_deleted_by_hand(rows, staff_client, model_name):
    model = next(m for m in admin.site._registry if m._meta.model_name == model_name)
    first = model.objects.order_by("pk").first()
    assert staff_client.get(reverse(f"admin:community_{model_name}_add")).status_code == 403
    delete = reverse(f"admin:community_{model_name}_delete", args=[first.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=first.pk).exists()


@pytest.mark.parametrize("model_name", [*READ_ONLY, "question", "answer", "comment", "flag"])
def test_change_pages_are_view_only(rows, staff_client, model_name):
    model = next(m for m in admin.site._registry if m._meta.model_name == model_name)
    first = model.objects.order_by("pk").first()
    url = reverse(f"admin:community_{model_name}_change", args=[first.pk])
    page = staff_client.get(url).content.decode()
    assert 'name="_save"' not in page
    # A forged save changes nothing.
    staff_client.post(url, {"content": "changed", "note": "changed", "amount": 999})
    first_again = model.objects.get(pk=first.pk)
    for field in ("content", "note", "amount"):
        if hasattr(first, field):
            assert getattr(first_again, field) == getattr(first, field)


def test_the_queue_shows_the_flagged_item_its_author_and_flag_count(rows, staff_client):
    comment = rows["comment"]
    page = staff_client.get(reverse("admin:community_flag_changelist")).content.decode()

    assert f'href="/admin/community/comment/{comment.pk}/change/"' in page
    assert "A &lt;script&gt;alert(1)&lt;/script&gt; attention comment" in page  # escaped
    assert comment.author.username in page
    assert "hidden by spam flags" in page
    assert 'class="field-open_flags">3<' in page


def test_the_queue_lists_open_flags_first(rows, staff_client):
    moderation.flags_dismiss(
        moderator=UserFactory(role=Role.MODERATOR),
        target_type="question",
        target_id=rows["question"].pk,
    )
    response = staff_client.get(reverse("admin:community_flag_changelist"))
    statuses = [flag.status for flag in response.context["cl"].result_list]
    assert statuses == ["open", "open", "open", "dismissed"]


def test_the_queue_filters_by_status_reason_and_type(rows, staff_client):
    url = reverse("admin:community_flag_changelist")
    by_reason = staff_client.get(url, {"reason__exact": "off_topic"})
    assert [f.target_type for f in by_reason.context["cl"].result_list] == ["question"]
    by_type = staff_client.get(url, {"target_type__exact": "comment"})
    assert len(by_type.context["cl"].result_list) == 3
    by_status = staff_client.get(url, {"status__exact": "dismissed"})
    assert len(by_status.context["cl"].result_list) == 0


def test_the_audit_log_shows_automatic_and_moderator_actions(rows, staff_client):
    page = staff_client.get(reverse("admin:community_moderationaction_changelist")).content
    page = page.decode()
    assert "automatic (flags)" in page
    assert "mo-helper" in page
    assert "Cite your sources." in page


def test_post_lists_filter_by_hidden_deleted_and_locked(rows, staff_client):
    url = reverse("admin:community_comment_changelist")
    hidden = staff_client.get(url, {"is_hidden__exact": "1"}).context["cl"].result_list
    assert [c.pk for c in hidden] == [rows["comment"].pk]
    assert not staff_client.get(url, {"deleted": "yes"}).context["cl"].result_list
    assert not staff_client.get(url, {"is_locked__exact": "1"}).context["cl"].result_list


def test_a_post_page_shows_its_revisions_and_rendered_text(rows, staff_client):
    question = rows["question"]
    page = staff_client.get(
        reverse("admin:community_question_change", args=[question.pk])
    ).content.decode()
    assert "Question revisions" in page or "question revisions" in page.lower()
    assert "<strong>softmax</strong>" in page  # the Markdown, rendered
