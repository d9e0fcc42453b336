"""Who is in a study group: joining, leaving, roles, requests and invitations.

Every change of membership happens under the group's row lock (`groups.lock_group`) and
moves `member_count` in the same transaction, so "is a seat free?" and "take it" are one
decision: 50 people joining a 10-seat group at once end with exactly 10 members (the
check constraint on the table is the last line of defence). The group's chat room
follows in the same transaction: who joins reads it, who leaves stops at once.

Private groups: people ask to join (a request the owner or a moderator approves) or are
invited (the invited person accepts). Approving takes a seat under the same lock; when
the group is full the request stays pending until a seat frees up.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from collaboration.permissions import is_moderator
from collaboration.services import room_member_remove

from ..errors import Conflict, InvalidInput, NotAllowed
from ..models import (
    GroupActivityKind,
    GroupRole,
    JoinRequestKind,
    JoinRequestStatus,
    NotificationKind,
    StudyGroup,
    StudyGroupJoinRequest,
    StudyGroupMember,
)
from ..selectors.groups import MANAGER_ROLES
from ..tasks.notifications import notify_on_commit
from .groups import (
    clean_long,
    lock_group,
    member_row,
    record_activity,
    require_manager,
    require_member,
    require_open,
    require_signed_in,
    sync_room_member,
)

MESSAGE_MAX_CHARS = 500


def full_message(group: StudyGroup) -> str:
    return (
        f"“{group.name}” is full: all {group.max_members} seats are taken. Try again when "
        "someone leaves, or look for another group on this topic."
    )


def group_url(group: StudyGroup) -> str:
    return reverse("community:group-detail", args=[group.pk])


def _take_seat(group: StudyGroup, user: User, role: str = GroupRole.MEMBER) -> StudyGroupMember:
    """Adds the member to the locked `group`, or Conflict when no seat is free."""
    if group.member_count >= group.max_members:
        raise Conflict(full_message(group))
    member = StudyGroupMember.objects.create(group=group, user=user, role=role)
    StudyGroup.objects.filter(pk=group.pk).update(member_count=F("member_count") + 1)
    group.member_count += 1
    sync_room_member(group, user, role)
    record_activity(group, GroupActivityKind.JOINED, actor_id=user.pk)
    return member


def _free_seat(group: StudyGroup, member: StudyGroupMember) -> None:
    """Takes the member out of the locked `group` and of its room."""
    member.delete()
    StudyGroup.objects.filter(pk=group.pk).update(member_count=F("member_count") - 1)
    group.member_count -= 1
    if group.room_id is not None:
        room_member_remove(room=group.room, user=member.user)
    record_activity(group, GroupActivityKind.LEFT, actor_id=member.user_id)


def _managers(group: StudyGroup) -> list[int]:
    rows = StudyGroupMember.objects.filter(group=group, role__in=MANAGER_ROLES)
    return list(rows.values_list("user_id", flat=True))


def _pending(group: StudyGroup, user: User) -> StudyGroupJoinRequest | None:
    return (
        StudyGroupJoinRequest.objects.select_for_update()
        .filter(group=group, user=user, status=JoinRequestStatus.PENDING)
        .first()
    )


def _decide(request: StudyGroupJoinRequest, status: str, by: User) -> None:
    request.status = status
    request.decided_by = by
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])


# --- joining and leaving -------------------------------------------------------------------


@dataclass(frozen=True)
class JoinOutcome:
    """`joined` (a member now, or already), or `requested` (a private group: the request
    waits for the owner or a moderator)."""

    status: str
    member: StudyGroupMember | None = None
    request: StudyGroupJoinRequest | None = None


def group_join(*, group_id: int, user: User, message: object = "") -> JoinOutcome:
    """Joins a public group at once when a seat is free; asks to join a private one (or
    accepts the invitation waiting there). Joining twice changes nothing."""
    require_signed_in(user)
    message = clean_long(message, "message", max_chars=MESSAGE_MAX_CHARS, name="message")
    with transaction.atomic():
        group = lock_group(group_id)
        require_open(group)
        existing = member_row(group, user)
        if existing is not None:
            return JoinOutcome("joined", member=existing)
        pending = _pending(group, user)
        if pending is not None and pending.kind == JoinRequestKind.INVITATION:
            member = _take_seat(group, user)
            _decide(pending, JoinRequestStatus.ACCEPTED, user)
            return JoinOutcome("joined", member=member)
        if not group.is_private:
            return JoinOutcome("joined", member=_take_seat(group, user))
        if pending is not None:
            return JoinOutcome("requested", request=pending)
        request = StudyGroupJoinRequest.objects.create(
            group=group, user=user, kind=JoinRequestKind.REQUEST, message=message, created_by=user
        )
        notify_on_commit(
            recipient_ids=_managers(group),
            kind=NotificationKind.GROUP_REQUEST,
            key=f"group-request:{request.pk}",
            title=f"{user.username} asks to join “{group.name}”",
            body=message,
            url=reverse("community:group-manage", args=[group.pk]),
            actor_id=user.pk,
            target_type="study_group",
            target_id=group.pk,
        )
        return JoinOutcome("requested", request=request)


def group_leave(*, group_id: int, user: User) -> bool:
    """Leaves the group (False when not a member). The owner hands the group over first."""
    require_signed_in(user)
    with transaction.atomic():
        group = lock_group(group_id)
        member = member_row(group, user)
        if member is None:
            return False
        if member.role == GroupRole.OWNER:
            raise Conflict(
                "You own this group: make another member its owner first, or archive the group."
            )
        _free_seat(group, member)
    return True


def member_remove(*, group_id: int, user: User, member_user_id: int) -> None:
    """Removes a member: the owner removes anyone else, moderators remove members."""
    with transaction.atomic():
        group = lock_group(group_id)
        actor = require_manager(group, user)
        member = (
            StudyGroupMember.objects.select_related("user")
            .filter(group=group, user_id=member_user_id)
            .first()
        )
        if member is None:
            raise InvalidInput("This person is not a member of the group.", "user_id")
        if member.user_id == user.pk:
            raise Conflict("To leave the group yourself, use “Leave group”.")
        if member.role == GroupRole.OWNER or (
            member.role == GroupRole.MODERATOR and actor.role != GroupRole.OWNER
        ):
            raise NotAllowed("Only the owner can remove a moderator, and nobody the owner.")
        _free_seat(group, member)


def member_set_role(*, group_id: int, user: User, member_user_id: int, role: object) -> None:
    """The owner makes a member a moderator or a member again, or hands the group over
    (role `owner`: the old owner stays on as a moderator)."""
    if role not in GroupRole.values:
        raise InvalidInput(f"Choose one of: {', '.join(GroupRole.values)}.", "role")
    with transaction.atomic():
        group = lock_group(group_id)
        actor = require_manager(group, user)
        require_open(group)
        if actor.role != GroupRole.OWNER:
            raise NotAllowed("Only the group's owner can change roles.")
        member = (
            StudyGroupMember.objects.select_related("user")
            .filter(group=group, user_id=member_user_id)
            .first()
        )
        if member is None:
            raise InvalidInput("This person is not a member of the group.", "user_id")
        if member.pk == actor.pk:
            if role != GroupRole.OWNER:
                raise Conflict("Make another member the owner first; you then become a moderator.")
            return
        if member.role == role:
            return
        member.role = role
        member.save(update_fields=["role"])
        sync_room_member(group, member.user, role)
        if role == GroupRole.OWNER:
            actor.role = GroupRole.MODERATOR
            actor.save(update_fields=["role"])
            sync_room_member(group, user, GroupRole.MODERATOR)
            group.owner = member.user
            group.save(update_fields=["owner", "updated_at"])


# --- requests and invitations --------------------------------------------------------------


def invitation_create(*, group_id: int, user: User, username: object) -> JoinOutcome:
    """Invites someone by username (owner and moderators). Someone who already asked to
    join is let in at once (if a seat is free); inviting twice changes nothing."""
    if not isinstance(username, str) or not username.strip():
        raise InvalidInput("Give the username of the person to invite.", "username")
    invitee = User.objects.filter(username__iexact=username.strip(), is_active=True).first()
    if invitee is None:
        raise InvalidInput(f"Nobody is called “{username.strip()[:150]}” here.", "username")
    with transaction.atomic():
        group = lock_group(group_id)
        require_manager(group, user)
        require_open(group)
        existing = member_row(group, invitee)
        if existing is not None:
            raise Conflict(f"{invitee.username} is already a member.")
        pending = _pending(group, invitee)
        if pending is not None and pending.kind == JoinRequestKind.REQUEST:
            member = _take_seat(group, invitee)
            _decide(pending, JoinRequestStatus.ACCEPTED, user)
            _notify_approved(group, pending, user)
            return JoinOutcome("joined", member=member)
        if pending is not None:
            return JoinOutcome("invited", request=pending)
        invitation = StudyGroupJoinRequest.objects.create(
            group=group, user=invitee, kind=JoinRequestKind.INVITATION, created_by=user
        )
        notify_on_commit(
            recipient_ids=[invitee.pk],
            kind=NotificationKind.GROUP_INVITATION,
            key=f"group-invitation:{invitation.pk}",
            title=f"{user.username} invites you to the study group “{group.name}”",
            body=group.topic_focus,
            url=group_url(group),
            actor_id=user.pk,
            target_type="study_group",
            target_id=group.pk,
        )
        return JoinOutcome("invited", request=invitation)


def _notify_approved(group: StudyGroup, request: StudyGroupJoinRequest, by: User) -> None:
    notify_on_commit(
        recipient_ids=[request.user_id],
        kind=NotificationKind.GROUP_APPROVED,
        key=f"group-approved:{request.pk}",
        title=f"Welcome to “{group.name}”: your request to join was approved",
        url=group_url(group),
        actor_id=by.pk,
        target_type="study_group",
        target_id=group.pk,
    )


def _locked_request(group_id: int, request_id: int) -> tuple[StudyGroup, StudyGroupJoinRequest]:
    group = lock_group(group_id)
    request = (
        StudyGroupJoinRequest.objects.select_for_update()
        .select_related("user")
        .filter(pk=request_id, group=group)
        .first()
    )
    if request is None:
        raise Http404("There is no such request or invitation in this group.")
    return group, request


def _may_decide(group: StudyGroup, request: StudyGroupJoinRequest, user: User) -> None:
    """Requests are decided by the group's owner and moderators, invitations by the
    person invited."""
    if request.kind == JoinRequestKind.INVITATION:
        if request.user_id != user.pk:
            require_member(group, user)  # outsiders of a private group: 404
            raise NotAllowed("Only the person invited can answer this invitation.")
    else:
        require_manager(group, user)


def _require_pending(request: StudyGroupJoinRequest) -> None:
    if request.status != JoinRequestStatus.PENDING:
        raise Conflict(f"This {request.get_kind_display().lower()} was already {request.status}.")


def request_approve(*, group_id: int, request_id: int, user: User) -> StudyGroupMember:
    """Accepts a request (owner, moderators) or an invitation (the invited person): the
    person takes a seat, or Conflict when the group is full (it stays pending)."""
    require_signed_in(user)
    with transaction.atomic():
        group, request = _locked_request(group_id, request_id)
        _may_decide(group, request, user)
        require_open(group)
        _require_pending(request)
        member = member_row(group, request.user) or _take_seat(group, request.user)
        _decide(request, JoinRequestStatus.ACCEPTED, user)
        if request.kind == JoinRequestKind.REQUEST:
            _notify_approved(group, request, user)
    return member


def request_decline(*, group_id: int, request_id: int, user: User) -> StudyGroupJoinRequest:
    require_signed_in(user)
    with transaction.atomic():
        group, request = _locked_request(group_id, request_id)
        _may_decide(group, request, user)
        _require_pending(request)
        _decide(request, JoinRequestStatus.DECLINED, user)
    return request


def request_cancel(*, group_id: int, request_id: int, user: User) -> StudyGroupJoinRequest:
    """Takes back a request (the person who asked) or an invitation (owner, moderators)."""
    require_signed_in(user)
    with transaction.atomic():
        group, request = _locked_request(group_id, request_id)
        if request.kind == JoinRequestKind.REQUEST:
            if request.user_id != user.pk and not is_moderator(user):
                require_member(group, user)  # outsiders of a private group: 404
                raise NotAllowed("Only the person who asked can take the request back.")
        else:
            require_manager(group, user)
        _require_pending(request)
        _decide(request, JoinRequestStatus.CANCELLED, user)
    return request
