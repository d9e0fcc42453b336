"""Questions, answers and comments in the admin, with their revisions.

Posts are written by their authors through the Q&A and comment services (which keep
revisions, counters and live updates right), so here they are read-only; what moderators
do to them (hide, delete, lock, warn or suspend the author...) are the admin actions,
which call the moderation services and leave an audit row.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.utils.html import format_html

from ..models import (
    Answer,
    AnswerRevision,
    Comment,
    CommentEvent,
    CommentRevision,
    Question,
    QuestionRevision,
    TargetType,
)
from ..rendering import render_post
from ..selectors import moderation as selectors
from ..selectors.targets import question_url
from .actions import ADMIN_ACTIONS, ModerationActionsMixin, item_admin_url
from .common import ReadOnlyAdmin, ReadOnlyWithActions, post_state


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("yes", "Deleted"), ("no", "Not deleted")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class QuestionRevisionInline(ReadOnlyInline):
    model = QuestionRevision
    fields = ["number", "title", "content", "editor", "summary", "created_at"]
    readonly_fields = fields


class AnswerRevisionInline(ReadOnlyInline):
    model = AnswerRevision
    fields = ["number", "content", "editor", "summary", "created_at"]
    readonly_fields = fields


class CommentRevisionInline(ReadOnlyInline):
    model = CommentRevision
    fields = ["content", "edited_by", "created_at"]
    readonly_fields = fields


POST_FILTERS = ["is_hidden", "hidden_reason", DeletedFilter, "is_locked", "created_at"]
POST_STATE_FIELDS = [
    "state",
    "is_hidden",
    "hidden_reason",
    "is_locked",
    "deleted_at",
    "deleted_by",
    "score",
    "created_at",
    "edited_at",
    "edited_by",
]


class PostAdmin(ModerationActionsMixin, ReadOnlyWithActions):
    """What the three kinds of post share: moderation actions, state columns, rendering."""

    target_type: str
    actions = ADMIN_ACTIONS
    search_fields = ["content", "author__username"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # the count of a big table is a slow query per page

    def targets_of(self, queryset) -> list[tuple[str, int]]:
        return [(self.target_type, pk) for pk in queryset.values_list("pk", flat=True)]

    def get_readonly_fields(self, request, obj=None):
        # Everything: posts change through their authors' services and the actions.
        return flatten_fieldsets(self.fieldsets)

    @admin.display(description="state")
    def state(self, post) -> str:
        return post_state(post)

    @admin.display(description="text")
    def excerpt(self, post) -> str:
        return selectors.target_excerpt(post, limit=80)

    @admin.display(description="rendered")
    def rendered(self, post):
        return render_post(post.content)

    @admin.display(description="open flags")
    def open_flags(self, post) -> int:
        return selectors.flag_open_count(target_type=self.target_type, target_id=post.pk)


@admin.register(Question)
class QuestionAdmin(PostAdmin):
    target_type = TargetType.QUESTION
    list_display = ["title", "author", "score", "answer_count", "state", "closed", "created_at"]
    list_filter = [*POST_FILTERS, "difficulty_level", ("closed_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "content", "author__username"]
    list_select_related = ["author"]
    inlines = [QuestionRevisionInline]
    fieldsets = [
        (None, {"fields": ["title", "author", "document", "document_section", "tags_list"]}),
        ("Text", {"fields": ["content", "rendered"]}),
        ("Moderation", {"fields": [*POST_STATE_FIELDS, "open_flags"]}),
        (
            "Answers and closing",
            {
                "fields": [
                    "difficulty_level",
                    "answer_count",
                    "view_count",
                    "accepted_answer",
                    "last_activity_at",
                    "closed_at",
                    "closed_by",
                    "close_reason",
                    "close_note",
                    "duplicate_of",
                ]
            },
        ),
    ]

    def view_on_site(self, question: Question) -> str | None:
        return question_url(question.pk)

    @admin.display(boolean=True, description="closed")
    def closed(self, question: Question) -> bool:
        return question.is_closed

    @admin.display(description="tags")
    def tags_list(self, question: Question) -> str:
        return ", ".join(tag.name for tag in question.tags.all()) or "—"


@admin.register(Answer)
class AnswerAdmin(PostAdmin):
    target_type = TargetType.ANSWER
    list_display = ["excerpt", "question", "author", "score", "is_accepted", "state", "created_at"]
    list_filter = [*POST_FILTERS, "is_accepted"]
    search_fields = ["content", "author__username", "question__title"]
    list_select_related = ["author", "question"]
    inlines = [AnswerRevisionInline]
    fieldsets = [
        (None, {"fields": ["question_link", "author", "is_accepted", "accepted_at"]}),
        ("Text", {"fields": ["content", "rendered"]}),
        ("Moderation", {"fields": [*POST_STATE_FIELDS, "open_flags"]}),
    ]

    def view_on_site(self, answer: Answer) -> str | None:
        url = question_url(answer.question_id)
        return url and f"{url}#answer-{answer.pk}"

    @admin.display(description="question")
    def question_link(self, answer: Answer):
        return format_html(
            '<a href="{}">{}</a>', item_admin_url(answer.question), answer.question.title
        )


@admin.register(Comment)
class CommentAdmin(PostAdmin):
    target_type = TargetType.COMMENT
    list_display = [
        "excerpt",
        "document",
        "author",
        "comment_type",
        "status",
        "state",
        "created_at",
    ]
    list_filter = [*POST_FILTERS, "comment_type", "status", "is_outdated"]
    search_fields = ["content", "author__username", "document__title"]
    list_select_related = ["author", "document"]
    inlines = [CommentRevisionInline]
    fieldsets = [
        (None, {"fields": ["document", "thread", "author", "comment_type", "status"]}),
        ("Text", {"fields": ["content", "rendered"]}),
        (
            "Anchor",
            {
                "fields": [
                    "position",
                    "line_number",
                    "anchor_start",
                    "anchor_end",
                    "anchor_revision",
                    "quote",
                    "is_outdated",
                ]
            },
        ),
        ("Moderation", {"fields": [*POST_STATE_FIELDS, "open_flags"]}),
    ]

    def view_on_site(self, comment: Comment) -> str:
        return f"{comment.document.get_absolute_url()}#comment-{comment.pk}"

    @admin.display(description="thread")
    def thread(self, comment: Comment):
        if comment.parent_id is None:
            return "starts a thread"
        return format_html(
            '<a href="{}">reply to comment {}</a>',
            item_admin_url(comment.parent),
            comment.parent_id,
        )


@admin.register(QuestionRevision)
class QuestionRevisionAdmin(ReadOnlyAdmin):
    list_display = ["question", "number", "editor", "summary", "created_at"]
    search_fields = ["question__title", "title", "content", "editor__username"]
    list_select_related = ["question", "editor"]
    date_hierarchy = "created_at"


@admin.register(AnswerRevision)
class AnswerRevisionAdmin(ReadOnlyAdmin):
    list_display = ["answer", "number", "editor", "summary", "created_at"]
    search_fields = ["content", "editor__username"]
    list_select_related = ["answer", "editor"]
    date_hierarchy = "created_at"


@admin.register(CommentRevision)
class CommentRevisionAdmin(ReadOnlyAdmin):
    list_display = ["comment", "edited_by", "created_at"]
    search_fields = ["content", "edited_by__username"]
    list_select_related = ["comment", "edited_by"]
    date_hierarchy = "created_at"


@admin.register(CommentEvent)
class CommentEventAdmin(ReadOnlyAdmin):
    """What each document's live topic sent about its comments (written by the comments
    service; pages resume from it)."""

    list_display = ["id", "document", "comment", "kind", "actor", "created_at"]
    list_filter = ["kind", "created_at"]
    search_fields = ["document__title", "actor__username"]
    list_select_related = ["document", "comment", "actor"]
    show_full_result_count = False
