"""Stored embeddings: one row per document section, whole document, question and answer.

Each row records the model that made its vector and the vector's dimension, so vectors
of different models are never compared (searches read only the configured model's rows,
and the sweep re-embeds the others). `text_hash` is the hash of exactly what was embedded
(and of the model's name): a section whose text did not change is not embedded again.
"""

from __future__ import annotations

from django.db import models

from ..models import Document
from .fields import VectorField


class EmbeddingKind(models.TextChoices):
    SECTION = "document_section", "Document section"
    DOCUMENT = "document", "Whole document"  # the mean of its sections: related documents
    QUESTION = "question", "Question"
    ANSWER = "answer", "Answer"


class Embedding(models.Model):
    kind = models.CharField(max_length=20, choices=EmbeddingKind.choices)
    # The document's id for sections and documents, the question's or the answer's id
    # otherwise (those rows go when the sweep finds their post gone).
    object_id = models.PositiveBigIntegerField()
    # Sections and whole documents: deleted with their document.
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    anchor = models.TextField(
        blank=True, help_text='The heading id of a section ("" for the text before the first).'
    )
    title = models.CharField(max_length=300, blank=True)
    excerpt = models.TextField(blank=True, help_text="The start of the text, for lists.")
    position = models.PositiveIntegerField(
        default=0, help_text="Where the section starts in the document's text."
    )
    text_hash = models.CharField(max_length=64)
    source_updated_at = models.DateTimeField(
        null=True, help_text="The `updated_at` of the document or post when it was embedded."
    )
    model = models.CharField(max_length=200)
    dimension = models.PositiveIntegerField()
    vector = VectorField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "anchor"], name="unique_embedding_per_object"
            )
        ]
        indexes = [
            models.Index(fields=["kind", "model"], name="embedding_kind_model"),
            models.Index(fields=["document", "kind"], name="embedding_document"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}#{self.anchor} ({self.model})"
