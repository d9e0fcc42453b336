"""Pieces the community admins share: read-only bases, and lists whose rows point at an
item by (target_type, target_id) with those items loaded once per page."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.utils.html import format_html

from ..models import HiddenReason
from ..selectors import moderation as selectors
from .actions import item_admin_url


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services (votes, the reputation ledger, badges, the audit log,
    revisions): the admin shows them and never adds, changes or deletes one, so the
    ledger and the log stay append-only and agree with what they record."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyWithActions(admin.ModelAdmin):
    """Read-only rows with admin actions: the change permission is kept for the list only,
    because actions need it; the detail page is view-only."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False  # soft delete through the "Delete" action, which is logged


class TargetsChangeList(ChangeList):
    """Loads the items the page's rows point at, one query per kind, into `row.target`."""

    def get_results(self, request):
        super().get_results(request)
        rows = list(self.result_list)  # evaluates (and caches) the page's queryset
        targets = selectors.targets_by_key((row.target_type, row.target_id) for row in rows)
        for row in rows:
            row.target = targets.get((row.target_type, row.target_id))


class TargetColumnsMixin:
    """Columns describing the item a row points at (flags, the audit log)."""

    def get_changelist(self, request, **kwargs):
        return TargetsChangeList

    @staticmethod
    def target_of(row):
        """The row's item: loaded with the page on lists, looked up on a detail page."""
        if not hasattr(row, "target"):
            row.target = selectors.target_get(target_type=row.target_type, target_id=row.target_id)
        return row.target

    @admin.display(description="item")
    def item_link(self, row):
        item = self.target_of(row)
        if item is None:
            return f"{row.target_type} {row.target_id} (gone)" if row.target_type else "—"
        return format_html(
            '<a href="{}">{}</a>', item_admin_url(item), selectors.target_title(item)
        )

    @admin.display(description="text")
    def item_excerpt(self, row):
        item = self.target_of(row)
        return selectors.target_excerpt(item) if item is not None else ""

    @admin.display(description="item state")
    def item_state(self, row):
        item = self.target_of(row)
        if item is None:
            return ""
        return post_state(item)


HIDDEN_BY = {
    HiddenReason.SPAM_FLAGS: "hidden by spam flags",
    HiddenReason.MODERATOR: "hidden by a moderator",
}


def post_state(item) -> str:
    """ "deleted, hidden (spam flags), locked", or "visible"."""
    states = []
    if item.is_deleted:
        states.append("deleted")
    if item.is_hidden:
        states.append(HIDDEN_BY.get(item.hidden_reason, "hidden"))
    if item.is_locked:
        states.append("locked")
    return ", ".join(states) or "visible"
