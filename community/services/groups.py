"""Study groups: creating, editing and archiving them, and the rules every group action
shares (input cleaning, the group's row lock, who manages it, the room kept in step,
the activity feed).

Lock order in every group write: the group row first (`lock_group`), then whatever it
holds (members, requests, goals, meetups). Joins, leaves and approvals change
`member_count` under that lock, so the seat check and the insert are one decision.
Membership, requests and invitations are in `groups_membership`, the reading list and
goals in `groups_content`, meetups and their reminders in `groups_meetups`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from collaboration.locking import take_sqlite_write_lock
from collaboration.permissions import is_moderator, is_signed_in
from collaboration.services import room_archive, room_create, room_member_add, room_set_public
from collaboration.services.validation import clean_text, contains_nul

from ..errors import Conflict, InvalidInput, NotAllowed
from ..models import (
    GroupActivity,
    GroupActivityKind,
    GroupRole,
    LearningGoal,
    StudyGroup,
    StudyGroupMember,
)
from ..selectors.groups import MANAGER_ROLES, NOT_FOUND

if TYPE_CHECKING:
    from accounts.models import User

ROOM_KIND = "study_group"
NAME_MAX_CHARS = 120
TOPIC_MAX_CHARS = 120
DESCRIPTION_MAX_CHARS = 5000
GOAL_TITLE_MAX_CHARS = 200
GOAL_DESCRIPTION_MAX_CHARS = 2000
MAX_GOALS = 30
MIN_MEMBERS = 2
MAX_MEMBERS = 500


# --- input rules ---------------------------------------------------------------------------


def clean(value: object, field: str, *, max_chars: int, name: str) -> str:
    """Stripped, storable, non-empty text, or InvalidInput naming `field`."""
    try:
        return " ".join(clean_text(value, field, max_chars=max_chars, name=name).split())
    except ValidationError as exc:
        raise InvalidInput(exc.message_dict[field][0], field) from None


def clean_long(value: object, field: str, *, max_chars: int, name: str) -> str:
    """Optional multi-line text (a description, an agenda): "" when absent."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"The {name} must be text.", field)
    if contains_nul(value):
        raise InvalidInput(f"The {name} contains invalid characters.", field)
    if len(value.strip()) > max_chars:
        raise InvalidInput(f"Keep the {name} to {max_chars} characters or fewer.", field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"The {name} contains invalid characters.", field) from None
    return value.strip()


def clean_max_members(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("Give the number of seats as a whole number.", "max_members")
    if not MIN_MEMBERS <= value <= MAX_MEMBERS:
        raise InvalidInput(
            f"A group has between {MIN_MEMBERS} and {MAX_MEMBERS} seats.", "max_members"
        )
    return value


def clean_goal_titles(values: object) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, list | tuple):
        raise InvalidInput("List the learning goals, one text per goal.", "learning_goals")
    titles = []
    for value in values:
        if isinstance(value, str) and not value.strip():
            continue
        title = clean(value, "learning_goals", max_chars=GOAL_TITLE_MAX_CHARS, name="goal")
        if title not in titles:
            titles.append(title)
    if len(titles) > MAX_GOALS:
        raise InvalidInput(f"A group has at most {MAX_GOALS} goals.", "learning_goals")
    return titles


# --- shared rules --------------------------------------------------------------------------


def require_signed_in(user) -> None:
    if not is_signed_in(user):
        raise NotAllowed("Log in to take part in study groups.")


def lock_group(group_id: int) -> StudyGroup:
    """The group's row, locked until the transaction ends (call inside one). 404 when it
    does not exist."""
    take_sqlite_write_lock(StudyGroup, group_id)
    group = StudyGroup.objects.select_for_update().filter(pk=group_id).first()
    if group is None:
        raise Http404(NOT_FOUND)
    return group


def require_open(group: StudyGroup) -> None:
    if group.archived_at is not None:
        raise Conflict("This group is archived: it is kept for reading, and nothing changes.")


def member_row(group: StudyGroup, user) -> StudyGroupMember | None:
    if not is_signed_in(user):
        return None
    return StudyGroupMember.objects.filter(group=group, user=user).first()


def _hidden_from(group: StudyGroup, user) -> bool:
    """A private group's insides do not exist for outsiders (as for its details)."""
    return group.is_private and not is_moderator(user)


def require_member(group: StudyGroup, user) -> StudyGroupMember:
    member = member_row(group, user)
    if member is None and _hidden_from(group, user):
        raise Http404(NOT_FOUND)
    if member is None:
        raise NotAllowed("Only the group's members can do this. Join the group first.")
    return member


def require_manager(group: StudyGroup, user) -> StudyGroupMember:
    member = member_row(group, user)
    if member is None and _hidden_from(group, user):
        raise Http404(NOT_FOUND)
    if member is None or member.role not in MANAGER_ROLES:
        raise NotAllowed("Only the group's owner and moderators can do this.")
    return member


def record_activity(
    group: StudyGroup | int, kind: str, *, actor_id: int | None, dedupe_key: str = "", **about
) -> GroupActivity | None:
    """Adds an entry to the feed (inside the caller's transaction). With `dedupe_key`, a
    repeat of the same event (one entry per member, document and day, say) adds nothing."""
    group_id = group if isinstance(group, int) else group.pk
    entry = GroupActivity(
        group_id=group_id, kind=kind, actor_id=actor_id, dedupe_key=dedupe_key, **about
    )
    if not dedupe_key:
        entry.save()
        return entry
    if GroupActivity.objects.filter(group_id=group_id, dedupe_key=dedupe_key).exists():
        return None
    try:
        with transaction.atomic():  # a savepoint: a racing twin only loses this entry
            entry.save()
    except IntegrityError:
        return None
    return entry


def sync_room_member(group: StudyGroup, user, role: str) -> None:
    """The member reads the group's room; owner and moderators moderate it."""
    if group.room_id is not None:
        room_member_add(room=group.room, user=user, is_moderator=role in MANAGER_ROLES)


# --- create, edit, archive -----------------------------------------------------------------


def group_create(
    *,
    owner: User,
    name: object,
    description: object = "",
    topic_focus: object,
    max_members: object = 20,
    is_private: object = False,
    learning_goals: object = (),
) -> StudyGroup:
    """A new group owned by `owner` (its first member), with its chat room and its goals
    (`learning_goals`: a list of texts, in order)."""
    require_signed_in(owner)
    name = clean(name, "name", max_chars=NAME_MAX_CHARS, name="name")
    topic = clean(topic_focus, "topic_focus", max_chars=TOPIC_MAX_CHARS, name="topic")
    description = clean_long(
        description, "description", max_chars=DESCRIPTION_MAX_CHARS, name="description"
    )
    seats = clean_max_members(max_members)
    if not isinstance(is_private, bool):
        raise InvalidInput("Say whether the group is private: true or false.", "is_private")
    goals = clean_goal_titles(learning_goals)
    with transaction.atomic():
        room = room_create(
            kind=ROOM_KIND, title=name, is_public=not is_private, created_by=owner, members=[]
        )
        group = StudyGroup.objects.create(
            name=name,
            description=description,
            topic_focus=topic,
            max_members=seats,
            is_private=is_private,
            owner=owner,
            room=room,
            member_count=1,
        )
        StudyGroupMember.objects.create(group=group, user=owner, role=GroupRole.OWNER)
        sync_room_member(group, owner, GroupRole.OWNER)
        LearningGoal.objects.bulk_create(
            [
                LearningGoal(group=group, title=title, position=index, created_by=owner)
                for index, title in enumerate(goals)
            ]
        )
        record_activity(group, GroupActivityKind.JOINED, actor_id=owner.pk)
    return group


_UNCHANGED: Any = object()


def group_update(
    *,
    group_id: int,
    user: User,
    name: object = _UNCHANGED,
    description: object = _UNCHANGED,
    topic_focus: object = _UNCHANGED,
    max_members: object = _UNCHANGED,
    is_private: object = _UNCHANGED,
) -> StudyGroup:
    """Edits the fields given (owner and moderators). Seats never drop below the members
    there are; making a group private closes its room to everyone else."""
    updates: dict[str, Any] = {}
    if name is not _UNCHANGED:
        updates["name"] = clean(name, "name", max_chars=NAME_MAX_CHARS, name="name")
    if topic_focus is not _UNCHANGED:
        updates["topic_focus"] = clean(
            topic_focus, "topic_focus", max_chars=TOPIC_MAX_CHARS, name="topic"
        )
    if description is not _UNCHANGED:
        updates["description"] = clean_long(
            description, "description", max_chars=DESCRIPTION_MAX_CHARS, name="description"
        )
    if max_members is not _UNCHANGED:
        updates["max_members"] = clean_max_members(max_members)
    if is_private is not _UNCHANGED:
        if not isinstance(is_private, bool):
            raise InvalidInput("Say whether the group is private: true or false.", "is_private")
        updates["is_private"] = is_private
    with transaction.atomic():
        group = lock_group(group_id)
        require_manager(group, user)
        require_open(group)
        seats = updates.get("max_members", group.max_members)
        if seats < group.member_count:
            raise InvalidInput(
                f"The group has {group.member_count} members: it needs at least that many seats.",
                "max_members",
            )
        changed = [field for field, value in updates.items() if getattr(group, field) != value]
        for field in changed:
            setattr(group, field, updates[field])
        if changed:
            group.save(update_fields=[*changed, "updated_at"])
        if "is_private" in changed and group.room_id is not None:
            room_set_public(room=group.room, is_public=not group.is_private)
    return group


def group_archive(*, group_id: int, user: User) -> StudyGroup:
    """Archives the group (its owner, or a site moderator): it leaves the list, its room
    closes for new messages, and everything stays readable to its members."""
    with transaction.atomic():
        group = lock_group(group_id)
        member = member_row(group, user)
        owns = member is not None and member.role == GroupRole.OWNER
        if not (owns or is_moderator(user)):
            raise NotAllowed("Only the group's owner can archive it.")
        if group.archived_at is None:
            group.archived_at = timezone.now()
            group.save(update_fields=["archived_at", "updated_at"])
            if group.room_id is not None:
                room_archive(room=group.room)
    return group
