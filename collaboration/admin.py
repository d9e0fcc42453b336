"""Admin for documents, their log, sessions and chat.

A document's text and its operation log are written only by the commit path
(collaboration/commit/), which keeps the text, the revision and the log in step.
The admin therefore shows them read-only; new documents are created by
services.document_create so they start with their revision-0 snapshot. Changes to who
may read or edit (visibility, edit policy, owner, members, deletion) go through
services.document_access_changed, so open editors lose or gain the right at once.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin

from accounts.roles import Role

from . import services
from .models import (
    ChatMessage,
    CollaborationSession,
    Document,
    DocumentMember,
    DocumentRead,
    Operation,
    RevisionCursor,
    Room,
    RoomEntryKind,
    RoomMember,
    RoomMessage,
    SessionParticipant,
    Snapshot,
    Tag,
)

CONTENT_HELP = (
    "The text is read-only here. Every change to it must go through the commit path "
    "(the live editor, the API's operations endpoint or a restore), which records an "
    "operation, bumps the revision and tells connected editors. Saving text from this "
    "form would silently desynchronise the log, the history and everyone's open copy."
)


class DocumentMemberInline(admin.TabularInline):
    model = DocumentMember
    extra = 0
    raw_id_fields = ["user"]

    def get_queryset(self, request):
        # One query for the members' usernames instead of one per row.
        return super().get_queryset(request).select_related("user")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "description"]
    search_fields = ["slug", "name"]
    prepopulated_fields = {"slug": ["name"]}


class DocumentAddForm(forms.ModelForm):
    """Adding a document: its initial text, which the service stores at revision 0."""

    content = forms.CharField(
        required=False, strip=False, widget=forms.Textarea(attrs={"rows": 12}), label="Text"
    )

    class Meta:
        model = Document
        fields = ["title", "owner", "visibility", "edit_policy", "tags"]


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "slug",
        "owner",
        "visibility",
        "edit_policy",
        "revision",
        "updated_at",
    ]
    list_filter = ["visibility", "edit_policy", "tags"]
    search_fields = ["title", "slug", "owner__username"]
    list_select_related = ["owner"]  # owner is in list_display: one join, not N queries
    raw_id_fields = ["owner"]
    filter_horizontal = ["tags"]
    date_hierarchy = "updated_at"
    inlines = [DocumentMemberInline]
    readonly_fields = [
        "revision",
        "created_at",
        "updated_at",
        "last_edited_at",
        "last_edited_by",
    ]

    def get_fieldsets(self, request, obj=None):
        if obj is None:  # adding: the initial text may be written here
            return [
                (None, {"fields": ["title", "owner", "visibility", "edit_policy", "tags"]}),
                ("Initial text", {"fields": ["content"]}),
            ]
        return [
            (None, {"fields": ["title", "slug", "owner", "visibility", "edit_policy", "tags"]}),
            ("Text", {"fields": ["content", "revision"], "description": CONTENT_HELP}),
            (
                "Activity",
                {"fields": ["created_at", "updated_at", "last_edited_at", "last_edited_by"]},
            ),
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = DocumentAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*self.readonly_fields, "content", "slug"]

    ACCESS_FIELDS = ("visibility", "edit_policy", "owner")

    def save_model(self, request, obj, form, change):
        if change:
            # Only metadata reaches here (the text is read-only): a plain save is safe.
            super().save_model(request, obj, form, change)
            if any(field in form.changed_data for field in self.ACCESS_FIELDS):
                services.document_access_changed(document_id=obj.pk)
            return
        # New documents go through the service: unique slug, revision 0, snapshot 0.
        # Tags are saved afterwards by save_related() from the form.
        created = services.document_create(
            owner=obj.owner,
            title=obj.title,
            content=form.cleaned_data.get("content") or "",
            visibility=obj.visibility,
            edit_policy=obj.edit_policy,
        )
        obj.pk = created.pk
        obj.slug = created.slug
        obj.revision = created.revision
        obj.created_at = created.created_at
        obj.updated_at = created.updated_at
        obj._state.adding = False

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if change and formset.model is DocumentMember and formset.has_changed():
            services.document_access_changed(document_id=form.instance.pk)

    def delete_model(self, request, obj):
        # The service locks the row against edits being committed and tells open editors.
        services.document_delete(document=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for document in queryset:
            services.document_delete(document=document, user=request.user)


class ReadOnlyUnlessSuperuserAdmin(admin.ModelAdmin):
    """Nobody adds rows here; only superusers may change or delete them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


@admin.register(Operation)
class OperationAdmin(ReadOnlyUnlessSuperuserAdmin):
    list_display = [
        "document",
        "revision",
        "user",
        "source",
        "chars_inserted",
        "chars_deleted",
        "created_at",
    ]
    list_filter = ["source", "created_at"]
    search_fields = ["document__title", "document__slug", "client_op_id", "user__username"]
    list_select_related = ["document", "user"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "document",
        "revision",
        "base_revision",
        "ops",
        "client_op_id",
        "user",
        "source",
        "chars_inserted",
        "chars_deleted",
        "created_at",
    ]
    # The changelist would otherwise count every operation of every document.
    show_full_result_count = False


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyUnlessSuperuserAdmin):
    list_display = ["document", "revision", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["document__title", "document__slug"]
    list_select_related = ["document"]
    readonly_fields = ["document", "revision", "content", "created_at"]
    show_full_result_count = False


@admin.register(DocumentRead)
class DocumentReadAdmin(ReadOnlyUnlessSuperuserAdmin):
    """Reads are recorded by collaboration.reads when a signed-in user opens a document."""

    list_display = ["user", "document", "count", "read_at"]
    search_fields = ["user__username", "document__title", "document__slug"]
    list_select_related = ["user", "document"]
    date_hierarchy = "read_at"
    readonly_fields = ["user", "document", "count", "read_at"]
    show_full_result_count = False


class SessionParticipantInline(admin.TabularInline):
    model = SessionParticipant
    extra = 0
    can_delete = True
    readonly_fields = ["user", "connection_id", "joined_at", "last_seen"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CollaborationSession)
class CollaborationSessionAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "document",
        "created_by",
        "is_active",
        "is_private",
        "max_participants",
        "created_at",
        "ended_at",
    ]
    list_filter = ["is_active", "is_private", "created_at"]
    search_fields = ["document__title", "created_by__username"]
    list_select_related = ["document", "created_by"]
    raw_id_fields = ["document", "created_by", "invited"]
    readonly_fields = ["created_at", "ended_at"]
    inlines = [SessionParticipantInline]
    actions = ["end_sessions"]

    @admin.action(description="End the selected sessions")
    def end_sessions(self, request, queryset):
        # Through the service, so the rules and the participant clean-up are the same
        # as for the API's end endpoint.
        ended = 0
        for session in queryset.filter(is_active=True):
            try:
                services.session_end(session=session, user=request.user)
                ended += 1
            except services.ActionForbidden as exc:
                self.message_user(request, f"Session {session.pk}: {exc}", level="error")
        self.message_user(request, f"Ended {ended} session(s).")


@admin.register(ChatMessage)
class ChatMessageAdmin(admin.ModelAdmin):
    list_display = ["document", "user", "message_type", "short_message", "created_at"]
    list_filter = ["message_type", "created_at"]
    search_fields = ["message", "user__username", "document__title"]
    list_select_related = ["document", "user"]
    date_hierarchy = "created_at"
    readonly_fields = ["document", "session", "user", "message", "message_type", "created_at"]
    show_full_result_count = False

    @admin.display(description="message")
    def short_message(self, obj: ChatMessage) -> str:
        return obj.message if len(obj.message) <= 80 else obj.message[:79] + "…"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or _is_moderator(request)

    def has_delete_permission(self, request, obj=None):
        # Moderators remove abusive messages; nobody rewrites them.
        return _is_moderator(request)


def _is_moderator(request) -> bool:
    return request.user.is_authenticated and request.user.has_role(Role.MODERATOR)


class RoomMemberInline(admin.TabularInline):
    model = RoomMember
    extra = 0
    raw_id_fields = ["user"]
    readonly_fields = ["joined_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    """Rooms are created by the apps they belong to; moderators look after them here."""

    list_display = ["title", "kind", "is_public", "created_at", "archived_at"]
    list_filter = ["kind", "is_public", ("archived_at", admin.EmptyFieldListFilter)]
    search_fields = ["title"]
    readonly_fields = ["kind", "created_by", "created_at", "archived_at"]
    fields = ["title", "kind", "is_public", "created_by", "created_at", "archived_at"]
    inlines = [RoomMemberInline]
    actions = ["archive"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_public" in form.changed_data:
            services.room_set_public(room=obj, is_public=obj.is_public)

    def save_formset(self, request, form, formset, change):
        # Removed members go through the service, so their open subscriptions end at once.
        removed = [member for member in formset.deleted_forms if member.instance.pk]
        users = [member.instance.user for member in removed]
        super().save_formset(request, form, formset, change)
        if users:
            services.room_access_changed(room_id=form.instance.pk)

    @admin.action(description="Archive selected rooms (read-only from now on)")
    def archive(self, request, queryset):
        rooms = list(queryset.filter(archived_at__isnull=True))
        for room in rooms:
            services.room_archive(room=room)
        self.message_user(request, f"Archived {len(rooms)} room(s).")


@admin.register(RoomMessage)
class RoomMessageAdmin(ChatMessageAdmin):
    """A room's log: messages, their edits and deletions, app events. Moderators delete
    messages with the action, through the service, so every open chat hides them at once
    and reconnecting clients replay the deletion; rows are never removed (the log is what
    clients resume from), and a deleted message's text stays here for moderators."""

    list_display = ["room", "user", "kind", "short_message", "state", "created_at"]
    list_filter = ["kind", ("room", admin.RelatedOnlyFieldListFilter), "created_at"]
    search_fields = ["message", "user__username", "room__title"]
    list_select_related = ["room", "user", "target"]
    readonly_fields = [
        "room", "user", "kind", "message", "message_type", "target", "payload",
        "created_at", "edited_at", "deleted_at", "deleted_by",
    ]  # fmt: skip
    actions = ["delete_messages"]

    @admin.display(description="state")
    def state(self, obj: RoomMessage) -> str:
        if obj.kind == RoomEntryKind.EDIT:
            return f"edit of #{obj.target_id}"
        if obj.kind == RoomEntryKind.DELETE:
            return f"deletion of #{obj.target_id}"
        if obj.deleted_at:
            return "deleted"
        return "edited" if obj.edited_at else ""

    def has_delete_permission(self, request, obj=None):
        return False  # the action below deletes; rows stay in the log

    def has_delete_messages_permission(self, request) -> bool:
        return _is_moderator(request)

    @admin.action(
        description="Delete selected messages for everyone (placeholders stay)",
        permissions=["delete_messages"],
    )
    def delete_messages(self, request, queryset):
        messages = list(
            queryset.filter(kind=RoomEntryKind.MESSAGE, deleted_at__isnull=True).values_list(
                "room_id", "pk"
            )
        )
        for room_id, message_id in messages:
            services.room_message_delete(room_id=room_id, message_id=message_id, user=request.user)
        self.message_user(request, f"Deleted {len(messages)} message(s).")


@admin.register(RevisionCursor)
class RevisionCursorAdmin(ReadOnlyUnlessSuperuserAdmin):
    """How far each receiver of the post-commit hook got, per document (for operators)."""

    list_display = ["receiver", "document", "revision", "updated_at"]
    list_filter = ["receiver"]
    search_fields = ["receiver", "document__title"]
    list_select_related = ["document"]


from .attachments import admin as attachments_admin  # noqa: E402,F401 - registers its admin
