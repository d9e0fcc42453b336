"""The moderation queue (flags) and the audit log in the admin.

The queue lists open flags first, each with the item it is about (text, author, state,
link) and how many open flags that item has; its actions decide about the flagged items
through `community.services.moderation` (see .actions), never by editing rows here. The
audit log is read-only: only the services write it.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Case, Count, IntegerField, OuterRef, Subquery, Value, When

from ..models import Flag, FlagStatus, ModerationAction
from .actions import ADMIN_ACTIONS, ModerationActionsMixin
from .common import ReadOnlyAdmin, ReadOnlyWithActions, TargetColumnsMixin


def _open_flags_on_same_item():
    """Per row: the open flags on the row's item (a correlated count, no join fan-out)."""
    return Subquery(
        Flag.objects.filter(
            target_type=OuterRef("target_type"),
            target_id=OuterRef("target_id"),
            status=FlagStatus.OPEN,
        )
        .order_by()
        .values("target_type")
        .annotate(total=Count("id"))
        .values("total"),
        output_field=IntegerField(),
    )


@admin.register(Flag)
class FlagAdmin(ModerationActionsMixin, TargetColumnsMixin, ReadOnlyWithActions):
    list_display = [
        "item_link",
        "item_excerpt",
        "item_author",
        "item_state",
        "reason",
        "text",
        "flagger",
        "status",
        "open_flags",
        "created_at",
    ]
    list_display_links = None  # the item column links to the item; a flag has nothing to edit
    list_filter = ["status", "reason", "target_type", "created_at"]
    search_fields = ["text", "flagger__username"]
    list_select_related = ["flagger", "handled_by"]
    date_hierarchy = "created_at"
    actions = ADMIN_ACTIONS
    fields = [
        "item_link",
        "item_author",
        "item_state",
        "item_excerpt",
        "reason",
        "text",
        "flagger",
        "status",
        "created_at",
        "handled_at",
        "handled_by",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(open_flags=_open_flags_on_same_item())

    def get_ordering(self, request):
        # Open flags first (the work waiting), the most flagged items first among them.
        # Expressions, not annotation names: the admin orders before get_queryset annotates.
        waiting = Case(
            When(status=FlagStatus.OPEN, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return [waiting.asc(), _open_flags_on_same_item().desc(), "-created_at"]

    @admin.display(description="open flags on item", ordering="open_flags")
    def open_flags(self, flag: Flag) -> int:
        return flag.open_flags or 0

    @admin.display(description="author")
    def item_author(self, flag: Flag) -> str:
        item = self.target_of(flag)
        if item is None or item.author is None:
            return "—"
        return item.author.username

    def targets_of(self, queryset) -> list[tuple[str, int]]:
        # A decision is about the item: several selected flags on one item act once.
        return sorted(set(queryset.order_by().values_list("target_type", "target_id")))


@admin.register(ModerationAction)
class ModerationActionAdmin(TargetColumnsMixin, ReadOnlyAdmin):
    """The audit log: who did what to which item and whose, and why."""

    list_display = [
        "created_at",
        "action",
        "done_by",
        "item_link",
        "target_user",
        "note",
    ]
    list_filter = ["action", "target_type", "created_at"]
    search_fields = ["note", "moderator__username", "target_user__username"]
    list_select_related = ["moderator", "target_user"]
    date_hierarchy = "created_at"
    fields = [
        "created_at",
        "action",
        "moderator",
        "target_type",
        "target_id",
        "item_link",
        "item_state",
        "item_excerpt",
        "target_user",
        "note",
    ]
    readonly_fields = fields

    @admin.display(description="by", ordering="moderator__username")
    def done_by(self, row: ModerationAction) -> str:
        return row.moderator.username if row.moderator else "automatic (flags)"
