"""Notifications, watches, delivery choices and digest runs in the admin, for moderators
answering "why did I (not) get this?". All read-only: notifications and digest runs are
written by their services only (one per event and recipient; one digest a day), and
watches and delivery choices are each person's own (their settings page)."""

from __future__ import annotations

from django.contrib import admin

from ..models import DigestRun, Notification, NotificationPreference, Watch
from .common import ReadOnlyAdmin


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "actor", "read_at", "email_status"]
    list_filter = ["kind", "email_status", ("read_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["recipient__username", "actor__username", "title", "key"]
    list_select_related = ["recipient", "actor"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(Watch)
class WatchAdmin(ReadOnlyAdmin):
    list_display = ["user", "target_type", "document", "tag", "question", "level", "updated_at"]
    list_filter = ["target_type", "level"]
    search_fields = ["user__username", "document__title", "tag__slug", "question__title"]
    list_select_related = ["user", "document", "tag", "question"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ["user", "kind", "delivery"]
    list_filter = ["kind", "delivery"]
    search_fields = ["user__username"]
    list_select_related = ["user"]


@admin.register(DigestRun)
class DigestRunAdmin(ReadOnlyAdmin):
    list_display = ["day", "user", "notification_count", "sent_at"]
    list_filter = ["day"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    date_hierarchy = "day"
