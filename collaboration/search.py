"""Full-text search over the documents a user may read: title, headings, body and tags.

Every result comes through `selectors.document_listed_queryset(user)`, so search never
shows a document its reader could not open.

On PostgreSQL: a weighted tsvector (title A, Markdown headings B, body C) matched with a
`websearch_to_tsquery`, ranked with `ts_rank` plus a bonus for a matching tag, snippets
from `ts_headline`. The vector is not computed on the document row (the editor rewrites
`content` many times a second, and an index over it would redo the work inside every
update): it is stored in `DocumentSearch` (collaboration_documentsearch, GIN-indexed by
migration 0005) and refreshed lazily. `refresh_search_index()` recomputes, in one
statement, the vectors of the documents whose `updated_at` differs from the one the
stored vector was made from; it runs before every search, so a document edited a moment
ago is found by its new words, and every minute from Celery beat, so a search rarely has
much to do. `document_search_vector()` is the one definition of the vector.

On SQLite: every word of the query must appear (case-insensitively) in the title, the
body or a tag name; rank is title hit > tag hit > body hit; the snippet is the text around
the first hit. No table is used there and the refresh does nothing.

Snippets are HTML in which only <mark> is markup: everything else is escaped.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from django.db import DatabaseError, connection, transaction
from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.html import escape

from .models import Document, DocumentSearch, Tag
from .selectors import document_listed_queryset
from .services.checkpoints import checkpoints_write_lagging

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

__all__ = [
    "SearchResults",
    "document_search",
    "document_search_vector",
    "normalise_query",
    "query_terms",
    "refresh_search_index",
    "text_snippet",
]

logger = logging.getLogger(__name__)

SEARCH_CONFIG = "english"
MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
SNIPPET_RADIUS = 80  # characters either side of the first hit (SQLite)
TAG_BONUS = 0.2  # added to ts_rank when a tag matches (PostgreSQL)

# Sentinels ts_headline wraps hits in; swapped for <mark> after escaping. Private-use
# code points, so a document cannot smuggle a tag in through its own text.
_START, _STOP = "\ue000", "\ue001"


def normalise_query(query: str | None) -> str:
    """The query trimmed, whitespace collapsed and cut to a sane length."""
    return " ".join((query or "").split())[:MAX_QUERY_LENGTH]


def _using_postgres() -> bool:
    return connection.vendor == "postgresql"


def _headings() -> Func:
    """The Markdown heading lines of the body (every other line blanked)."""
    return Func(
        Coalesce(F("content_checkpoint"), Value("")),
        Value(r"^(?!#).*$"),
        Value(""),
        Value("gn"),
        function="regexp_replace",
        output_field=TextField(),
    )


def document_search_vector():
    """The weighted vector of a Document: title A, headings B, body C (PostgreSQL).

    `refresh_search_index()` stores exactly this in `DocumentSearch.vector`.
    """
    from django.contrib.postgres.search import SearchVector

    return (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector(_headings(), weight="B", config=SEARCH_CONFIG)
        + SearchVector("content_checkpoint", weight="C", config=SEARCH_CONFIG)
    )


def _refresh_sql() -> tuple[str, list]:
    """The refresh statement: (re)compute the vector of every new or changed document.

    Ordered by document id, so that two refreshes running at once lock the rows they
    write in the same order (and wait for each other instead of deadlocking).
    """
    query = Document.objects.annotate(search_vector=document_search_vector()).query
    vector_sql, params = query.get_compiler(connection=connection).compile(
        query.annotations["search_vector"]
    )
    # The vector's SQL names the document table itself (no alias), so the FROM does too.
    d = connection.ops.quote_name(Document._meta.db_table)
    table = connection.ops.quote_name(DocumentSearch._meta.db_table)
    sql = (
        f"INSERT INTO {table} (document_id, vector, source_updated_at) "
        f"SELECT {d}.id, {vector_sql}, {d}.updated_at "
        f"FROM {d} LEFT JOIN {table} s ON s.document_id = {d}.id "
        f"WHERE s.document_id IS NULL OR s.source_updated_at IS DISTINCT FROM {d}.updated_at "
        f"ORDER BY {d}.id "
        "ON CONFLICT (document_id) DO UPDATE "
        "SET vector = EXCLUDED.vector, source_updated_at = EXCLUDED.source_updated_at"
    )
    return sql, list(params)


def refresh_search_index() -> int:
    """Brings the stored search vectors up to date in one statement; returns how many rows.

    A vector is stale when its document's `updated_at` differs from `source_updated_at`:
    every change of the text (the editor's commits, in Python or in the database function
    of migration 0004) and every save of the title sets `updated_at`. When nothing changed
    it only compares ids and timestamps of the two tables. Does nothing on SQLite.
    The vector is computed from the stored column, so lagging checkpoints are written
    first (collaboration/services/checkpoints.py).
    """
    if not _using_postgres():
        return 0
    checkpoints_write_lagging()
    sql, params = _refresh_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def _refresh_before_search() -> None:
    """`refresh_search_index()`, but a failure only makes this search a little stale.

    (A refresh can lose a race, e.g. with a document being deleted meanwhile; the next
    refresh catches up.) The atomic block (a transaction, or a savepoint inside one)
    keeps a failed refresh from breaking the caller's transaction.
    """
    try:
        with transaction.atomic():
            refresh_search_index()
    except DatabaseError:
        logger.exception("refreshing the search index before a search failed")


def query_terms(query: str) -> list[str]:
    """Plain words of a websearch-style query, for the SQLite match and for snippets."""
    terms = []
    for raw in query.split():
        term = raw.strip("\"'").lstrip("-")
        if term and term.lower() != "or" and term not in terms:
            terms.append(term)
    return terms[:MAX_TERMS]


def _postgres_queryset(base: QuerySet[Document], query: str) -> QuerySet[Document]:
    from django.contrib.postgres.search import (
        SearchHeadline,
        SearchQuery,
        SearchRank,
        SearchVector,
    )

    search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    # Matches are found in subqueries so the vector match can use the GIN index on
    # DocumentSearch.vector (an OR of the vector match and a tag match, on the outer
    # query, never could).
    text_hits = DocumentSearch.objects.filter(vector=search_query).values("document_id")
    matching_tags = Tag.objects.annotate(vector=SearchVector("name", config=SEARCH_CONFIG)).filter(
        vector=search_query
    )
    tag_hits = Document.tags.through.objects.filter(tag__in=matching_tags).values("document_id")
    tag_hit = Exists(
        Document.tags.through.objects.filter(document_id=OuterRef("pk"), tag__in=matching_tags)
    )
    return (
        base.filter(Q(pk__in=text_hits) | Q(pk__in=tag_hits))
        .annotate(tag_hit=tag_hit)
        .annotate(
            rank=Coalesce(
                SearchRank(F("search__vector"), search_query),
                Value(0.0),
                output_field=FloatField(),
            )
            + Case(When(tag_hit=True, then=Value(TAG_BONUS)), default=Value(0.0)),
            headline=SearchHeadline(
                "content_checkpoint",
                search_query,
                config=SEARCH_CONFIG,
                start_sel=_START,
                stop_sel=_STOP,
                max_words=35,
                min_words=15,
                max_fragments=2,
                fragment_delimiter=" … ",
            ),
        )
    )


def _sqlite_queryset(base: QuerySet[Document], query: str) -> QuerySet[Document]:
    terms = query_terms(query)
    if not terms:
        return base.none()
    matches = Q()
    rank = Value(0.0)
    for term in terms:
        tag_hit = Exists(Tag.objects.filter(documents=OuterRef("pk"), name__icontains=term))
        matches &= Q(title__icontains=term) | Q(content_checkpoint__icontains=term) | tag_hit
        rank = (
            rank
            + Case(When(title__icontains=term, then=Value(1.0)), default=Value(0.0))
            + Case(When(tag_hit, then=Value(0.5)), default=Value(0.0))
            + Case(When(content_checkpoint__icontains=term, then=Value(0.25)), default=Value(0.0))
        )
    return base.filter(matches).annotate(
        rank=(rank / Value(float(len(terms)))),
    )


def _mark_sentinels(text: str) -> str:
    """Escape `text`, then turn the sentinels into <mark> tags (balanced)."""
    out = []
    open_mark = False
    for part in re.split(f"([{_START}{_STOP}])", text):
        if part == _START:
            if not open_mark:
                out.append("<mark>")
                open_mark = True
        elif part == _STOP:
            if open_mark:
                out.append("</mark>")
                open_mark = False
        else:
            out.append(escape(part))
    if open_mark:
        out.append("</mark>")
    return "".join(out)


def text_snippet(content: str, terms: list[str], *, word_start: bool = False) -> str:
    """HTML: the text around the first of `terms` (its start if none), escaped, with every
    term in <mark>; with `word_start`, only where a word starts with the term (so "go" is
    not marked inside "algorithm")."""
    content = (content or "").replace(_START, "").replace(_STOP, "")
    if not content:
        return ""
    boundary = r"\b" if word_start else ""
    pattern = re.compile(
        boundary + "(?:" + "|".join(re.escape(t) for t in terms) + ")", re.IGNORECASE
    )
    first_hit = pattern.search(content) if terms else None
    if first_hit:
        first = first_hit.start()
        start = max(0, first - SNIPPET_RADIUS)
        end = min(len(content), first + SNIPPET_RADIUS)
    else:
        start, end = 0, min(len(content), 2 * SNIPPET_RADIUS)
    excerpt = " ".join(content[start:end].split())
    if terms:
        excerpt = pattern.sub(lambda m: f"{_START}{m.group(0)}{_STOP}", excerpt)
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(content) else ""
    return prefix + _mark_sentinels(excerpt) + suffix


class SearchResults:
    """Ranked matches, sliceable and countable (Django's and DRF's paginators take it).

    Only the slice that is read is fetched, and only its documents get a snippet.
    Each result is a Document with `rank` (float) and `snippet` (safe HTML string,
    only <mark> tags).
    """

    ordered = True

    def __init__(self, queryset: QuerySet[Document], *, query: str, postgres: bool) -> None:
        self.queryset = queryset
        self.query = query
        self.postgres = postgres
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = self.queryset.count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def _finish(self, documents: list[Document]) -> list[Document]:
        terms = query_terms(self.query)
        for doc in documents:
            if self.postgres:
                doc.snippet = _mark_sentinels(doc.headline or "")
            else:
                doc.snippet = text_snippet(doc.content, terms)
            doc.rank = float(doc.rank or 0.0)
        return documents

    def __getitem__(self, key):
        if isinstance(key, slice):
            return self._finish(list(self.queryset[key]))
        return self._finish([self.queryset[key]])[0]

    def __iter__(self):
        return iter(self._finish(list(self.queryset)))


def document_search(
    *,
    user: User | AnonymousUser | None,
    query: str,
    tag: str | None = None,
    owner: str | None = None,
) -> SearchResults:
    """Documents `user` may read that match `query`, best first.

    `tag` is a tag slug and `owner` a username; either narrows the results (an unknown
    one simply matches nothing). An empty query matches nothing.
    """
    query = normalise_query(query)
    base = document_listed_queryset(user)
    if tag:
        base = base.filter(tags__slug=tag)
    if owner:
        base = base.filter(owner__username=owner)
    postgres = _using_postgres()
    if not query:
        queryset = base.none()
    elif postgres:
        _refresh_before_search()
        queryset = _postgres_queryset(base, query)
    else:
        checkpoints_write_lagging()  # the LIKE filters read the stored column
        queryset = _sqlite_queryset(base, query)
    if not query:
        queryset = queryset.annotate(rank=Value(0.0, output_field=FloatField()))
    queryset = (
        queryset.select_related("owner")
        .prefetch_related("tags")
        .order_by(F("rank").desc(), "-updated_at", "-pk")
    )
    return SearchResults(queryset, query=query, postgres=postgres)
