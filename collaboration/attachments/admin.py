"""Attachments in the admin: moderators find files (by name, document or uploader), open
them and delete them. Nobody edits or adds one here: files come in through the upload
service, which checks what they contain. Deleting goes through the service too."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from accounts.roles import Role

from . import selectors, services
from .models import Attachment
from .validation import megabytes


def _is_moderator(request) -> bool:
    return request.user.is_authenticated and request.user.has_role(Role.MODERATOR)


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "shown_size", "document", "uploaded_by", "created_at"]
    list_filter = ["kind", "created_at"]
    search_fields = ["name", "document__title", "document__slug", "uploaded_by__username"]
    list_select_related = ["document", "uploaded_by"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    readonly_fields = [
        "open_file",
        "document",
        "uploaded_by",
        "name",
        "kind",
        "content_type",
        "size",
        "width",
        "height",
        "sha256",
        "storage_name",
        "thumbnail_storage_name",
        "created_at",
    ]

    @admin.display(description="size", ordering="size")
    def shown_size(self, obj: Attachment) -> str:
        return megabytes(obj.size)

    @admin.display(description="file")
    def open_file(self, obj: Attachment) -> str:
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">Open</a>',
            selectors.file_url(obj, obj.document),
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or _is_moderator(request)

    def has_delete_permission(self, request, obj=None):
        # Moderators remove files that break the rules; the service removes the stored bytes.
        return _is_moderator(request)

    def delete_model(self, request, obj: Attachment) -> None:
        services.attachment_delete(document=obj.document, attachment_id=obj.pk, user=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for attachment in queryset.select_related("document"):
            services.attachment_delete(
                document=attachment.document, attachment_id=attachment.pk, user=request.user
            )
