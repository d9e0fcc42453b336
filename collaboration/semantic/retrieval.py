"""Search over document sections, questions and answers: by words, by title, by meaning,
or all three fused.

Three rankings, each a list of results best first:
- keyword: the documents the existing full-text search ranks (`collaboration.search`:
  PostgreSQL's ts_rank, a simpler match on SQLite), each opened into its sections that
  contain the query's words (the lead when none does), then questions and answers ranked
  by full-text match the same way;
- trigram: titles (headings, document titles, question titles) similar to the query,
  typos and partial words included (pg_trgm on PostgreSQL, the same measure in Python on
  SQLite);
- vector: the sections, questions and answers whose embedding is closest to the query's
  (`vectors.nearest`), at least VECTOR_MIN_SIMILARITY.
Modes: "keyword" is the first alone, "semantic" the last alone, "hybrid" (the default)
fuses the three with reciprocal-rank fusion (`fusion`, k = 60). If the embedder cannot
answer, semantic and hybrid searches fall back to keyword with a notice saying so.

Every candidate comes from what the reader may see: documents through
`document_listed_queryset(user)`, questions and answers through the community's
visibility selectors; results are loaded again through the same querysets.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    TrigramSimilarity,
    TrigramWordSimilarity,
)
from django.db import connection
from django.db.models import BooleanField, Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Greatest
from django.urls import reverse

from community.models import Answer, Question
from community.selectors.questions import answer_visible_queryset, question_visible_queryset

from ..models import Document
from ..search import SEARCH_CONFIG, document_search, normalise_query, query_terms, text_snippet
from ..selectors import document_listed_queryset
from .embedders import EmbeddingsUnavailable, embed_query, embedder
from .fusion import content_words, reciprocal_rank_fusion, trigram_similarity, word_similarity
from .models import Embedding, EmbeddingKind
from .sections import Section, plain_text, split_sections
from .vectors import nearest

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

logger = logging.getLogger(__name__)

MODES = ("hybrid", "semantic", "keyword")
TYPES = ("section", "question", "answer")
KINDS = {
    "section": EmbeddingKind.SECTION,
    "question": EmbeddingKind.QUESTION,
    "answer": EmbeddingKind.ANSWER,
}
TYPE_OF_KIND = {kind: type_ for type_, kind in KINDS.items()}

KEYWORD_DOCUMENTS = 50  # documents opened into sections
KEYWORD_POSTS = 50  # questions, and answers, by full-text match
TRIGRAM_LIMIT = 20
TRIGRAM_MIN_SIMILARITY = 0.3  # pg_trgm's defaults: similarity() ...
TRIGRAM_MIN_WORD_SIMILARITY = 0.6  # ... and word_similarity()
VECTOR_LIMIT = 50
VECTOR_MIN_SIMILARITY = 0.25  # below it, wordllama pairs share little but stray words
# Fusion weights of the keyword, trigram and vector rankings (see README's figures).
HYBRID_WEIGHTS = (1.0, 1.0, 1.0)
HEADING_HIT, BODY_HIT = 1.0, 0.25  # a query word in a section's headings, in its text

UNAVAILABLE = (
    "Search by meaning is unavailable at the moment, so these results match your words only."
)

Key = tuple[str, int, str]  # (type, object id, section anchor or "")


@dataclass
class SearchHit:
    """One result: a section of a document, a question or an answer."""

    type: str
    id: int
    title: str
    url: str
    snippet: str  # HTML: escaped, with only <mark> tags
    rank: float
    updated_at: datetime
    owner: Any = None  # a User, or None
    tags: list = field(default_factory=list)
    slug: str | None = None  # the document's
    section_anchor: str = ""
    section_title: str = ""
    document: Document | None = None  # sections: the document, for its visibility badge

    @property
    def section(self) -> dict[str, str] | None:
        if self.type != "section" or not self.section_anchor:
            return None
        return {"anchor": self.section_anchor, "title": self.section_title}


@dataclass
class SearchOutcome:
    hits: list[SearchHit]
    mode: str  # the mode that answered (keyword when meaning was unavailable)
    notice: str = ""


@dataclass(frozen=True)
class Scope:
    """Who searches and how they narrowed it: every candidate comes through here."""

    user: Any
    tag: str = ""
    owner: str = ""
    types: tuple[str, ...] = TYPES

    def documents(self) -> QuerySet[Document]:
        documents = document_listed_queryset(self.user)
        if self.tag:
            documents = documents.filter(tags__slug=self.tag)
        if self.owner:
            documents = documents.filter(owner__username=self.owner)
        return documents

    def questions(self) -> QuerySet[Question]:
        questions = question_visible_queryset(self.user)
        if self.tag:
            questions = questions.filter(tags__slug=self.tag)
        if self.owner:
            questions = questions.filter(author__username=self.owner)
        return questions

    def answers(self) -> QuerySet[Answer]:
        answers = answer_visible_queryset(self.user)
        if self.tag:
            answers = answers.filter(question__tags__slug=self.tag)
        if self.owner:
            answers = answers.filter(author__username=self.owner)
        return answers

    def rows(self, types: Sequence[str] | None = None) -> QuerySet[Embedding]:
        """Stored vectors of the configured model that the reader may see."""
        wanted = [t for t in (types or self.types) if t in self.types]
        condition = Q(pk__in=[])
        if "section" in wanted:
            condition |= Q(kind=EmbeddingKind.SECTION, document__in=self.documents().values("pk"))
        if "question" in wanted:
            condition |= Q(kind=EmbeddingKind.QUESTION, object_id__in=self.questions().values("pk"))
        if "answer" in wanted:
            condition |= Q(kind=EmbeddingKind.ANSWER, object_id__in=self.answers().values("pk"))
        return Embedding.objects.filter(condition, model=embedder().name)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


# --- keyword ------------------------------------------------------------------------------


def _mentions(text: str, word: str) -> bool:
    return re.search(rf"\b{re.escape(word)}", text, re.IGNORECASE) is not None


def _section_match(section: Section, words: list[str]) -> float:
    """How well a section holds the query's words: in its headings, else in its text."""
    headings = " ".join((*section.path, section.title))
    score = 0.0
    for word in words:
        if _mentions(headings, word):
            score += HEADING_HIT
        elif _mentions(section.text, word):
            score += BODY_HIT
    return score


def _keyword_sections(scope: Scope, query: str) -> list[Key]:
    if "section" not in scope.types:
        return []
    documents = document_search(user=scope.user, query=query, tag=scope.tag, owner=scope.owner)
    words = content_words(query) or [w.lower() for w in query_terms(query)]
    keys: list[Key] = []
    for document in documents[:KEYWORD_DOCUMENTS]:
        sections = split_sections(document.content, title=document.title)
        scored = [(_section_match(s, words), n) for n, s in enumerate(sections)]
        matching = sorted((pair for pair in scored if pair[0] > 0), key=lambda p: (-p[0], p[1]))
        for _, n in matching or [(0.0, 0)]:
            keys.append(("section", document.pk, sections[n].anchor))
    return keys


def _keyword_posts(posts: QuerySet, query: str, *, titled: bool) -> list[int]:
    """Ids of questions (`titled`) or answers matching the query, best first."""
    if _postgres():
        search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        vector = SearchVector("content", weight="C", config=SEARCH_CONFIG)
        if titled:
            vector = SearchVector("title", weight="A", config=SEARCH_CONFIG) + vector
        ranked = (
            posts.annotate(search=vector)
            .filter(search=search_query)
            .annotate(rank=SearchRank(F("search"), search_query))
        )
    else:
        terms = query_terms(query)
        if not terms:
            return []
        rank = Value(0.0, output_field=FloatField())
        for term in terms:
            in_title = Q(title__icontains=term) if titled else Q(pk__in=[])
            posts = posts.filter(in_title | Q(content__icontains=term))
            rank = rank + Case(
                When(in_title, then=Value(HEADING_HIT)),
                When(content__icontains=term, then=Value(BODY_HIT)),
                default=Value(0.0),
                output_field=FloatField(),
            )
        ranked = posts.annotate(rank=rank)
    return list(ranked.order_by("-rank", "-pk").values_list("pk", flat=True)[:KEYWORD_POSTS])


def keyword_ranking(scope: Scope, query: str) -> list[Key]:
    keys = _keyword_sections(scope, query)
    if "question" in scope.types:
        questions = _keyword_posts(scope.questions(), query, titled=True)
        keys += [("question", pk, "") for pk in questions]
    if "answer" in scope.types:
        answers = _keyword_posts(scope.answers(), query, titled=False)
        keys += [("answer", pk, "") for pk in answers]
    return keys


# --- trigram ------------------------------------------------------------------------------


def _key(row_kind: str, object_id: int, anchor: str) -> Key:
    return (TYPE_OF_KIND[row_kind], object_id, anchor)


def trigram_ranking(scope: Scope, query: str) -> list[Key]:
    """Sections and questions whose title is like the query (answers have none)."""
    rows = scope.rows(["section", "question"])
    if _postgres():
        table = Embedding._meta.db_table
        # The operators, not the functions, so the GIN index on the title can serve.
        close = RawSQL(
            f'("{table}"."title" %% %s OR %s <%% "{table}"."title")',
            [query, query],
            output_field=BooleanField(),
        )
        found = (
            rows.filter(close)
            .annotate(
                likeness=Greatest(
                    TrigramSimilarity("title", query), TrigramWordSimilarity(query, "title")
                )
            )
            .order_by("-likeness", "pk")
            .values_list("kind", "object_id", "anchor")[:TRIGRAM_LIMIT]
        )
        return [_key(*row) for row in found]
    scored = []
    for kind, object_id, anchor, title in rows.values_list("kind", "object_id", "anchor", "title"):
        similarity = trigram_similarity(title, query)
        word = word_similarity(query, title)
        if similarity >= TRIGRAM_MIN_SIMILARITY or word >= TRIGRAM_MIN_WORD_SIMILARITY:
            scored.append((max(similarity, word), _key(kind, object_id, anchor)))
    scored.sort(key=lambda pair: -pair[0])
    return [key for _, key in scored[:TRIGRAM_LIMIT]]


# --- vector -------------------------------------------------------------------------------


def vector_ranking(scope: Scope, query: str) -> list[Key]:
    """Raises EmbeddingsUnavailable when the embedder cannot answer."""
    found = nearest(
        scope.rows(), embed_query(query), limit=VECTOR_LIMIT, min_similarity=VECTOR_MIN_SIMILARITY
    )
    return [_key(row.kind, row.object_id, row.anchor) for row, _ in found]


# --- results ------------------------------------------------------------------------------


def _section_hits(scope: Scope, keys: dict[Key, float], words: list[str]) -> dict[Key, SearchHit]:
    ids = {object_id for type_, object_id, _ in keys if type_ == "section"}
    if not ids:
        return {}
    documents = (
        scope.documents().filter(pk__in=ids).select_related("owner").prefetch_related("tags")
    )
    hits = {}
    for document in documents:
        sections = {s.anchor: s for s in split_sections(document.content, title=document.title)}
        url = document.get_absolute_url()
        for key, score in keys.items():
            section = sections.get(key[2]) if key[:2] == ("section", document.pk) else None
            if section is None:  # another document's, or a heading renamed since
                continue
            hits[key] = SearchHit(
                type="section",
                id=document.pk,
                slug=document.slug,
                title=document.title,
                section_anchor=section.anchor,
                section_title=section.title if section.anchor else "",
                url=f"{url}#{section.anchor}" if section.anchor else url,
                snippet=text_snippet(plain_text(section.text), words, word_start=True),
                rank=score,
                updated_at=document.updated_at,
                owner=document.owner,
                tags=list(document.tags.all()),
                document=document,
            )
    return hits


def _question_hits(scope: Scope, keys: dict[Key, float], words: list[str]) -> dict[Key, SearchHit]:
    ids = [object_id for type_, object_id, _ in keys if type_ == "question"]
    questions = scope.questions().filter(pk__in=ids).select_related("author")
    hits = {}
    for question in questions.prefetch_related("tags"):
        key = ("question", question.pk, "")
        hits[key] = SearchHit(
            type="question",
            id=question.pk,
            title=question.title,
            url=reverse("community:question-detail", args=[question.pk]),
            snippet=text_snippet(plain_text(question.content), words, word_start=True),
            rank=keys[key],
            updated_at=question.updated_at,
            owner=question.author,
            tags=list(question.tags.all()),
        )
    return hits


def _answer_hits(scope: Scope, keys: dict[Key, float], words: list[str]) -> dict[Key, SearchHit]:
    ids = [object_id for type_, object_id, _ in keys if type_ == "answer"]
    answers = scope.answers().filter(pk__in=ids).select_related("author", "question")
    hits = {}
    for answer in answers.prefetch_related("question__tags"):
        key = ("answer", answer.pk, "")
        url = reverse("community:question-detail", args=[answer.question_id])
        hits[key] = SearchHit(
            type="answer",
            id=answer.pk,
            title=answer.question.title,
            url=f"{url}#answer-{answer.pk}",
            snippet=text_snippet(plain_text(answer.content), words, word_start=True),
            rank=keys[key],
            updated_at=answer.updated_at,
            owner=answer.author,
            tags=list(answer.question.tags.all()),
        )
    return hits


def _hits(scope: Scope, fused: list[tuple[Key, float]], query: str) -> list[SearchHit]:
    """The fused results loaded (through the reader's querysets again), in fused order."""
    keys = dict(fused)
    words = content_words(query) or query_terms(query)
    hits = {
        **_section_hits(scope, keys, words),
        **_question_hits(scope, keys, words),
        **_answer_hits(scope, keys, words),
    }
    return [hits[key] for key, _ in fused if key in hits]


def search(
    *,
    user: User | AnonymousUser | None,
    query: str,
    mode: str = "hybrid",
    tag: str | None = None,
    owner: str | None = None,
    types: Sequence[str] | None = None,
) -> SearchOutcome:
    """Results for `query`, best first. `types` narrows to some of TYPES (default all);
    `tag` (a slug) and `owner` (a username: a document's owner, a post's author) narrow
    further; unknown values match nothing. An empty query finds nothing."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    query = normalise_query(query)
    if not query:
        return SearchOutcome([], mode)
    scope = Scope(user=user, tag=tag or "", owner=owner or "", types=tuple(types or TYPES))
    notice = ""
    vector: list[Key] | None = None
    if mode != "keyword":
        try:
            vector = vector_ranking(scope, query)
        except EmbeddingsUnavailable:
            logger.exception("search by meaning failed; answering by keyword")
            mode, notice = "keyword", UNAVAILABLE
    if mode == "semantic":
        rankings, weights = [vector or []], [1.0]
    elif mode == "keyword":
        rankings, weights = [keyword_ranking(scope, query)], [1.0]
    else:
        rankings = [keyword_ranking(scope, query), trigram_ranking(scope, query), vector or []]
        weights = list(HYBRID_WEIGHTS)
    fused = reciprocal_rank_fusion(rankings, weights=weights)
    return SearchOutcome(_hits(scope, fused, query), mode, notice)
