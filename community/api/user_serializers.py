"""Output of the people endpoints: reputation ledger, badges, privileges.

Lines and awards about an item the reader may not see (a question on a private document,
a deleted answer) keep their amount and reason, so the figures add up, but say nothing of
the item: `target_id`, `target_url` and `target_title` are null. The views pass the
visible items in the context as `links` (`community.selectors.targets.target_links`).
"""

from __future__ import annotations

from rest_framework import serializers

from ..badges import BY_SLUG
from ..models import BadgeLevel, ReputationReason


class _TargetMixin:
    """The methods behind the target_type / target_id / target_url / target_title fields
    of a line or award (declared in each serializer, after its own fields)."""

    def _link(self, obj):
        return self.context["links"].get((obj.target_type, obj.target_id))

    def get_target_type(self, obj) -> str | None:
        return obj.target_type or None

    def get_target_id(self, obj) -> int | None:
        return obj.target_id if self._link(obj) else None

    def get_target_url(self, obj) -> str | None:
        link = self._link(obj)
        return link.url if link else None

    def get_target_title(self, obj) -> str | None:
        link = self._link(obj)
        return link.title if link else None


class ReputationLineSerializer(_TargetMixin, serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    amount = serializers.IntegerField(read_only=True)
    reason = serializers.ChoiceField(choices=ReputationReason.choices, read_only=True)
    reason_display = serializers.CharField(source="get_reason_display", read_only=True)
    target_type = serializers.SerializerMethodField()
    target_id = serializers.SerializerMethodField()
    target_url = serializers.SerializerMethodField()
    target_title = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    capped = serializers.BooleanField(
        read_only=True,
        help_text="Counts towards the daily limit of reputation from votes (an amount of 0 "
        "means the limit was reached).",
    )
    reversed = serializers.BooleanField(
        source="is_reversed", read_only=True, help_text="Undone by a later line."
    )
    reverses = serializers.IntegerField(
        source="reverses_id",
        read_only=True,
        allow_null=True,
        help_text="The line this one undoes (a retracted vote or accept), or null.",
    )


class BadgeAwardSerializer(_TargetMixin, serializers.Serializer):
    badge = serializers.CharField(read_only=True, help_text="The badge's slug.")
    name = serializers.SerializerMethodField()
    level = serializers.ChoiceField(choices=BadgeLevel.choices, read_only=True)
    description = serializers.SerializerMethodField()
    target_type = serializers.SerializerMethodField()
    target_id = serializers.SerializerMethodField()
    target_url = serializers.SerializerMethodField()
    target_title = serializers.SerializerMethodField()
    awarded_at = serializers.DateTimeField(read_only=True)

    def get_name(self, obj) -> str:
        badge = BY_SLUG.get(obj.badge)
        return badge.name if badge else obj.badge

    def get_description(self, obj) -> str:
        badge = BY_SLUG.get(obj.badge)
        return badge.description if badge else ""

    def get_target_type(self, obj) -> str | None:
        return obj.target_type if obj.target_id else None


class BadgeCountsSerializer(serializers.Serializer):
    gold = serializers.IntegerField()
    silver = serializers.IntegerField()
    bronze = serializers.IntegerField()


class PrivilegeSerializer(serializers.Serializer):
    granted = serializers.BooleanField()
    threshold = serializers.IntegerField(help_text="Reputation it takes (0: every member).")
    description = serializers.CharField(help_text="What it lets you do.")


class PrivilegesSerializer(serializers.Serializer):
    username = serializers.CharField()
    reputation = serializers.IntegerField()
    privileges = serializers.DictField(
        child=PrivilegeSerializer(),
        help_text="By name (ask, answer, comment, upvote, flag, downvote, edit_others, close). "
        "Experts and moderators hold every one whatever their reputation.",
    )
