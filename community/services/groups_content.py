"""What a study group works through: its reading list and its learning goals, with each
member's own progress.

Members add documents they can read to the list (an entry only ever shows to readers of
the document); the adder or the group's owner and moderators remove it, and the owner
and moderators set the order. Goals are the owner's and moderators' to write; every
member ticks their own progress, and finishing a goal is news in the group's feed.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import Http404

from accounts.models import User
from collaboration.models import Document
from collaboration.permissions import readable_documents
from collaboration.selectors.operations import document_find

from ..errors import Conflict, InvalidInput, NotAllowed
from ..models import (
    GoalProgress,
    GroupActivityKind,
    LearningGoal,
    ReadingListItem,
    StudyGroup,
)
from ..selectors.groups import MANAGER_ROLES
from .groups import (
    GOAL_DESCRIPTION_MAX_CHARS,
    GOAL_TITLE_MAX_CHARS,
    MAX_GOALS,
    clean,
    clean_long,
    lock_group,
    record_activity,
    require_manager,
    require_member,
    require_open,
)

NOTE_MAX_CHARS = 500
MAX_READING_LIST = 200


# --- the reading list ----------------------------------------------------------------------


def _readable_document(user: User, ref: object) -> Document:
    if isinstance(ref, bool) or not isinstance(ref, int | str) or not str(ref).strip():
        raise InvalidInput("Give the id or slug of a document.", "document_id")
    document = document_find(ref=str(ref).strip(), queryset=readable_documents(user))
    if document is None:
        raise InvalidInput(
            "There is no document by that id or slug that you can read.", "document_id"
        )
    return document


def reading_list_add(
    *, group_id: int, user: User, document: object, note: object = ""
) -> ReadingListItem:
    """Puts a document the member can read at the end of the list (once per document)."""
    note = clean_long(note, "note", max_chars=NOTE_MAX_CHARS, name="note")
    with transaction.atomic():
        group = lock_group(group_id)
        require_member(group, user)
        require_open(group)
        found = _readable_document(user, document)
        if ReadingListItem.objects.filter(group=group, document=found).exists():
            raise Conflict(f"“{found.title}” is already on the reading list.")
        if ReadingListItem.objects.filter(group=group).count() >= MAX_READING_LIST:
            raise Conflict(f"A reading list holds at most {MAX_READING_LIST} documents.")
        last = ReadingListItem.objects.filter(group=group).aggregate(m=Max("position"))["m"]
        item = ReadingListItem.objects.create(
            group=group,
            document=found,
            note=note,
            position=0 if last is None else last + 1,
            added_by=user,
        )
        record_activity(
            group,
            GroupActivityKind.DOCUMENT_ADDED,
            actor_id=user.pk,
            document=found,
            dedupe_key=f"added:{found.pk}",
        )
    return item


def _locked_item(group: StudyGroup, item_id: int) -> ReadingListItem:
    item = ReadingListItem.objects.filter(group=group, pk=item_id).first()
    if item is None:
        raise Http404("This document is not on the group's reading list.")
    return item


def reading_list_remove(*, group_id: int, user: User, item_id: int) -> None:
    with transaction.atomic():
        group = lock_group(group_id)
        member = require_member(group, user)
        require_open(group)
        item = _locked_item(group, item_id)
        if item.added_by_id != user.pk and member.role not in MANAGER_ROLES:
            raise NotAllowed("Only who added it, the owner or a moderator can remove it.")
        item.delete()


def reading_list_reorder(*, group_id: int, user: User, item_ids: object) -> None:
    """Puts the list in the order of `item_ids` (every entry of the list, once each)."""
    if not isinstance(item_ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in item_ids
    ):
        raise InvalidInput("List the ids of the reading list's entries in order.", "item_ids")
    with transaction.atomic():
        group = lock_group(group_id)
        require_manager(group, user)
        require_open(group)
        items = {item.pk: item for item in ReadingListItem.objects.filter(group=group)}
        if sorted(item_ids) != sorted(items):
            raise InvalidInput("List every entry of the reading list exactly once.", "item_ids")
        for position, pk in enumerate(item_ids):
            items[pk].position = position
        ReadingListItem.objects.bulk_update(items.values(), ["position"])


# --- goals ---------------------------------------------------------------------------------


def _goal(group: StudyGroup, goal_id: int) -> LearningGoal:
    goal = LearningGoal.objects.filter(group=group, pk=goal_id).first()
    if goal is None:
        raise Http404("The group has no such goal.")
    return goal


def goal_add(*, group_id: int, user: User, title: object, description: object = "") -> LearningGoal:
    title = clean(title, "title", max_chars=GOAL_TITLE_MAX_CHARS, name="goal")
    description = clean_long(
        description, "description", max_chars=GOAL_DESCRIPTION_MAX_CHARS, name="description"
    )
    with transaction.atomic():
        group = lock_group(group_id)
        require_manager(group, user)
        require_open(group)
        goals = LearningGoal.objects.filter(group=group)
        if goals.count() >= MAX_GOALS:
            raise Conflict(f"A group has at most {MAX_GOALS} goals.")
        last = goals.aggregate(m=Max("position"))["m"]
        return LearningGoal.objects.create(
            group=group,
            title=title,
            description=description,
            position=0 if last is None else last + 1,
            created_by=user,
        )


_UNCHANGED = object()


def goal_update(
    *,
    group_id: int,
    goal_id: int,
    user: User,
    title: object = _UNCHANGED,
    description: object = _UNCHANGED,
    position: object = _UNCHANGED,
) -> LearningGoal:
    fields: dict[str, object] = {}
    if title is not _UNCHANGED:
        fields["title"] = clean(title, "title", max_chars=GOAL_TITLE_MAX_CHARS, name="goal")
    if description is not _UNCHANGED:
        fields["description"] = clean_long(
            description, "description", max_chars=GOAL_DESCRIPTION_MAX_CHARS, name="description"
        )
    if position is not _UNCHANGED:
        if isinstance(position, bool) or not isinstance(position, int) or position < 0:
            raise InvalidInput("The position is a whole number, 0 or more.", "position")
        fields["position"] = position
    with transaction.atomic():
        group = lock_group(group_id)
        require_manager(group, user)
        require_open(group)
        goal = _goal(group, goal_id)
        for name, value in fields.items():
            setattr(goal, name, value)
        if fields:
            goal.save(update_fields=list(fields))
    return goal


def goal_remove(*, group_id: int, goal_id: int, user: User) -> None:
    with transaction.atomic():
        group = lock_group(group_id)
        require_manager(group, user)
        require_open(group)
        _goal(group, goal_id).delete()


def goal_tick(*, group_id: int, goal_id: int, user: User) -> bool:
    """Marks the goal done for the member (True when it was not yet). The first time a
    member finishes a goal, the feed says so (once, even if they untick and tick again)."""
    with transaction.atomic():
        group = lock_group(group_id)
        require_member(group, user)
        require_open(group)
        goal = _goal(group, goal_id)
        if GoalProgress.objects.filter(goal=goal, user=user).exists():
            return False
        try:
            with transaction.atomic():
                GoalProgress.objects.create(goal=goal, user=user)
        except IntegrityError:
            return False
        record_activity(
            group,
            GroupActivityKind.GOAL_COMPLETED,
            actor_id=user.pk,
            goal=goal,
            dedupe_key=f"goal:{goal.pk}:{user.pk}",
        )
    return True


def goal_untick(*, group_id: int, goal_id: int, user: User) -> bool:
    with transaction.atomic():
        group = lock_group(group_id)
        require_member(group, user)
        require_open(group)
        goal = _goal(group, goal_id)
        deleted, _ = GoalProgress.objects.filter(goal=goal, user=user).delete()
    return deleted > 0
