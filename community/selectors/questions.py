"""Reading questions and answers: what a person may see, lists, similar questions.

Visibility is decided here for every Q&A read (API, pages, panels), on top of
`community.visibility` (deleted and hidden posts): a question about a document its
reader may not open does not exist for them (404), and neither do its answers.

"Answered", as on Stack Overflow: the question has an accepted answer, or an answer
(not deleted, not hidden) with a positive score.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import Http404

from collaboration.markdown import table_of_contents
from collaboration.models import Document, Tag
from collaboration.permissions import readable_documents
from collaboration.selectors.operations import document_find
from collaboration.semantic.related import fuse_rankings, questions_by_meaning

from ..models import Answer, AnswerRevision, Question, QuestionRevision
from ..visibility import visible_posts
from .votes import my_votes  # noqa: F401 - the question pages and API read votes through here

SORTS = ("newest", "votes", "activity")
STATUSES = ("all", "answered", "unanswered")
SIMILAR_LIMIT = 5
SEARCH_CONFIG = "english"
_SIMILAR_MAX_WORDS = 12
# Words too common to say two titles are alike (the SQLite match; PostgreSQL has its own).
_STOP_WORDS = frozenset([
    "a", "an", "and", "are", "can", "does", "for", "from", "how", "i", "in", "is", "it", "my",
    "of", "on", "or", "the", "to", "what", "when", "where", "which", "who", "why", "with",
    "you", "your", "do", "not", "use", "using", "vs",
])  # fmt: skip

_ORDERINGS = {
    "newest": ("-created_at", "-id"),
    "votes": ("-score", "-created_at", "-id"),
    "activity": ("-last_activity_at", "-id"),
}


def question_visible_queryset(user) -> QuerySet[Question]:
    """Every question `user` may see: not deleted (but for moderators), not hidden (but for
    the author and moderators), and about no document or a document they may read."""
    return visible_posts(Question.objects.all(), user).filter(
        Q(document__isnull=True) | Q(document__in=readable_documents(user).values("pk"))
    )


def question_get_visible(*, user, question_id: int, or_none: bool = False) -> Question | None:
    """The question if `user` may see it; Http404 (or None with `or_none`) otherwise."""
    question = (
        question_visible_queryset(user)
        .select_related("author", "document", "duplicate_of", "closed_by", "edited_by")
        .filter(pk=question_id)
        .first()
    )
    if question is None and not or_none:
        raise Http404("There is no such question.")
    return question


def answer_visible_queryset(user) -> QuerySet[Answer]:
    return visible_posts(Answer.objects.all(), user).filter(
        question__in=question_visible_queryset(user).values("pk")
    )


def answer_get_visible(*, user, answer_id: int) -> Answer:
    answer = (
        answer_visible_queryset(user)
        .select_related("author", "edited_by", "question")
        .filter(pk=answer_id)
        .first()
    )
    if answer is None:
        raise Http404("There is no such answer.")
    return answer


def answers_of(*, user, question: Question) -> QuerySet[Answer]:
    """The answers `user` may see: the accepted one first, then by score, then oldest first."""
    return (
        visible_posts(Answer.objects.filter(question=question), user)
        .select_related("author", "edited_by")
        .order_by("-is_accepted", "-score", "created_at", "id")
    )


def answered_condition() -> Q:
    """The "answered" rule of the module docstring, as a filter on questions."""
    helpful = Answer.objects.filter(
        question=OuterRef("pk"), score__gt=0, deleted_at__isnull=True, is_hidden=False
    )
    return Q(accepted_answer__isnull=False) | Q(Exists(helpful))


def document_ref_find(*, user, ref: str) -> Document | None:
    """A document `user` may read, by id or slug (None otherwise)."""
    return document_find(ref=ref, queryset=readable_documents(user))


def question_list(
    *,
    user,
    tag: str | None = None,
    difficulty: str | None = None,
    document: Document | None = None,
    status: str = "all",
    q: str | None = None,
    author: str | None = None,
    sort: str = "newest",
) -> QuerySet[Question]:
    """The questions `user` may see, filtered and sorted (unknown values match nothing)."""
    questions = question_visible_queryset(user).annotate(
        is_answered=Case(
            When(answered_condition(), then=Value(1)), default=Value(0), output_field=IntegerField()
        )
    )
    if tag:
        questions = questions.filter(tags__slug=tag)
    if difficulty:
        questions = questions.filter(difficulty_level=difficulty)
    if document is not None:
        questions = questions.filter(document=document)
    if status == "answered":
        questions = questions.filter(is_answered=1)
    elif status == "unanswered":
        questions = questions.filter(is_answered=0)
    if author:
        questions = questions.filter(author__username__iexact=author)
    for word in (q or "").split()[:10]:
        questions = questions.filter(title__icontains=word)
    return (
        questions.select_related("author", "document")
        .prefetch_related("tags")
        .order_by(*_ORDERINGS.get(sort, _ORDERINGS["newest"]))
    )


DOCUMENT_CHOICES_LIMIT = 200


def document_choices(*, user, include: Document | None = None) -> list[tuple[str, str]]:
    """(id, title) of documents `user` may ask about: the most recently changed first,
    plus `include` (the one chosen already) wherever it ranks."""
    rows = list(
        readable_documents(user)
        .order_by("-updated_at", "-pk")
        .values_list("pk", "title")[:DOCUMENT_CHOICES_LIMIT]
    )
    if include is not None and include.pk not in {pk for pk, _ in rows}:
        rows.insert(0, (include.pk, include.title))
    return [(str(pk), title) for pk, title in rows]


def document_sections(document: Document | None) -> list[tuple[str, str]]:
    """(heading id, title) of the document's headings, indented by level for a select."""
    if document is None:
        return []
    return [
        (entry["id"], f"{'  ' * max(entry['level'] - 2, 0)}{entry['title'] or entry['id']}")
        for entry in table_of_contents(document.content)
        if entry["id"]
    ]


def section_title(document: Document | None, section: str) -> str:
    """The heading's title, or "" when the document no longer has that heading."""
    if document is None or not section:
        return ""
    for entry in table_of_contents(document.content):
        if entry["id"] == section:
            return entry["title"] or section
    return ""


def tag_choices() -> list[tuple[str, str]]:
    """(slug, name) of every tag some question uses, by name."""
    return list(
        Tag.objects.filter(questions__isnull=False)
        .distinct()
        .order_by("name")
        .values_list("slug", "name")
    )


def tag_names() -> list[str]:
    """Every tag's name, for suggestions while typing tags."""
    return list(Tag.objects.order_by("name").values_list("name", flat=True)[:500])


def questions_about_document(*, user, document: Document, limit: int = 8) -> tuple[list, int]:
    """The newest questions about `document` that `user` may see, and how many there are."""
    questions = question_list(user=user, document=document, sort="activity")
    return list(questions[:limit]), questions.count()


# --- similar questions ---------------------------------------------------------------------


def _words(title: str) -> list[str]:
    words: list[str] = []
    for word in re.findall(r"\w+", title.lower()):
        if word not in words and word != "or":
            words.append(word)
    return words[:_SIMILAR_MAX_WORDS]


def question_similar(*, user, title: str, limit: int = SIMILAR_LIMIT) -> list[Question]:
    """Questions like `title`, best first: those sharing words with it fused (reciprocal
    rank) with those closest in meaning (their stored embeddings, collaboration.semantic).

    Words, PostgreSQL: full-text match of any of the words (stemmed, stop words dropped),
    ranked with ts_rank, title weighted over the text. SQLite: any word of three letters or
    more, not a stop word, in the title; more shared words rank higher.
    """
    words = _words(title or "")
    base = question_visible_queryset(user)
    if not words:
        return []
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        query = SearchQuery(" or ".join(words), search_type="websearch", config=SEARCH_CONFIG)
        vector = SearchVector("title", weight="A", config=SEARCH_CONFIG) + SearchVector(
            "content", weight="D", config=SEARCH_CONFIG
        )
        ranked = (
            base.annotate(search=vector)
            .filter(search=query)
            .annotate(rank=SearchRank(F("search"), query))
        )
    else:
        words = [w for w in words if len(w) >= 3 and w not in _STOP_WORDS]
        match = Q() if words else Q(pk__in=[])
        rank = Value(0.0, output_field=FloatField())
        for word in words:
            match |= Q(title__icontains=word)
            rank = rank + Case(
                When(title__icontains=word, then=Value(1.0)),
                default=Value(0.0),
                output_field=FloatField(),
            )
        ranked = base.filter(match).annotate(rank=rank)
    by_words = list(
        ranked.order_by("-rank", "-score", "-created_at", "-id").values_list("pk", flat=True)[
            : 2 * limit
        ]
    )
    by_meaning = questions_by_meaning(text=title, among=base, limit=2 * limit)
    order = fuse_rankings([by_words, by_meaning])[:limit]
    found = base.annotate(
        is_answered=Case(
            When(answered_condition(), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    ).in_bulk(order)
    return [found[pk] for pk in order if pk in found]


# --- history and votes ---------------------------------------------------------------------


def question_revisions(*, question: Question) -> QuerySet[QuestionRevision]:
    return question.revisions.select_related("editor").order_by("number")


def answer_revisions(*, answer: Answer) -> QuerySet[AnswerRevision]:
    return answer.revisions.select_related("editor").order_by("number")
