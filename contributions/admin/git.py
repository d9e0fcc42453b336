"""Git repositories and releases in the admin, for moderators: read-only (the repositories
follow the operation log by themselves), with a "sync now" action that commits everything,
the open period included."""

from __future__ import annotations

from django.contrib import admin, messages

from ..git.sync import sync_document
from ..models import GitSync, Release


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GitSync)
class GitSyncAdmin(ReadOnly):
    list_display = ["document", "last_revision_committed", "commit_count", "head_sha", "updated_at"]
    search_fields = ["document__slug", "document__title", "head_sha"]
    readonly_fields = ["document", "last_revision_committed", "head_sha", "path", "commit_count"]
    list_select_related = ["document"]
    actions = ["sync_now"]

    @admin.action(description="Sync now (commit every revision, the open period too)")
    def sync_now(self, request, queryset):
        commits = 0
        for state in queryset:
            result = sync_document(document_id=state.document_id, force=True)
            commits += result.commits if result else 0
        self.message_user(
            request,
            f"{queryset.count()} repositor{'y' if queryset.count() == 1 else 'ies'} synced, "
            f"{commits} new commit{'' if commits == 1 else 's'}.",
            messages.SUCCESS,
        )


@admin.register(Release)
class ReleaseAdmin(ReadOnly):
    list_display = ["name", "document", "revision", "commit_sha", "created_by", "created_at"]
    search_fields = ["name", "document__slug"]
    list_select_related = ["document", "created_by"]
