"""Reading study groups: who may see what, lists, goals with progress, the feed.

Visibility, decided here for the API and the pages alike:
- every group that is not archived is *listed* (name, topic, seats) to everyone, private
  ones included, so people can find them and ask to join;
- a public group's details are readable by everyone, a private group's by its members,
  the people it invited (who need them to decide) and site moderators; to anyone else a
  private group's details do not exist (404);
- an archived group stays readable by its members and site moderators only.
Documents on a reading list and activity about them are shown only to readers of the
document, so a list never leaks the title of a private page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from collaboration.permissions import is_moderator, is_signed_in, readable_documents

from ..models import (
    GoalProgress,
    GroupActivity,
    GroupRole,
    JoinRequestKind,
    JoinRequestStatus,
    LearningGoal,
    Meetup,
    ReadingListItem,
    StudyGroup,
    StudyGroupJoinRequest,
    StudyGroupMember,
)
from .questions import question_visible_queryset

MANAGER_ROLES = (GroupRole.OWNER, GroupRole.MODERATOR)
NOT_FOUND = "No such study group, or it is private."


def membership(user, group: StudyGroup | int) -> StudyGroupMember | None:
    """The user's membership of the group, or None (anonymous users have none)."""
    if not is_signed_in(user):
        return None
    group_id = group if isinstance(group, int) else group.pk
    return StudyGroupMember.objects.filter(group_id=group_id, user=user).first()


def role_of(user, group: StudyGroup | int) -> str | None:
    member = membership(user, group)
    return None if member is None else member.role


def is_manager(user, group: StudyGroup | int) -> bool:
    """Owner or moderator of this group (site moderators are not, unless they are)."""
    return role_of(user, group) in MANAGER_ROLES


def has_pending_invitation(user, group: StudyGroup | int) -> bool:
    if not is_signed_in(user):
        return False
    group_id = group if isinstance(group, int) else group.pk
    return StudyGroupJoinRequest.objects.filter(
        group_id=group_id,
        user=user,
        kind=JoinRequestKind.INVITATION,
        status=JoinRequestStatus.PENDING,
    ).exists()


def can_see_details(user, group: StudyGroup) -> bool:
    if is_moderator(user) or membership(user, group) is not None:
        return True
    if group.archived_at is not None:
        return False
    return not group.is_private or has_pending_invitation(user, group)


def group_listed_get(*, group_id: int) -> StudyGroup:
    """A group anyone may find in the list (to join or ask to join); 404 when archived."""
    group = StudyGroup.objects.filter(pk=group_id, archived_at__isnull=True).first()
    if group is None:
        raise Http404(NOT_FOUND)
    return group


def group_get_visible(*, user, group_id: int) -> StudyGroup:
    """The group with its details, or 404 for anyone who may not read them."""
    group = StudyGroup.objects.select_related("owner", "room").filter(pk=group_id).first()
    if group is None or not can_see_details(user, group):
        raise Http404(NOT_FOUND)
    return group


def group_list(
    *,
    user,
    topic: str | None = None,
    open_seats: bool = False,
    mine: bool = False,
    q: str | None = None,
) -> QuerySet[StudyGroup]:
    """Groups that are not archived, newest first. `mine`: only the user's groups."""
    groups = StudyGroup.objects.filter(archived_at__isnull=True).select_related("owner")
    if topic:
        groups = groups.filter(topic_focus__iexact=topic.strip())
    if open_seats:
        groups = groups.filter(member_count__lt=F("max_members"))
    if mine:
        if not is_signed_in(user):
            return groups.none()
        groups = groups.filter(members__user=user)
    if q:
        for word in q.split()[:8]:
            groups = groups.filter(
                Q(name__icontains=word) | Q(topic_focus__icontains=word)
                | (Q(is_private=False) & Q(description__icontains=word))
            )  # fmt: skip
    return groups


def topics() -> list[str]:
    """The topics groups focus on (for the list's filter), alphabetically."""
    names = (
        StudyGroup.objects.filter(archived_at__isnull=True)
        .values_list("topic_focus", flat=True)
        .distinct()
    )
    return sorted({name for name in names if name}, key=str.lower)


def roles_in(user, group_ids: list[int]) -> dict[int, str]:
    """{group id: the user's role} for the groups of a page (one query)."""
    if not is_signed_in(user) or not group_ids:
        return {}
    rows = StudyGroupMember.objects.filter(user=user, group_id__in=group_ids)
    return dict(rows.values_list("group_id", "role"))


def pending_of(user, group_ids: list[int]) -> dict[int, StudyGroupJoinRequest]:
    """{group id: the user's pending request or invitation} for the groups of a page."""
    if not is_signed_in(user) or not group_ids:
        return {}
    rows = StudyGroupJoinRequest.objects.filter(
        user=user, group_id__in=group_ids, status=JoinRequestStatus.PENDING
    )
    return {row.group_id: row for row in rows}


def members_of(*, group: StudyGroup) -> QuerySet[StudyGroupMember]:
    """Owner first, then moderators, then members by when they joined."""
    order = {GroupRole.OWNER: 0, GroupRole.MODERATOR: 1, GroupRole.MEMBER: 2}
    rank = Case(
        *[When(role=role, then=Value(n)) for role, n in order.items()],
        output_field=IntegerField(),
    )
    return (
        StudyGroupMember.objects.filter(group=group)
        .select_related("user")
        .annotate(rank=rank)
        .order_by("rank", "joined_at", "id")
    )


def requests_of(*, user, group: StudyGroup) -> QuerySet[StudyGroupJoinRequest]:
    """Pending requests and invitations: all of them for the group's owner and
    moderators, the user's own for anyone else."""
    pending = StudyGroupJoinRequest.objects.filter(
        group=group, status=JoinRequestStatus.PENDING
    ).select_related("user", "created_by")
    if is_manager(user, group):
        return pending
    if not is_signed_in(user):
        return pending.none()
    return pending.filter(user=user)


def reading_list(*, user, group: StudyGroup) -> QuerySet[ReadingListItem]:
    """The list in its order, without the documents `user` may not read."""
    return (
        ReadingListItem.objects.filter(group=group, document__in=readable_documents(user))
        .select_related("document", "added_by")
        .order_by("position", "id")
    )


@dataclass(frozen=True)
class GoalWithProgress:
    goal: LearningGoal
    done_count: int
    member_count: int
    done_by_me: bool

    @property
    def percent(self) -> int:
        if not self.member_count:
            return 0
        return min(100, round(100 * self.done_count / self.member_count))


def goals_with_progress(*, user, group: StudyGroup) -> list[GoalWithProgress]:
    """Each goal with how many current members ticked it, and whether the viewer did."""
    # Ticks of people who left no longer count (a user has one membership per group).
    done = Count("progress", filter=Q(progress__user__study_group_memberships__group=group))
    goals = LearningGoal.objects.filter(group=group).annotate(done=done).order_by("position", "id")
    mine: set[int] = set()
    if is_signed_in(user):
        mine = set(
            GoalProgress.objects.filter(goal__group=group, user=user).values_list(
                "goal_id", flat=True
            )
        )
    members = StudyGroupMember.objects.filter(group=group).count()
    return [GoalWithProgress(goal, goal.done, members, goal.pk in mine) for goal in goals]


def goal_progress(*, user, goal: LearningGoal) -> GoalWithProgress:
    (found,) = [g for g in goals_with_progress(user=user, group=goal.group) if g.goal == goal]
    return found


def meetups_of(*, group: StudyGroup, upcoming_after=None) -> QuerySet[Meetup]:
    """The group's meetups by start; with `upcoming_after`, only those not cancelled that
    have not ended by then."""
    meetups = Meetup.objects.filter(group=group).select_related("created_by")
    if upcoming_after is not None:
        meetups = meetups.filter(cancelled_at__isnull=True, ends_at__gt=upcoming_after)
    return meetups.order_by("starts_at", "id")


def activity_of(*, user, group: StudyGroup) -> QuerySet[GroupActivity]:
    """The feed, newest first, without entries about documents or questions the viewer
    may not see."""
    readable = readable_documents(user)
    visible_questions = question_visible_queryset(user)
    return (
        GroupActivity.objects.filter(group=group)
        .filter(Q(document__isnull=True) | Q(document__in=readable))
        .filter(Q(question__isnull=True) | Q(question__in=visible_questions))
        .select_related("actor", "document", "question", "goal", "meetup")
        .order_by("-id")
    )
