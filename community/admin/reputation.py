"""Votes, the reputation ledger and badge awards in the admin: read-only.

Votes, ledger lines and awards are written only by their services, in the transaction of
their cause, so `User.reputation` always equals the start value plus the ledger; an edit
here would break that. To correct reputation, reverse or grant through
`community.services.reputation` (a new ledger line), never by changing a row.
"""

from __future__ import annotations

from django.contrib import admin

from ..models import BadgeAward, ReputationEvent, Vote
from .common import ReadOnlyAdmin


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    list_display = ["user", "value", "target_type", "target_id", "created_at", "updated_at"]
    list_filter = ["value", "target_type", "created_at"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # votes are the biggest community table


@admin.register(ReputationEvent)
class ReputationEventAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "user",
        "amount",
        "reason",
        "target_type",
        "target_id",
        "actor",
        "source",
        "capped",
        "reverses",
    ]
    list_filter = ["reason", "capped", "target_type", "created_at"]
    search_fields = ["user__username", "source", "actor__username"]
    list_select_related = ["user", "actor", "reverses"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(BadgeAward)
class BadgeAwardAdmin(ReadOnlyAdmin):
    list_display = ["awarded_at", "user", "badge", "level", "target_type", "target_id"]
    list_filter = ["level", "badge", "awarded_at"]
    search_fields = ["user__username", "badge"]
    list_select_related = ["user"]
    date_hierarchy = "awarded_at"
