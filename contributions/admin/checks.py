"""Check runs and code-block verdicts in the admin, for moderators: read-only (runs come
from the checks themselves), filterable by status, verdict and date."""

from __future__ import annotations

from django.contrib import admin

from ..models import CheckRun, CodeBlock


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CheckRun)
class CheckRunAdmin(ReadOnlyAdmin):
    list_display = ["document", "revision", "status", "score", "requested_by", "queued_at"]
    list_filter = ["status", "queued_at", "finished_at"]
    search_fields = ["document__slug", "document__title", "requested_by__username"]
    list_select_related = ["document", "requested_by"]
    date_hierarchy = "queued_at"
    readonly_fields = [
        "document", "revision", "status", "score", "results", "block_results", "pending_blocks",
        "versions", "error", "requested_by", "queued_at", "started_at", "finished_at",
    ]  # fmt: skip


@admin.register(CodeBlock)
class CodeBlockAdmin(ReadOnlyAdmin):
    list_display = ["document", "line", "verdict", "python_version", "verified_at", "regressed_at"]
    list_filter = ["verdict", "runner", "regressed_at"]
    search_fields = ["document__slug", "document__title", "code_hash"]
    list_select_related = ["document"]
    readonly_fields = [
        "document", "code_hash", "line", "verdict", "message", "python_version", "runner",
        "libraries", "verified_at", "last_run_at", "regressed_at",
    ]  # fmt: skip
