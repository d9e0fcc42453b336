"""Choices and fields every kind of community post shares."""

from django.conf import settings
from django.db import models


class TargetType(models.TextChoices):
    """What votes, flags, reputation events and moderator actions point at."""

    QUESTION = "question", "Question"
    ANSWER = "answer", "Answer"
    COMMENT = "comment", "Comment"


class HiddenReason(models.TextChoices):
    NONE = "", "Not hidden"
    SPAM_FLAGS = "spam_flags", "Flagged as spam by several people; waiting for a moderator"
    MODERATOR = "moderator", "Hidden by a moderator"


class Post(models.Model):
    """Fields of everything people write here (comments, questions, answers).

    `content` is Markdown, rendered sanitised like the documents. A hidden post is shown
    only to its author and moderators; a deleted one (soft: `deleted_at`) to moderators; a
    locked one takes no edits, answers, replies or votes.
    """

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    content = models.TextField(max_length=30_000)
    score = models.IntegerField(default=0, help_text="Up-votes minus down-votes.")
    is_hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(
        max_length=16, choices=HiddenReason.choices, default=HiddenReason.NONE, blank=True
    )
    is_locked = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None
