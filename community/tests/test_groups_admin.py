"""Study groups in the admin: moderators see groups with their seats, members, requests
and meetups, cannot edit membership by hand, and archive groups with the action."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from accounts.services import user_set_role
from accounts.tests.factories import UserFactory
from community.models import StudyGroup, StudyGroupMember
from community.services import groups_meetups, groups_membership
from community.tests.factories_groups import StudyGroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator_client(client):
    moderator = UserFactory()
    user_set_role(user=moderator, role=Role.MODERATOR, by=None)  # the Moderators group
    client.force_login(moderator)
    return client


@pytest.fixture
def group():
    group = StudyGroupFactory(name="Attention club", is_private=True)
    groups_membership.group_join(group_id=group.pk, user=UserFactory(username="asker"))
    start = timezone.now() + timedelta(days=2)
    groups_meetups.meetup_schedule(
        group_id=group.pk, user=group.owner, title="Kick-off",
        starts_at=start, ends_at=start + timedelta(hours=1),
    )  # fmt: skip
    return group


@pytest.mark.parametrize("model", ["studygroup", "studygroupjoinrequest", "meetup"])
def test_lists_and_pages_open_and_nothing_is_added_by_hand(moderator_client, group, model):
    changelist = reverse(f"admin:community_{model}_changelist")
    response = moderator_client.get(changelist, {"q": "attention"})
    assert response.status_code == 200
    assert "Attention club" in response.content.decode() or model == "studygroupjoinrequest"
    assert moderator_client.get(reverse(f"admin:community_{model}_add")).status_code == 403


def test_the_group_page_shows_members_and_meetups_view_only(moderator_client, group):
    page = moderator_client.get(reverse("admin:community_studygroup_change", args=[group.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert group.owner.username in text and "Kick-off" in text
    assert 'name="_save"' not in text


def test_moderators_archive_groups_with_the_action(moderator_client, group):
    response = moderator_client.post(
        reverse("admin:community_studygroup_changelist"),
        {"action": "archive", "_selected_action": [group.pk]},
        follow=True,
    )
    assert "1 group(s) archived." in response.content.decode()
    group.refresh_from_db()
    assert group.archived_at is not None and group.room.archived_at is not None
    assert StudyGroupMember.objects.filter(group=group).count() == 1  # members kept
    assert StudyGroup.objects.count() == 1
