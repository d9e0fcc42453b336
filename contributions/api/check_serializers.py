"""Bodies of the checks API: a report (one Markdown text checked now) and a document's
stored runs with its runnable blocks' verdicts."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from ..models import BlockVerdict, CheckRunStatus

STATUSES = ["pass", "warn", "fail", "not_run"]


class CheckDetailSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True, help_text="1-based line of the Markdown.")
    message = serializers.CharField()


class CheckResultSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Stable id of the check, e.g. structure, links.")
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=STATUSES)
    summary = serializers.CharField(help_text="One sentence for the writer.")
    details = CheckDetailSerializer(many=True)


class WeightsField(serializers.DictField):
    child = serializers.IntegerField()


class CheckReportSerializer(serializers.Serializer):
    score = serializers.IntegerField(
        allow_null=True, help_text="0-100 over the checks that ran (see `weights`)."
    )
    results = CheckResultSerializer(many=True)
    weights = WeightsField(help_text="Points of each check: pass all, warn half, fail none.")


class CheckMarkdownInputSerializer(serializers.Serializer):
    markdown = serializers.CharField(
        allow_blank=True, trim_whitespace=False, max_length=settings.MAX_DOCUMENT_CHARS
    )
    document = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=220,
        help_text="Id or slug of a document you may read: relative links resolve from it.",
    )


class CheckRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    document_id = serializers.IntegerField()
    revision = serializers.IntegerField()
    status = serializers.ChoiceField(choices=CheckRunStatus.choices)
    score = serializers.IntegerField(allow_null=True)
    results = CheckResultSerializer(many=True)
    pending_blocks = serializers.IntegerField(help_text="Runnable blocks still with the sandbox.")
    versions = serializers.JSONField(help_text="{python, runner, libraries} the code ran with.")
    error = serializers.CharField(help_text="Why the run failed (status failed), else empty.")
    requested_by = serializers.CharField(
        source="requested_by.username", allow_null=True, default=None, help_text="Username."
    )
    queued_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class CodeBlockSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    code_hash = serializers.CharField(help_text="SHA-256 of the block's code: its identity.")
    preview = serializers.CharField(help_text="The block's first line.")
    verdict = serializers.ChoiceField(
        choices=BlockVerdict.choices, allow_null=True, source="verdict.verdict", default=None
    )
    verified_at = serializers.DateTimeField(
        allow_null=True, source="verdict.verified_at", default=None
    )
    regressed_at = serializers.DateTimeField(
        allow_null=True, source="verdict.regressed_at", default=None
    )
    python_version = serializers.CharField(source="verdict.python_version", default="")
    runner = serializers.CharField(source="verdict.runner", default="")
    libraries = serializers.JSONField(source="verdict.libraries", default=dict)
    message = serializers.CharField(source="verdict.message", default="")


class DocumentChecksSerializer(serializers.Serializer):
    latest = CheckRunSerializer(allow_null=True)
    history = CheckRunSerializer(many=True, help_text="The latest runs, newest first.")
    blocks = CodeBlockSerializer(many=True, help_text="Runnable blocks of the current text.")
    weights = WeightsField()
