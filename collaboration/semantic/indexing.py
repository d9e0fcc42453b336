"""Keeping the stored vectors in step with the documents, questions and answers.

A document is split into sections (`sections`); only the sections whose embedded text (or
the model) changed are embedded again, the others keep their vectors. The document's own
row (kind "document": the mean of its sections, for related documents) records the
`updated_at` it was made from, so `stale_documents()` finds the documents edited since.
Questions and answers likewise record their post's `updated_at`.

Embedding happens outside any transaction (a model, or a remote service, may be slow);
the rows are then written in one short transaction with upserts, so two runs for the same
document at once cannot collide. Branch documents (proposals) are never indexed.
Called from Celery (`tasks`), never on the edit path.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from community.models import Answer, Question

from ..models import Document
from .embedders import embed_texts, embedder
from .models import Embedding, EmbeddingKind
from .sections import embedding_text, excerpt, plain_text, split_sections

MAX_POST_CHARS = 2000
UPDATE_FIELDS = [
    "document",
    "title",
    "excerpt",
    "position",
    "text_hash",
    "source_updated_at",
    "model",
    "dimension",
    "vector",
    "updated_at",
]


@dataclass(frozen=True)
class Item:
    """One thing to embed: the row's identity, what it shows, and the text embedded."""

    anchor: str
    title: str
    excerpt: str
    position: int
    text: str


def text_hash(model_name: str, text: str) -> str:
    return hashlib.sha256(f"{model_name}\n{text}".encode()).hexdigest()


def _rows_for(
    *,
    kind: str,
    object_id: int,
    items: list[Item],
    document_id: int | None,
    source_updated_at: datetime,
) -> list[Embedding]:
    """Rows for `items`, reusing the stored vector of every item whose text is unchanged."""
    model = embedder()
    hashes = [text_hash(model.name, item.text) for item in items]
    stored = dict(
        Embedding.objects.filter(kind=kind, object_id=object_id).values_list("anchor", "text_hash")
    )
    changed = [i for i, item in enumerate(items) if stored.get(item.anchor) != hashes[i]]
    fresh = dict(zip(changed, embed_texts([items[i].text for i in changed]), strict=True))
    kept = dict(
        Embedding.objects.filter(
            kind=kind,
            object_id=object_id,
            anchor__in=[item.anchor for i, item in enumerate(items) if i not in fresh],
        ).values_list("anchor", "vector")
    )
    rows = []
    for i, item in enumerate(items):
        vector = fresh[i] if i in fresh else kept.get(item.anchor)
        if vector is None:  # vanished meanwhile: embed it now
            vector = embed_texts([item.text])[0]
        rows.append(
            Embedding(
                kind=kind,
                object_id=object_id,
                document_id=document_id,
                anchor=item.anchor,
                title=item.title[:300],
                excerpt=item.excerpt,
                position=item.position,
                text_hash=hashes[i],
                source_updated_at=source_updated_at,
                model=model.name,
                dimension=len(vector),
                vector=vector,
            )
        )
    return rows


def _save(*, kind: str, object_id: int, rows: list[Embedding]) -> None:
    """Replaces the object's rows of `kind` by `rows` (upserts; the others are deleted)."""
    with transaction.atomic():
        Embedding.objects.filter(kind=kind, object_id=object_id).exclude(
            anchor__in=[row.anchor for row in rows]
        ).delete()
        Embedding.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["kind", "object_id", "anchor"],
            update_fields=UPDATE_FIELDS,
        )


def _mean(vectors: list[list[float]]) -> list[float]:
    mean = np.mean(np.array(vectors, dtype=np.float64), axis=0)
    norm = float(np.linalg.norm(mean))
    return [float(x) / norm for x in mean] if norm else [0.0] * len(mean)


def index_document(*, document_id: int) -> int:
    """Embeds the document's changed sections; how many rows were written (0: gone)."""
    document = (
        Document.objects.filter(pk=document_id)
        .only(
            "pk",
            "title",
            "revision",
            "content_checkpoint",
            "content_revision",
            "updated_at",
            "branch_of_id",
        )
        .first()
    )
    if document is None:
        return 0  # deleted: its rows went with it
    if document.branch_of_id is not None:
        Embedding.objects.filter(document_id=document_id).delete()
        return 0
    items = [
        Item(
            anchor=section.anchor,
            title=section.title,
            excerpt=excerpt(section.text),
            position=section.start,
            text=embedding_text(section, document_title=document.title),
        )
        for section in split_sections(document.content, title=document.title)
    ]
    sections = _rows_for(
        kind=EmbeddingKind.SECTION,
        object_id=document.pk,
        items=items,
        document_id=document.pk,
        source_updated_at=document.updated_at,
    )
    model = embedder()
    whole = Embedding(
        kind=EmbeddingKind.DOCUMENT,
        object_id=document.pk,
        document_id=document.pk,
        anchor="",
        title=document.title[:300],
        excerpt=items[0].excerpt,
        position=0,
        text_hash=text_hash(model.name, "\n".join(row.text_hash for row in sections)),
        source_updated_at=document.updated_at,
        model=model.name,
        dimension=sections[0].dimension,
        vector=_mean([row.vector for row in sections]),
    )
    with transaction.atomic():
        _save(kind=EmbeddingKind.SECTION, object_id=document.pk, rows=sections)
        _save(kind=EmbeddingKind.DOCUMENT, object_id=document.pk, rows=[whole])
    return len(sections) + 1


def _post_item(*, title: str, content: str) -> Item:
    return Item(
        anchor="",
        title=title,
        excerpt=excerpt(content),
        position=0,
        text=f"{title}\n{plain_text(content)[:MAX_POST_CHARS]}".strip(),
    )


def index_question(*, question_id: int) -> int:
    question = Question.objects.filter(pk=question_id, deleted_at__isnull=True).first()
    if question is None:
        Embedding.objects.filter(kind=EmbeddingKind.QUESTION, object_id=question_id).delete()
        return 0
    item = _post_item(title=question.title, content=question.content)
    rows = _rows_for(
        kind=EmbeddingKind.QUESTION,
        object_id=question.pk,
        items=[item],
        document_id=None,
        source_updated_at=question.updated_at,
    )
    _save(kind=EmbeddingKind.QUESTION, object_id=question.pk, rows=rows)
    return 1


def index_answer(*, answer_id: int) -> int:
    answer = (
        Answer.objects.filter(pk=answer_id, deleted_at__isnull=True)
        .select_related("question")
        .first()
    )
    if answer is None:
        Embedding.objects.filter(kind=EmbeddingKind.ANSWER, object_id=answer_id).delete()
        return 0
    # The question's title gives a short answer its topic.
    item = _post_item(title=answer.question.title, content=answer.content)
    rows = _rows_for(
        kind=EmbeddingKind.ANSWER,
        object_id=answer.pk,
        items=[item],
        document_id=None,
        source_updated_at=answer.updated_at,
    )
    _save(kind=EmbeddingKind.ANSWER, object_id=answer.pk, rows=rows)
    return 1


# --- what is stale ----------------------------------------------------------------------


def _fresh_row(kind: str) -> Exists:
    return Exists(
        Embedding.objects.filter(
            kind=kind,
            object_id=OuterRef("pk"),
            model=embedder().name,
            source_updated_at=OuterRef("updated_at"),
        )
    )


def stale_documents() -> QuerySet[Document]:
    """Documents (not branches) edited, renamed or never embedded since their last run."""
    return (
        Document.objects.filter(branch_of__isnull=True)
        .filter(~_fresh_row(EmbeddingKind.DOCUMENT))
        .order_by("updated_at", "pk")
    )


def stale_questions() -> QuerySet[Question]:
    return (
        Question.objects.filter(deleted_at__isnull=True)
        .filter(~_fresh_row(EmbeddingKind.QUESTION))
        .order_by("updated_at", "pk")
    )


def stale_answers() -> QuerySet[Answer]:
    return (
        Answer.objects.filter(deleted_at__isnull=True)
        .filter(~_fresh_row(EmbeddingKind.ANSWER))
        .order_by("updated_at", "pk")
    )


def remove_orphans() -> int:
    """Deletes the rows of deleted questions and answers, and of branch documents."""
    gone_questions = Q(kind=EmbeddingKind.QUESTION) & ~Q(
        object_id__in=Question.objects.filter(deleted_at__isnull=True).values("pk")
    )
    gone_answers = Q(kind=EmbeddingKind.ANSWER) & ~Q(
        object_id__in=Answer.objects.filter(deleted_at__isnull=True).values("pk")
    )
    branches = Q(document__branch_of__isnull=False)
    deleted, _ = Embedding.objects.filter(gone_questions | gone_answers | branches).delete()
    return deleted
