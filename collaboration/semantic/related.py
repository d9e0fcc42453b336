"""Related content found by meaning: documents like this one, questions like the one being
asked, sections that may answer a question, documents like the ones someone read.

Every function takes what its reader may see from the caller (a queryset) or from
`document_listed_queryset(user)`, and compares only the configured model's vectors. When
no vector exists yet (the document was never embedded, the embedder is unavailable) they
answer nothing rather than fail: related content is a help, never a requirement.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from ..models import Document
from ..selectors import document_listed_queryset
from .embedders import EmbeddingsUnavailable, embed_query, embedder
from .fusion import reciprocal_rank_fusion
from .models import Embedding, EmbeddingKind
from .vectors import nearest, stored_vector

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

logger = logging.getLogger(__name__)

RELATED_MIN_SIMILARITY = 0.5  # whole documents: below this they share only the field
SIMILAR_QUESTION_MIN_SIMILARITY = 0.4
ANSWERING_MIN_SIMILARITY = 0.4


@dataclass(frozen=True)
class SectionLink:
    document: Document
    anchor: str
    title: str
    excerpt: str
    similarity: float

    @property
    def url(self) -> str:
        base = self.document.get_absolute_url()
        return f"{base}#{self.anchor}" if self.anchor else base


def _rows(kind: str) -> QuerySet[Embedding]:
    return Embedding.objects.filter(kind=kind, model=embedder().name)


def _vector_of(kind: str, object_id: int) -> list[float] | None:
    row = _rows(kind).filter(object_id=object_id, anchor="").first()
    return stored_vector(row)


def related_documents(
    *, user: User | AnonymousUser | None, document: Document, limit: int = 5
) -> list[tuple[Document, float]]:
    """Documents `user` may list that read most like `document`, most alike first."""
    try:
        vector = _vector_of(EmbeddingKind.DOCUMENT, document.pk)
        if vector is None:
            return []
        candidates = _rows(EmbeddingKind.DOCUMENT).filter(
            document__in=document_listed_queryset(user).exclude(pk=document.pk).values("pk")
        )
        found = nearest(candidates, vector, limit=limit, min_similarity=RELATED_MIN_SIMILARITY)
    except EmbeddingsUnavailable:
        logger.exception("related documents are unavailable")
        return []
    documents = Document.objects.select_related("owner").in_bulk(
        [row.object_id for row, _ in found]
    )
    return [(documents[row.object_id], score) for row, score in found if row.object_id in documents]


def similar_by_meaning(
    *,
    kind: str,
    text: str,
    among: QuerySet,
    limit: int,
    min_similarity: float = SIMILAR_QUESTION_MIN_SIMILARITY,
) -> list[tuple[int, float]]:
    """(object id, similarity) of the `kind` rows closest to `text` whose object is in
    `among` (a queryset of the objects the reader may see), most alike first."""
    text = " ".join((text or "").split())
    if not text:
        return []
    try:
        rows = _rows(kind).filter(object_id__in=among.values("pk"))
        found = nearest(rows, embed_query(text), limit=limit, min_similarity=min_similarity)
    except EmbeddingsUnavailable:
        logger.exception("similarity by meaning is unavailable")
        return []
    return [(row.object_id, score) for row, score in found]


def sections_answering(
    *,
    user: User | AnonymousUser | None,
    question_id: int,
    text: str,
    limit: int = 3,
) -> list[SectionLink]:
    """Sections of documents `user` may list that may answer the question (its stored
    vector, or `text` embedded now when it has none yet)."""
    try:
        vector = _vector_of(EmbeddingKind.QUESTION, question_id) or embed_query(text)
        rows = _rows(EmbeddingKind.SECTION).filter(
            document__in=document_listed_queryset(user).values("pk")
        )
        found = nearest(rows, vector, limit=limit, min_similarity=ANSWERING_MIN_SIMILARITY)
    except EmbeddingsUnavailable:
        logger.exception("sections answering a question are unavailable")
        return []
    documents = Document.objects.in_bulk([row.object_id for row, _ in found])
    return [
        SectionLink(
            document=documents[row.object_id],
            anchor=row.anchor,
            title=row.title,
            excerpt=row.excerpt,
            similarity=score,
        )
        for row, score in found
        if row.object_id in documents
    ]


def documents_like(
    *, seeds: list[int], candidates: QuerySet[Document], per_seed: int = 5
) -> list[tuple[int, int, float]]:
    """(seed id, candidate id, similarity) for the candidates most like each seed document
    (recommendations: "Similar to what you read"). Seeds without a vector add nothing."""
    pairs: list[tuple[int, int, float]] = []
    try:
        rows = _rows(EmbeddingKind.DOCUMENT).filter(document__in=candidates.values("pk"))
        for seed in seeds:
            vector = _vector_of(EmbeddingKind.DOCUMENT, seed)
            if vector is None:
                continue
            found = nearest(
                rows.exclude(object_id=seed),
                vector,
                limit=per_seed,
                min_similarity=RELATED_MIN_SIMILARITY,
            )
            pairs += [(seed, row.object_id, score) for row, score in found]
    except EmbeddingsUnavailable:
        logger.exception("similar documents are unavailable for recommendations")
        return []
    return pairs


def questions_by_meaning(*, text: str, among: QuerySet, limit: int) -> list[int]:
    """Ids of the questions in `among` closest in meaning to `text` (a title being typed),
    most alike first."""
    found = similar_by_meaning(kind=EmbeddingKind.QUESTION, text=text, among=among, limit=limit)
    return [object_id for object_id, _ in found]


def fuse_rankings(rankings: list[list[int]]) -> list[int]:
    """Ids of several rankings in one order, by reciprocal-rank fusion."""
    return [item for item, _ in reciprocal_rank_fusion(rankings)]
