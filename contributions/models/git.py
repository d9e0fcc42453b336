"""Git history of documents: where each document's repository stands, how particular
revisions are described as commits, and the releases (tags) cut from it.

The repository itself lives on disk (settings.GIT_ROOT/<document id>.git); these rows
are what the database must know to extend it exactly once and in order.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from collaboration.models import Document


class GitSync(models.Model):
    """How far a document's repository is: its head commit holds revision
    `last_revision_committed`. Locked (select_for_update) by whoever extends it."""

    document = models.OneToOneField(
        Document, on_delete=models.CASCADE, primary_key=True, related_name="git_sync"
    )
    last_revision_committed = models.IntegerField(
        default=-1, help_text="The revision the head commit holds (-1: no commit yet)."
    )
    head_sha = models.CharField(max_length=40, blank=True)
    path = models.CharField(
        max_length=260, blank=True, help_text="The Markdown file's path in the head commit."
    )
    commit_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Git repository"
        verbose_name_plural = "Git repositories"

    def __str__(self) -> str:
        return f"git of document {self.document_id} at revision {self.last_revision_committed}"


class RevisionNote(models.Model):
    """How one revision is committed when it is not ordinary live editing: a merged
    proposal (message and writers given by `commit_merge`) or a commit read from an
    imported repository (its original author, date and message). A revision with a note
    is a commit of its own."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+")
    revision = models.PositiveIntegerField()
    message = models.TextField()
    author_name = models.CharField(max_length=200, blank=True)
    author_email = models.CharField(max_length=254, blank=True)
    authored_at = models.DateTimeField(null=True, blank=True)
    co_authors = models.JSONField(
        default=list, blank=True, help_text='Further writers: ["Name <email>", ...].'
    )
    original_sha = models.CharField(max_length=40, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["document", "revision"], name="unique_git_revision_note"
            )
        ]

    def __str__(self) -> str:
        return f"note on {self.document_id}@{self.revision}"


class Release(models.Model):
    """A tag on the document's repository, cut by an editor."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="releases")
    name = models.CharField(max_length=100)
    message = models.TextField(blank=True, max_length=5000)
    commit_sha = models.CharField(max_length=40)
    revision = models.PositiveIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["document", "name"], name="unique_release_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} of document {self.document_id}"
