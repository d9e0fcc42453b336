"""Registrations of study groups with the platform's seams; imported once by
CommunityConfig.ready():

- the post-commit hook: a member editing a document on their group's reading list (from
  the editor, the API or a merged proposal) is news in the group's feed, once per member,
  document and day;
- questions: a member asking about a listed document, or under the group's topic, too
  (once the question committed, when its tags are there);
- the demo: `manage.py seed` adds a public and a private group.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.db.models.signals import post_save

from collaboration import revisions
from collaboration.demo import demo_seeded

from ..demo.groups import seed_groups
from ..models import Question
from ..services import groups_activity


@revisions.receiver("community.group_activity", start="now", batch=True)
def listed_document_edited(events: list[revisions.RevisionEvent]) -> None:
    """One entry per member, document and day: each author and day of the delivery once."""
    seen: set[tuple[int | None, object]] = set()
    for event in events:
        key = (event.author_id, event.created_at.date())
        if key in seen:
            continue
        seen.add(key)
        groups_activity.document_edited(
            document_id=event.document_id, user_id=event.author_id, when=event.created_at
        )


def question_saved(sender, instance: Question, created: bool, raw: bool = False, **_kwargs) -> None:
    if created and not raw:
        transaction.on_commit(partial(groups_activity.question_asked, question_id=instance.pk))


post_save.connect(question_saved, sender=Question, dispatch_uid="community.groups.question")
demo_seeded.connect(seed_groups, dispatch_uid="community.demo.groups")
