"""Joining, leaving, roles, requests and invitations, as the services enforce them: seats
never run over, the chat room follows membership, the right people are notified."""

from __future__ import annotations

import pytest
from django.http import Http404

from accounts.tests.factories import UserFactory
from collaboration.models import RoomMember
from collaboration.permissions import can_read_room
from community.errors import Conflict, InvalidInput, NotAllowed
from community.models import (
    GroupRole,
    JoinRequestKind,
    JoinRequestStatus,
    Notification,
    NotificationKind,
    StudyGroup,
    StudyGroupMember,
)
from community.services import groups
from community.services import groups_membership as membership
from community.tests.factories_groups import StudyGroupFactory

pytestmark = pytest.mark.django_db


def members(group) -> set[str]:
    return set(
        StudyGroupMember.objects.filter(group=group).values_list("user__username", flat=True)
    )


def count(group) -> int:
    group.refresh_from_db()
    assert group.member_count == StudyGroupMember.objects.filter(group=group).count()
    return group.member_count


def reads_room(user, group) -> bool:
    group.refresh_from_db()
    is_member = RoomMember.objects.filter(room=group.room, user=user).exists()
    return can_read_room(user, group.room, is_member=is_member)


# --- creating ------------------------------------------------------------------------------


def test_the_creator_owns_the_group_its_room_and_its_goals():
    owner = UserFactory()
    group = groups.group_create(
        owner=owner,
        name="  Transformers   from scratch ",
        topic_focus="transformers",
        max_members=5,
        is_private=True,
        learning_goals=["Explain attention", "", "Implement it", "Explain attention"],
    )
    assert group.name == "Transformers from scratch"
    assert StudyGroupMember.objects.get(group=group).role == GroupRole.OWNER
    assert count(group) == 1
    assert list(group.goals.values_list("title", flat=True)) == [
        "Explain attention",
        "Implement it",
    ]
    assert group.room.kind == "study_group" and not group.room.is_public
    assert RoomMember.objects.get(room=group.room, user=owner).is_moderator


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"topic_focus": "   "}, "topic_focus"),
        ({"max_members": 1}, "max_members"),
        ({"max_members": "ten"}, "max_members"),
        ({"is_private": "yes"}, "is_private"),
        ({"learning_goals": "not a list"}, "learning_goals"),
        ({"name": "x" * 500}, "name"),
    ],
)
def test_bad_input_names_the_field_and_creates_nothing(fields, field):
    wanted = {"owner": UserFactory(), "name": "Group", "topic_focus": "nlp", **fields}
    with pytest.raises(InvalidInput) as refused:
        groups.group_create(**wanted)
    assert refused.value.field == field
    assert not StudyGroup.objects.exists()


# --- public groups -------------------------------------------------------------------------


def test_joining_a_public_group_takes_a_seat_and_opens_the_room():
    group = StudyGroupFactory()
    lena = UserFactory(username="lena")
    outcome = membership.group_join(group_id=group.pk, user=lena)
    assert outcome.status == "joined"
    assert count(group) == 2
    assert RoomMember.objects.filter(room=group.room, user=lena, is_moderator=False).exists()
    # Joining again changes nothing.
    assert membership.group_join(group_id=group.pk, user=lena).status == "joined"
    assert count(group) == 2


def test_a_full_group_says_so_and_adds_nobody():
    group = StudyGroupFactory(max_members=2)
    membership.group_join(group_id=group.pk, user=UserFactory())
    with pytest.raises(Conflict) as refused:
        membership.group_join(group_id=group.pk, user=UserFactory())
    assert "full" in refused.value.message and "2 seats" in refused.value.message
    assert count(group) == 2


def test_a_member_who_leaves_frees_the_seat_and_can_no_longer_read_a_private_room():
    group = StudyGroupFactory(is_private=True)
    lena = UserFactory()
    invitation = membership.invitation_create(
        group_id=group.pk, user=group.owner, username=lena.username
    )
    membership.request_approve(group_id=group.pk, request_id=invitation.request.pk, user=lena)
    assert reads_room(lena, group)
    assert membership.group_leave(group_id=group.pk, user=lena) is True
    assert count(group) == 1
    assert not reads_room(lena, group)
    assert membership.group_leave(group_id=group.pk, user=lena) is False


def test_the_owner_hands_the_group_over_before_leaving():
    group = StudyGroupFactory()
    owner, rui = group.owner, UserFactory()
    membership.group_join(group_id=group.pk, user=rui)
    with pytest.raises(Conflict):
        membership.group_leave(group_id=group.pk, user=group.owner)
    membership.member_set_role(
        group_id=group.pk, user=group.owner, member_user_id=rui.pk, role=GroupRole.OWNER
    )
    group.refresh_from_db()
    assert group.owner == rui
    roles = dict(StudyGroupMember.objects.filter(group=group).values_list("user_id", "role"))
    assert roles == {rui.pk: GroupRole.OWNER, owner.pk: GroupRole.MODERATOR}
    assert membership.group_leave(group_id=group.pk, user=owner) is True
    assert count(group) == 1


def test_roles_moderators_and_removing_members():
    group = StudyGroupFactory()
    mod, lena, bob = UserFactory(), UserFactory(), UserFactory()
    for user in (mod, lena, bob):
        membership.group_join(group_id=group.pk, user=user)
    membership.member_set_role(
        group_id=group.pk, user=group.owner, member_user_id=mod.pk, role=GroupRole.MODERATOR
    )
    assert RoomMember.objects.get(room=group.room, user=mod).is_moderator
    # Moderators remove members, not the owner or each other; members remove nobody.
    membership.member_remove(group_id=group.pk, user=mod, member_user_id=lena.pk)
    with pytest.raises(NotAllowed):
        membership.member_remove(group_id=group.pk, user=mod, member_user_id=group.owner_id)
    with pytest.raises(NotAllowed):
        membership.member_remove(group_id=group.pk, user=bob, member_user_id=mod.pk)
    with pytest.raises(NotAllowed):
        membership.member_set_role(
            group_id=group.pk, user=mod, member_user_id=bob.pk, role=GroupRole.MODERATOR
        )
    assert members(group) == {group.owner.username, mod.username, bob.username}
    assert count(group) == 3
    membership.member_set_role(
        group_id=group.pk, user=group.owner, member_user_id=mod.pk, role=GroupRole.MEMBER
    )
    assert not RoomMember.objects.get(room=group.room, user=mod).is_moderator


def test_seats_never_go_below_the_members_there_are():
    group = StudyGroupFactory(max_members=5)
    membership.group_join(group_id=group.pk, user=UserFactory())
    with pytest.raises(InvalidInput) as refused:
        groups.group_update(group_id=group.pk, user=group.owner, max_members=1)
    assert refused.value.field == "max_members"
    groups.group_update(group_id=group.pk, user=group.owner, max_members=2, name="Renamed")
    group.refresh_from_db()
    assert (group.max_members, group.name) == (2, "Renamed")


def test_making_a_group_private_closes_its_room_to_outsiders():
    group = StudyGroupFactory()
    outsider = UserFactory()
    assert reads_room(outsider, group)
    groups.group_update(group_id=group.pk, user=group.owner, is_private=True)
    assert not reads_room(outsider, group)
    assert reads_room(group.owner, group)


def test_an_archived_group_changes_no_more():
    group = StudyGroupFactory()
    with pytest.raises(NotAllowed):
        groups.group_archive(group_id=group.pk, user=UserFactory())
    groups.group_archive(group_id=group.pk, user=group.owner)
    group.refresh_from_db()
    assert group.archived_at is not None and group.room.archived_at is not None
    with pytest.raises(Conflict):
        membership.group_join(group_id=group.pk, user=UserFactory())


# --- private groups: requests and invitations ----------------------------------------------


def test_asking_to_join_a_private_group_waits_for_approval_and_notifies_managers(
    eager_tasks, django_capture_on_commit_callbacks
):
    group = StudyGroupFactory(is_private=True)
    mod = UserFactory()
    invite = membership.invitation_create(
        group_id=group.pk, user=group.owner, username=mod.username
    )
    membership.request_approve(group_id=group.pk, request_id=invite.request.pk, user=mod)
    membership.member_set_role(
        group_id=group.pk, user=group.owner, member_user_id=mod.pk, role=GroupRole.MODERATOR
    )
    lena = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        outcome = membership.group_join(group_id=group.pk, user=lena, message="I'd love to learn")
    assert outcome.status == "requested" and outcome.request.kind == JoinRequestKind.REQUEST
    assert count(group) == 2
    assert not reads_room(lena, group)
    asked = Notification.objects.filter(kind=NotificationKind.GROUP_REQUEST)
    assert set(asked.values_list("recipient_id", flat=True)) == {group.owner_id, mod.pk}
    # Asking again is the same request.
    assert membership.group_join(group_id=group.pk, user=lena).request == outcome.request

    # The requester cannot approve themself; a moderator can.
    with pytest.raises(Http404):
        membership.request_approve(group_id=group.pk, request_id=outcome.request.pk, user=lena)
    with django_capture_on_commit_callbacks(execute=True):
        membership.request_approve(group_id=group.pk, request_id=outcome.request.pk, user=mod)
    outcome.request.refresh_from_db()
    assert outcome.request.status == JoinRequestStatus.ACCEPTED
    assert reads_room(lena, group) and count(group) == 3
    approved = Notification.objects.get(kind=NotificationKind.GROUP_APPROVED)
    assert approved.recipient == lena and approved.url == f"/groups/{group.pk}/"
    with pytest.raises(Conflict):
        membership.request_approve(group_id=group.pk, request_id=outcome.request.pk, user=mod)


def test_approving_when_full_is_refused_and_the_request_stays_pending():
    group = StudyGroupFactory(is_private=True, max_members=2)
    first, second = UserFactory(), UserFactory()
    one = membership.group_join(group_id=group.pk, user=first).request
    two = membership.group_join(group_id=group.pk, user=second).request
    membership.request_approve(group_id=group.pk, request_id=one.pk, user=group.owner)
    with pytest.raises(Conflict) as refused:
        membership.request_approve(group_id=group.pk, request_id=two.pk, user=group.owner)
    assert "full" in refused.value.message
    two.refresh_from_db()
    assert two.status == JoinRequestStatus.PENDING
    assert count(group) == 2


def test_invitations_are_answered_by_the_invited_person(
    eager_tasks, django_capture_on_commit_callbacks
):
    group = StudyGroupFactory(is_private=True)
    eve, mallory = UserFactory(username="eve"), UserFactory()
    with pytest.raises(InvalidInput) as refused:
        membership.invitation_create(group_id=group.pk, user=group.owner, username="nobody")
    assert refused.value.field == "username"
    with pytest.raises(Http404):
        membership.invitation_create(group_id=group.pk, user=mallory, username="eve")
    with django_capture_on_commit_callbacks(execute=True):
        invitation = membership.invitation_create(
            group_id=group.pk, user=group.owner, username="EVE"
        )
    assert invitation.status == "invited"
    note = Notification.objects.get(kind=NotificationKind.GROUP_INVITATION)
    assert note.recipient == eve and group.name in note.title
    with pytest.raises(Http404):
        membership.request_approve(
            group_id=group.pk, request_id=invitation.request.pk, user=mallory
        )
    with pytest.raises(NotAllowed):  # the owner cannot accept on eve's behalf
        membership.request_approve(
            group_id=group.pk, request_id=invitation.request.pk, user=group.owner
        )
    membership.request_decline(group_id=group.pk, request_id=invitation.request.pk, user=eve)
    assert count(group) == 1
    # A new invitation, accepted by joining.
    membership.invitation_create(group_id=group.pk, user=group.owner, username="eve")
    assert membership.group_join(group_id=group.pk, user=eve).status == "joined"
    assert reads_room(eve, group)
    with pytest.raises(Conflict):
        membership.invitation_create(group_id=group.pk, user=group.owner, username="eve")


def test_inviting_someone_who_asked_lets_them_in_and_requests_can_be_taken_back():
    group = StudyGroupFactory(is_private=True)
    lena, bob = UserFactory(), UserFactory()
    membership.group_join(group_id=group.pk, user=lena)
    outcome = membership.invitation_create(
        group_id=group.pk, user=group.owner, username=lena.username
    )
    assert outcome.status == "joined" and count(group) == 2
    request = membership.group_join(group_id=group.pk, user=bob).request
    with pytest.raises(Http404):  # somebody else's request, in a group they are not in
        membership.request_cancel(group_id=group.pk, request_id=request.pk, user=UserFactory())
    membership.request_cancel(group_id=group.pk, request_id=request.pk, user=bob)
    request.refresh_from_db()
    assert request.status == JoinRequestStatus.CANCELLED
