"""Proposals in the admin, for moderators: find them by document, author, state; read
their reviews, inline comments and timeline; close or reopen them, dismiss a review that
abuses the process, and set a document's merge rules. Text changes go through the
branch's live editor and merges through the proposal page, never through the admin,
so the admin never writes a document's text around the edit service."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction

from ..errors import ContributionsError
from ..models import (
    Proposal,
    ProposalEvent,
    ProposalReviewer,
    ProposalSettings,
    Review,
    ReviewComment,
    Suggestion,
)
from ..proposals import lifecycle


class ReviewInline(admin.TabularInline):
    model = Review
    extra = 0
    fields = ["reviewer", "verdict", "body", "branch_revision", "counts", "dismissed", "helpful"]
    readonly_fields = ["reviewer", "verdict", "body", "branch_revision", "counts"]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class ReviewerInline(admin.TabularInline):
    model = ProposalReviewer
    extra = 0
    fields = ["user", "requested_by", "requested_at"]
    readonly_fields = ["user", "requested_by", "requested_at"]

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = ProposalEvent
    extra = 0
    fields = ["created_at", "actor", "kind", "data"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ["__str__", "document", "kind", "state", "author", "updated_at"]
    list_filter = ["state", "kind"]
    search_fields = ["title", "document__slug", "document__title", "author__username"]
    list_select_related = ["document", "author"]
    readonly_fields = [
        "document",
        "number",
        "kind",
        "branch",
        "author",
        "credited",
        "state",
        "base_revision",
        "origin",
        "merged_revision",
        "merged_by",
        "merged_at",
        "closed_by",
        "closed_at",
        "lines_added",
        "lines_removed",
        "created_at",
        "updated_at",
    ]
    fields = ["title", "description", *readonly_fields]
    inlines = [ReviewerInline, ReviewInline, EventInline]
    actions = ["close_selected", "reopen_selected"]

    def has_add_permission(self, request):
        return False

    def _each(self, request, queryset, act, done: str) -> None:
        count = 0
        for proposal in queryset:
            try:
                act(proposal=proposal, user=request.user)
                count += 1
            except ContributionsError as exc:
                self.message_user(request, f"#{proposal.number}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{count} proposal{'s' if count != 1 else ''} {done}.")

    @admin.action(description="Close the selected proposals")
    def close_selected(self, request, queryset):
        self._each(request, queryset, lifecycle.proposal_close, "closed")

    @admin.action(description="Reopen the selected proposals")
    def reopen_selected(self, request, queryset):
        self._each(request, queryset, lifecycle.proposal_reopen, "reopened")


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["__str__", "proposal", "verdict", "counts", "dismissed", "created_at"]
    list_filter = ["verdict", "dismissed", "counts"]
    search_fields = ["reviewer__username", "proposal__title", "body"]
    list_select_related = ["reviewer", "proposal"]
    readonly_fields = ["proposal", "reviewer", "verdict", "branch_revision", "counts", "created_at"]
    fields = [*readonly_fields, "body", "dismissed", "helpful"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        # A dismissed review stops counting or blocking at once.
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            lifecycle.refresh_state(obj.proposal, actor=request.user)


@admin.register(ReviewComment)
class ReviewCommentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "outdated", "revision"]
    list_filter = ["outdated"]
    search_fields = ["body", "quote"]
    readonly_fields = ["review", "start", "end", "quote", "revision", "outdated"]

    def has_add_permission(self, request):
        return False


@admin.register(ProposalSettings)
class ProposalSettingsAdmin(admin.ModelAdmin):
    list_display = ["document", "required_approvals", "dismiss_stale_approvals"]
    search_fields = ["document__slug", "document__title"]
    autocomplete_fields = ["document"]

    def save_model(self, request, obj, form, change):
        # Through the service, so open proposals' states follow the new rules.
        lifecycle.merge_rules_update(
            document=obj.document,
            user=request.user,
            required_approvals=obj.required_approvals,
            dismiss_stale_approvals=obj.dismiss_stale_approvals,
        )


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "document", "author", "state", "created_at"]
    list_filter = ["state"]
    search_fields = ["document__slug", "author__username", "text", "original"]
    list_select_related = ["document", "author"]
    readonly_fields = [
        "proposal",
        "document",
        "author",
        "start",
        "end",
        "original",
        "text",
        "revision",
        "state",
        "decided_by",
        "decided_at",
        "merged_revision",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
