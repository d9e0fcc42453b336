"""The group's feed: joining, leaving, finishing a goal, adding a document to the reading
list, editing one (from any source, through the post-commit hook; once per member,
document and day), asking a question about one or under the group's topic, scheduling a
meetup. Newest first; nothing about documents the reader may not open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from collaboration import services as docs
from collaboration.models import DocumentMember, MemberRole, Visibility
from collaboration.tests.factories import commit_edit
from community.errors import Conflict, InvalidInput, NotAllowed
from community.models import GroupActivity, GroupActivityKind
from community.selectors import groups as selectors
from community.services import groups_content as content
from community.services import groups_meetups as meetups
from community.services import groups_membership as membership
from community.services import questions
from community.tests.factories_groups import StudyGroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    return StudyGroupFactory(topic_focus="Attention")


@pytest.fixture
def lena(group):
    user = UserFactory(username="lena")
    membership.group_join(group_id=group.pk, user=user)
    return user


@pytest.fixture
def page(group):
    return docs.document_create(owner=group.owner, title="Attention", content="# Attention\n")


def feed(group, user=None) -> list[tuple[str, str]]:
    entries = selectors.activity_of(user=user or group.owner, group=group)
    return [(entry.kind, entry.actor.username if entry.actor else "") for entry in entries]


def test_joining_leaving_goals_and_meetups_show_newest_first(group, lena):
    goal = group.goals.get()
    content.goal_tick(group_id=group.pk, goal_id=goal.pk, user=lena)
    content.goal_untick(group_id=group.pk, goal_id=goal.pk, user=lena)
    content.goal_tick(group_id=group.pk, goal_id=goal.pk, user=lena)  # announced once
    start = timezone.now() + timedelta(days=2)
    meetups.meetup_schedule(
        group_id=group.pk, user=group.owner, title="Kick-off",
        starts_at=start.isoformat(), ends_at=(start + timedelta(hours=1)).isoformat(),
    )  # fmt: skip
    membership.group_leave(group_id=group.pk, user=lena)
    owner = group.owner.username
    assert feed(group) == [
        ("left", "lena"),
        ("meetup_scheduled", owner),
        ("goal_completed", "lena"),
        ("joined", "lena"),
        ("joined", owner),
    ]


def test_goal_progress_counts_current_members_and_the_viewers_own_tick(group, lena):
    goal = group.goals.get()
    content.goal_tick(group_id=group.pk, goal_id=goal.pk, user=lena)
    (progress,) = selectors.goals_with_progress(user=lena, group=group)
    group.refresh_from_db()
    assert (progress.done_count, progress.member_count, progress.percent) == (1, 2, 50)
    assert progress.done_by_me
    (owners_view,) = selectors.goals_with_progress(user=group.owner, group=group)
    assert not owners_view.done_by_me
    with pytest.raises(NotAllowed):
        content.goal_tick(group_id=group.pk, goal_id=goal.pk, user=UserFactory())
    membership.group_leave(group_id=group.pk, user=lena)
    group.refresh_from_db()
    (after,) = selectors.goals_with_progress(user=group.owner, group=group)
    assert (after.done_count, after.member_count) == (0, 1)


def test_the_reading_list_holds_readable_documents_once_and_hides_private_ones(group, lena, page):
    item = content.reading_list_add(
        group_id=group.pk, user=lena, document=page.slug, note="Start here"
    )
    with pytest.raises(Conflict):
        content.reading_list_add(group_id=group.pk, user=lena, document=page.pk)
    secret = docs.document_create(
        owner=group.owner, title="Owner's notes", content="x\n", visibility=Visibility.PRIVATE
    )
    with pytest.raises(InvalidInput) as refused:  # lena cannot read it
        content.reading_list_add(group_id=group.pk, user=lena, document=secret.pk)
    assert refused.value.field == "document_id"
    content.reading_list_add(group_id=group.pk, user=group.owner, document=secret.pk)
    assert [i.document.title for i in selectors.reading_list(user=lena, group=group)] == [
        "Attention"
    ]
    assert len(selectors.reading_list(user=group.owner, group=group)) == 2
    # The feed does not name the private page to lena either.
    assert [k for k, _ in feed(group, lena)].count("document_added") == 1
    assert [k for k, _ in feed(group)].count("document_added") == 2
    with pytest.raises(NotAllowed):  # only who added it, or the owner and moderators
        other = UserFactory()
        membership.group_join(group_id=group.pk, user=other)
        content.reading_list_remove(group_id=group.pk, user=other, item_id=item.pk)
    content.reading_list_remove(group_id=group.pk, user=lena, item_id=item.pk)


def test_reordering_the_reading_list(group, page):
    second = docs.document_create(owner=group.owner, title="Softmax", content="x\n")
    a = content.reading_list_add(group_id=group.pk, user=group.owner, document=page.pk)
    b = content.reading_list_add(group_id=group.pk, user=group.owner, document=second.pk)
    content.reading_list_reorder(group_id=group.pk, user=group.owner, item_ids=[b.pk, a.pk])
    order = [i.pk for i in selectors.reading_list(user=group.owner, group=group)]
    assert order == [b.pk, a.pk]
    with pytest.raises(InvalidInput):
        content.reading_list_reorder(group_id=group.pk, user=group.owner, item_ids=[b.pk])


def test_editing_a_listed_document_is_news_once_per_member_document_and_day(
    group, lena, page, django_capture_on_commit_callbacks
):
    DocumentMember.objects.create(document=page, user=lena, role=MemberRole.EDITOR)
    content.reading_list_add(group_id=group.pk, user=group.owner, document=page.pk)
    unlisted = docs.document_create(owner=lena, title="Lena's page", content="x\n")
    with django_capture_on_commit_callbacks(execute=True):
        commit_edit(page, lena, [len(page.content), "Queries meet keys.\n"])
    with django_capture_on_commit_callbacks(execute=True):
        commit_edit(page, lena, [len(page.content), "Then softmax.\n"])
    with django_capture_on_commit_callbacks(execute=True):
        commit_edit(unlisted, lena, [len(unlisted.content), "More.\n"])
    edited = GroupActivity.objects.filter(group=group, kind=GroupActivityKind.DOCUMENT_EDITED)
    assert [(e.actor, e.document) for e in edited] == [(lena, page)]
    # An outsider's edit of the page is not the group's news.
    outsider = UserFactory()
    DocumentMember.objects.create(document=page, user=outsider, role=MemberRole.EDITOR)
    with django_capture_on_commit_callbacks(execute=True):
        commit_edit(page, outsider, [len(page.content), "!\n"])
    assert edited.count() == 1


def test_questions_about_a_listed_document_or_under_the_topic_are_news(
    group, lena, page, django_capture_on_commit_callbacks
):
    content.reading_list_add(group_id=group.pk, user=group.owner, document=page.pk)
    with django_capture_on_commit_callbacks(execute=True):
        about = questions.question_create(
            author=lena,
            title="Why scale the dot product?",
            content="I do not see why we divide by the root of d_k.",
            document=page.pk,
        )
    with django_capture_on_commit_callbacks(execute=True):
        tagged = questions.question_create(
            author=lena,
            title="Attention versus convolution?",
            content="How do the two compare on images, in practice?",
            tags=["attention"],
        )
    with django_capture_on_commit_callbacks(execute=True):
        questions.question_create(
            author=lena,
            title="Which optimiser should I start with?",
            content="Adam or SGD with momentum for a small CNN?",
            tags=["optimization"],
        )
    asked = GroupActivity.objects.filter(group=group, kind=GroupActivityKind.QUESTION_ASKED)
    assert sorted(e.question_id for e in asked) == sorted([about.pk, tagged.pk])
