"""Which questions, answers and comments a person may see, and where each one lives.

A post is visible when `community.visibility` says so (deleted: moderators; hidden: author
and moderators) AND what it belongs to is visible: a comment's document must be readable,
a question's document (when it has one) too, and an answer's question must be visible.
Votes, the reputation ledger, badges and profiles all decide with these, so a private
document's discussion never shows through any of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse

from collaboration.permissions import can_read_document, readable_documents

from ..models import Answer, Comment, Question, TargetType
from ..visibility import can_see_post, visible_posts

# The Q&A pages' route name for one question (community/views/questions.py).
QUESTION_PAGE = "community:question-detail"


def visible_questions(user) -> QuerySet[Question]:
    return visible_posts(Question.objects.all(), user).filter(
        Q(document__isnull=True) | Q(document__in=readable_documents(user))
    )


def visible_answers(user) -> QuerySet[Answer]:
    return visible_posts(Answer.objects.all(), user).filter(question__in=visible_questions(user))


def visible_comments(user) -> QuerySet[Comment]:
    return visible_posts(Comment.objects.all(), user).filter(document__in=readable_documents(user))


_VISIBLE = {
    TargetType.QUESTION: visible_questions,
    TargetType.ANSWER: visible_answers,
    TargetType.COMMENT: visible_comments,
}


def visible_targets(user, target_type: str) -> QuerySet:
    """The items of `target_type` that `user` may see (a queryset to narrow further)."""
    return _VISIBLE[target_type](user)


def can_see_target(user, target_type: str, item) -> bool:
    """One item already loaded (e.g. locked for a vote): the same rules as visible_targets."""
    if not can_see_post(user, item):
        return False
    if target_type == TargetType.COMMENT:
        return can_read_document(user, item.document)
    if target_type == TargetType.ANSWER:
        return can_see_target(user, TargetType.QUESTION, item.question)
    return item.document_id is None or can_read_document(user, item.document)


@dataclass(frozen=True)
class TargetLink:
    """What a page or an API client shows of an item it may see."""

    title: str
    url: str | None


def question_url(question_id: int) -> str | None:
    try:
        return reverse(QUESTION_PAGE, kwargs={"question_id": question_id})
    except NoReverseMatch:  # the Q&A pages are not installed
        return None


def link_of(target_type: str, item) -> TargetLink:
    """The title and page of an item (answers: their question's; comments: their
    document's), its related question or document loaded."""
    if target_type == TargetType.QUESTION:
        return TargetLink(item.title, question_url(item.pk))
    if target_type == TargetType.ANSWER:
        url = question_url(item.question_id)
        return TargetLink(item.question.title, url and f"{url}#answer-{item.pk}")
    return TargetLink(item.document.title, f"{item.document.get_absolute_url()}#comment-{item.pk}")


_RELATED = {
    TargetType.QUESTION: (),
    TargetType.ANSWER: ("question",),
    TargetType.COMMENT: ("document",),
}


def target_links(user, pairs) -> dict[tuple[str, int], TargetLink]:
    """{(target_type, id): link} for the (target_type, id) pairs `user` may see; the others
    are left out, so a caller shows nothing of them (not even a title)."""
    wanted: dict[str, set[int]] = {}
    for target_type, target_id in pairs:
        if target_type in _VISIBLE and target_id:
            wanted.setdefault(target_type, set()).add(target_id)
    links = {}
    for target_type, ids in wanted.items():
        items = visible_targets(user, target_type).filter(pk__in=ids)
        for item in items.select_related(*_RELATED[target_type]):
            links[(target_type, item.pk)] = link_of(target_type, item)
    return links
