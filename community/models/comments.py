"""Comments on documents: general ones, and inline ones anchored to a range of the text."""

from django.conf import settings
from django.db import models

from collaboration.models import Document

from .common import Post


class CommentType(models.TextChoices):
    GENERAL = "general", "General"
    INLINE = "inline", "Inline (on a passage)"


class CommentStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class Comment(Post):
    """A thread's first comment (`parent` null) or a reply in it.

    Inline threads carry an anchor: the range `anchor_start..anchor_end` (code points) in
    the text of revision `anchor_revision`, moved through every later revision by the
    post-commit hook (`community.services.anchors`). `quote` is the text the range covered
    when the comment was made; once that text is gone (the range collapsed) the thread is
    `is_outdated` and keeps the quote. Replies have no anchor of their own.
    """

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    comment_type = models.CharField(
        max_length=16, choices=CommentType.choices, default=CommentType.GENERAL
    )
    position = models.PositiveIntegerField(null=True, blank=True)
    line_number = models.PositiveIntegerField(null=True, blank=True)
    anchor_start = models.PositiveIntegerField(null=True, blank=True)
    anchor_end = models.PositiveIntegerField(null=True, blank=True)
    anchor_revision = models.PositiveIntegerField(null=True, blank=True)
    quote = models.TextField(blank=True)
    is_outdated = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=CommentStatus.choices, default=CommentStatus.OPEN
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["document", "parent", "created_at"], name="comment_threads"),
            # The anchor receiver reads a document's open inline threads on every revision.
            models.Index(
                fields=["document", "anchor_revision"],
                name="comment_live_anchors",
                condition=models.Q(comment_type="inline", parent__isnull=True, is_outdated=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(anchor_start__isnull=True)
                | models.Q(anchor_start__lte=models.F("anchor_end")),
                name="comment_anchor_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.document_id}"

    @property
    def is_inline(self) -> bool:
        return self.comment_type == CommentType.INLINE


class CommentRevision(models.Model):
    """An earlier wording of a comment, kept when it is edited."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="revisions")
    content = models.TextField()
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"revision of comment {self.comment_id}"


class CommentFeed(models.Model):
    """One row per document, locked while a comment event is written, so event ids grow in
    commit order per document (clients resume the document's topic from the last id)."""

    document = models.OneToOneField(
        Document, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"comment feed of {self.document_id}"


class CommentEventKind(models.TextChoices):
    CREATED = "created", "Created"
    EDITED = "edited", "Edited"
    RESOLVED = "resolved", "Resolved"
    REOPENED = "reopened", "Reopened"
    DELETED = "deleted", "Deleted"
    OUTDATED = "outdated", "Its passage was deleted"
    HIDDEN = "hidden", "Hidden by moderation"
    SHOWN = "shown", "Shown again"


class CommentEvent(models.Model):
    """The document's comment activity: what its topic (`doc:<id>`) sends live, and what a
    reconnecting page or editor reads back after the last id it saw."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=CommentEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["document", "id"], name="comment_event_log")]

    def __str__(self) -> str:
        return f"{self.kind} comment {self.comment_id}"
