"""The Attachment model: one file attached to one document.

The bytes are in the attachments storage under `storage_name`, a name the site makes up
(never the uploader's); `name` is the uploader's file name made safe, only ever shown and
given as the download's file name.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

NAME_MAX_CHARS = 150


class AttachmentKind(models.TextChoices):
    """What a file is, decided from its content (validation.py)."""

    IMAGE = "image", "Image"
    PDF = "pdf", "PDF document"
    CSV = "csv", "CSV table"
    TEXT = "text", "Plain text"
    NOTEBOOK = "notebook", "Jupyter notebook"


class Attachment(models.Model):
    document = models.ForeignKey(
        "collaboration.Document", on_delete=models.CASCADE, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attachments",
    )
    name = models.CharField(
        max_length=NAME_MAX_CHARS, help_text="The uploader's file name, made safe to show."
    )
    kind = models.CharField(max_length=16, choices=AttachmentKind.choices)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(
        help_text="Bytes stored (after re-encoding images); counts against the quota."
    )
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, help_text="Of the stored bytes.")
    storage_name = models.CharField(max_length=255, unique=True)
    thumbnail_storage_name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["document", "-created_at"], name="attachment_document_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=AttachmentKind.values), name="attachment_kind_known"
            ),
            models.CheckConstraint(condition=models.Q(size__gt=0), name="attachment_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.name} on {self.document_id}"
