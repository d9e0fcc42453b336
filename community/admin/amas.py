"""AMA sessions in the admin, for moderators: sessions with their state and questions,
the question queue (hide and show again), and FAQ entries (remove).

Everything changes through the AMA services, so the room gets its frames (open pages
update) and the rules hold (a question hidden in the admin disappears from every page).
"""

from __future__ import annotations

from django.contrib import admin, messages

from ..errors import CommunityError
from ..models import AmaQuestion, AmaSession, FaqEntry
from ..services import amas as services
from ..services import amas_faq as faq_services
from ..services import amas_questions as question_services
from .common import ReadOnlyAdmin


class QuestionInline(admin.TabularInline):
    model = AmaQuestion
    fk_name = "session"
    fields = ["content", "author", "score", "status", "merged_into", "answered_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-score", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ServiceActionsMixin:
    """Runs a service on each selected row; refusals are reported row by row."""

    def has_change_permission(self, request, obj=None):
        # Kept for the list (actions need it); the detail page stays view-only.
        return obj is None and request.user.is_staff

    def run_each(self, request, queryset, call, done_text: str) -> None:
        done = 0
        for row in queryset:
            try:
                call(row)
            except CommunityError as exc:
                self.message_user(request, f"{row}: {exc.message}", messages.WARNING)
            else:
                done += 1
        self.message_user(request, f"{done} {done_text}", messages.SUCCESS)


@admin.register(AmaSession)
class AmaSessionAdmin(ServiceActionsMixin, ReadOnlyAdmin):
    list_display = ["topic", "host", "state", "starts_at", "ends_at", "started_at", "ended_at"]
    list_filter = ["state", "starts_at"]
    search_fields = ["topic", "host__username"]
    list_select_related = ["host"]
    inlines = [QuestionInline]
    actions = ["end_now", "cancel"]

    @admin.action(description="End now (live sessions)")
    def end_now(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda ama: services.ama_end(ama_id=ama.pk, user=request.user),
            "session(s) ended.",
        )

    @admin.action(description="Cancel (sessions that have not started)")
    def cancel(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda ama: services.ama_cancel(ama_id=ama.pk, user=request.user),
            "session(s) cancelled.",
        )


@admin.register(AmaQuestion)
class AmaQuestionAdmin(ServiceActionsMixin, ReadOnlyAdmin):
    list_display = ["content", "session", "author", "score", "status", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["content", "author__username", "session__topic"]
    list_select_related = ["session", "author"]
    actions = ["hide", "unhide"]

    @admin.action(description="Hide from the queue")
    def hide(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda q: question_services.question_hide(
                ama_id=q.session_id, question_id=q.pk, user=request.user, hidden=True
            ),
            "question(s) hidden.",
        )

    @admin.action(description="Show again")
    def unhide(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda q: question_services.question_hide(
                ama_id=q.session_id, question_id=q.pk, user=request.user, hidden=False
            ),
            "question(s) shown again.",
        )


@admin.register(FaqEntry)
class FaqEntryAdmin(ServiceActionsMixin, ReadOnlyAdmin):
    list_display = ["question", "document", "source", "position", "created_by", "created_at"]
    search_fields = ["question", "document__title"]
    list_select_related = ["document", "source", "created_by"]
    actions = ["remove"]

    @admin.action(description="Remove from the document's FAQ")
    def remove(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda entry: faq_services.faq_remove(entry_id=entry.pk, user=request.user),
            "entr(ies) removed.",
        )
