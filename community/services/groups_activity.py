"""Feed entries for what members do elsewhere on the site: editing a document on their
group's reading list, asking a question about one (or tagged with the group's topic).

Called by `community.hooks.groups`: the document edit from the post-commit hook (inside
its delivery transaction, so the entry commits exactly once with the hook's cursor), the
question once its transaction committed (its tags are set after the row is saved).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.text import slugify

from ..models import GroupActivityKind, Question, ReadingListItem, StudyGroupMember
from .groups import record_activity


def document_edited(*, document_id: int, user_id: int | None, when: datetime) -> int:
    """One entry per member, document and day in each open group of theirs listing the
    document; answers how many were added."""
    if user_id is None:
        return 0
    groups = ReadingListItem.objects.filter(
        document_id=document_id,
        group__archived_at__isnull=True,
        group__members__user_id=user_id,
    ).values_list("group_id", flat=True)
    added = 0
    for group_id in sorted(set(groups)):
        added += bool(
            record_activity(
                group_id,
                GroupActivityKind.DOCUMENT_EDITED,
                actor_id=user_id,
                document_id=document_id,
                dedupe_key=f"edited:{document_id}:{user_id}:{when.date().isoformat()}",
            )
        )
    return added


def question_asked(*, question_id: int) -> int:
    """An entry in each open group of the asker's whose reading list has the question's
    document, or whose topic is one of its tags; answers how many were added."""
    question = Question.objects.filter(pk=question_id).first()
    if question is None:
        return 0
    tags = list(question.tags.values_list("slug", "name"))
    # Topics are written freely ("Deep learning"): they match a tag by slug or by name.
    topics = {slug for slug, _ in tags} | {name.lower() for _, name in tags}
    group_ids = set()
    memberships = StudyGroupMember.objects.filter(
        user_id=question.author_id, group__archived_at__isnull=True
    ).select_related("group")
    for membership in memberships:
        topic = membership.group.topic_focus
        if slugify(topic) in topics or topic.lower() in topics:
            group_ids.add(membership.group_id)
    if question.document_id:
        listing = ReadingListItem.objects.filter(
            document_id=question.document_id,
            group__archived_at__isnull=True,
            group__members__user_id=question.author_id,
        )
        group_ids |= set(listing.values_list("group_id", flat=True))
    added = 0
    with transaction.atomic():
        for group_id in sorted(group_ids):
            added += bool(
                record_activity(
                    group_id,
                    GroupActivityKind.QUESTION_ASKED,
                    actor_id=question.author_id,
                    question=question,
                    document_id=question.document_id,
                    dedupe_key=f"question:{question.pk}",
                )
            )
    return added
