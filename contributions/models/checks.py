"""Automated checks of a document's Markdown: one CheckRun per (document, revision), and
one CodeBlockVerdict per runnable code block, which carries the "verified" badge and
remembers regressions across runs.

Proposals will point at a CheckRun later (a nullable foreign key of their own); a run is
about a document's text at one revision, so checking the same revision twice answers the
stored run (the unique constraint makes that hold under concurrent requests too).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from collaboration.models import Document


class CheckRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class CheckRun(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="check_runs")
    revision = models.PositiveIntegerField(help_text="The document revision that was checked.")
    status = models.CharField(
        max_length=16, choices=CheckRunStatus.choices, default=CheckRunStatus.QUEUED
    )
    score = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0-100.")
    results = models.JSONField(default=list, blank=True, help_text="The checks' results.")
    # Runnable blocks sent to the sandbox: {code hash: RunResult as a dict}, filled as the
    # sandbox worker answers; `pending_blocks` says how many answers are still awaited.
    block_results = models.JSONField(default=dict, blank=True)
    pending_blocks = models.PositiveIntegerField(default=0)
    # Python and library versions the code blocks ran with (from the sandbox's answers).
    versions = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=300, blank=True, help_text="Why the run failed.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-queued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "revision"], name="contributions_checkrun_once_per_revision"
            )
        ]
        indexes = [models.Index(fields=["document", "-queued_at"], name="contrib_checkrun_recent")]

    def __str__(self) -> str:
        return f"checks of {self.document_id}@{self.revision} ({self.status})"


class BlockVerdict(models.TextChoices):
    PASSED = "passed", "Verified"
    FAILED = "failed", "Failing"
    REGRESSED = "regressed", "Regressed"


class CodeBlock(models.Model):
    """A runnable block of a document, identified by the hash of its code: the last verdict
    of the sandbox on it, when it last passed and with what, and whether it regressed."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="code_blocks")
    code_hash = models.CharField(max_length=64)
    line = models.PositiveIntegerField(help_text="Line of the block's fence when last run.")
    verdict = models.CharField(max_length=16, choices=BlockVerdict.choices)
    message = models.CharField(max_length=500, blank=True, help_text="Why it failed.")
    python_version = models.CharField(max_length=40, blank=True)
    runner = models.CharField(max_length=20, blank=True)
    libraries = models.JSONField(default=dict, blank=True, help_text="{module: version}")
    verified_at = models.DateTimeField(null=True, blank=True, help_text="Last time it passed.")
    last_run_at = models.DateTimeField()
    regressed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["document_id", "line"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "code_hash"], name="contributions_codeblock_once"
            )
        ]

    def __str__(self) -> str:
        return f"block {self.code_hash[:10]} of {self.document_id} ({self.verdict})"
