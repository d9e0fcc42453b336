"""Who hears about what: watch levels (Discourse's) turned into recipients.

- watching: every event on the target (new questions on a watched document or tag, new
  answers on a watched question, new comments on a watched document);
- tracking and normal: only what concerns you (replies to you, mentions, answers to your
  question, your answer accepted); tracking also counts unread activity in the watch list;
- muted: nothing about the target, not even replies or mentions.

A question without a watch row of its own takes "muted" from its document or any of its
tags; an explicit level on the question wins. Recipients are always people who may read
the thing (a watcher of a tag does not hear of a question on a private document).
"""

from __future__ import annotations

from collections.abc import Iterable

from accounts.models import User
from collaboration.models import Document, DocumentMember, Visibility
from collaboration.permissions import document_access

from ..models import Question, Watch, WatchLevel, WatchTarget


def readers_among(document: Document | None, user_ids: Iterable[int]) -> set[int]:
    """Those of `user_ids` who may read `document` (everyone when there is none), with
    one query for the people and one for their memberships."""
    ids = {int(pk) for pk in user_ids}
    if not ids:
        return set()
    people = User.objects.filter(pk__in=ids, is_active=True)
    if document is None or document.visibility == Visibility.PUBLIC:
        return set(people.values_list("pk", flat=True))
    roles = dict(
        DocumentMember.objects.filter(document=document, user_id__in=ids).values_list(
            "user_id", "role"
        )
    )
    return {
        person.pk
        for person in people
        if document_access(person, document, member_role=roles.get(person.pk)).can_read
    }


def _levels(user_ids: Iterable[int] | None, **target) -> dict[int, str]:
    rows = Watch.objects.filter(**target)
    if user_ids is not None:
        rows = rows.filter(user_id__in=list(user_ids))
    return dict(rows.values_list("user_id", "level"))


def question_levels(question: Question, user_ids: Iterable[int]) -> dict[int, str]:
    """Each user's effective level on the question: their own watch on it, else muted when
    they muted its document or one of its tags, else normal."""
    ids = list(user_ids)
    levels = _levels(ids, target_type=WatchTarget.QUESTION, question_id=question.pk)
    rest = [pk for pk in ids if pk not in levels]
    muted: set[int] = set()
    if rest:
        around = Watch.objects.filter(user_id__in=rest, level=WatchLevel.MUTED)
        tag_ids = list(question.tags.values_list("pk", flat=True))
        muted = set(
            around.filter(target_type=WatchTarget.TAG, tag_id__in=tag_ids).values_list(
                "user_id", flat=True
            )
        )
        if question.document_id is not None:
            muted |= set(
                around.filter(
                    target_type=WatchTarget.DOCUMENT, document_id=question.document_id
                ).values_list("user_id", flat=True)
            )
    return {
        pk: levels.get(pk, WatchLevel.MUTED if pk in muted else WatchLevel.NORMAL) for pk in ids
    }


def not_muted_on_question(question: Question, user_ids: Iterable[int]) -> set[int]:
    """`user_ids` without those who muted the question (or, by default, its tag/document)."""
    levels = question_levels(question, user_ids)
    return {pk for pk, level in levels.items() if level != WatchLevel.MUTED}


def not_muted_on_document(document_id: int, user_ids: Iterable[int]) -> set[int]:
    ids = {int(pk) for pk in user_ids}
    levels = _levels(ids, target_type=WatchTarget.DOCUMENT, document_id=document_id)
    return {pk for pk in ids if levels.get(pk) != WatchLevel.MUTED}


def audience(target_type: str, target_id: int | None, user_ids: Iterable[int]) -> set[int]:
    """`user_ids` who may read the target ("question" or "document") and did not mute it;
    other targets (rooms, groups) are left to their apps."""
    ids = {int(pk) for pk in user_ids}
    if target_id is None or not ids:
        return ids
    if target_type == WatchTarget.QUESTION:
        question = Question.objects.select_related("document").filter(pk=target_id).first()
        if question is None:
            return set()
        return readers_among(question.document, not_muted_on_question(question, ids))
    if target_type == WatchTarget.DOCUMENT:
        document = Document.objects.filter(pk=target_id).first()
        if document is None:
            return set()
        return readers_among(document, not_muted_on_document(document.pk, ids))
    return ids


# --- who gets each event ------------------------------------------------------------------


def new_question_watchers(question: Question) -> set[int]:
    """watched_question: people watching the question's document or one of its tags who
    did not mute the question's other places and may read it."""
    tag_ids = list(question.tags.values_list("pk", flat=True))
    watching = Watch.objects.filter(level=WatchLevel.WATCHING)
    ids = set(
        watching.filter(target_type=WatchTarget.TAG, tag_id__in=tag_ids).values_list(
            "user_id", flat=True
        )
    )
    if question.document_id is not None:
        ids |= set(
            watching.filter(
                target_type=WatchTarget.DOCUMENT, document_id=question.document_id
            ).values_list("user_id", flat=True)
        )
    ids = not_muted_on_question(question, ids)
    return readers_among(question.document, ids)


def question_watchers(question: Question) -> set[int]:
    """watched_activity on a question: people watching it who may still read it."""
    ids = set(
        Watch.objects.filter(
            target_type=WatchTarget.QUESTION, question=question, level=WatchLevel.WATCHING
        ).values_list("user_id", flat=True)
    )
    return readers_among(question.document, ids)


def document_watchers(document: Document) -> set[int]:
    """watched_activity on a document (a new comment): its watchers who may read it."""
    ids = set(
        Watch.objects.filter(
            target_type=WatchTarget.DOCUMENT, document=document, level=WatchLevel.WATCHING
        ).values_list("user_id", flat=True)
    )
    return readers_among(document, ids)
