"""Request and response bodies of flags and moderation (see community/api/flags.py)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from collaboration.api.serializers import UserRefSerializer

from ..models import (
    Answer,
    Comment,
    Flag,
    FlagReason,
    FlagStatus,
    ModerationAction,
    ModerationActionKind,
    Question,
    TargetType,
)
from ..selectors import moderation as selectors
from ..services import moderation as services

# --- flags ------------------------------------------------------------------------------------


class FlagCreateInputSerializer(serializers.Serializer):
    target_type = serializers.ChoiceField(choices=TargetType.choices)
    target_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    reason = serializers.ChoiceField(choices=FlagReason.choices)
    text = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=services.MAX_FLAG_TEXT,
        default="",
        help_text="What is wrong, in the flagger's words; required when the reason is `other`.",
    )


class FlagSerializer(serializers.ModelSerializer):
    """A flag as the person who raised it sees it."""

    class Meta:
        model = Flag
        fields = ["id", "target_type", "target_id", "reason", "text", "status", "created_at"]
        read_only_fields = fields


class FlagDetailSerializer(serializers.ModelSerializer):
    """A flag as moderators see it in the queue."""

    flagger = UserRefSerializer()
    handled_by = UserRefSerializer(allow_null=True)

    class Meta:
        model = Flag
        fields = [
            "id",
            "flagger",
            "reason",
            "text",
            "status",
            "created_at",
            "handled_at",
            "handled_by",
        ]
        read_only_fields = fields


class TargetSerializer(serializers.Serializer):
    """The flagged or moderated item, as moderators see it (whatever its state)."""

    type = serializers.SerializerMethodField()
    id = serializers.IntegerField()
    title = serializers.SerializerMethodField(
        help_text="What people call it, e.g. `answer to “…”`."
    )
    content = serializers.CharField(help_text="Its Markdown.")
    author = UserRefSerializer(allow_null=True)
    question_id = serializers.SerializerMethodField(help_text="Answers: their question.")
    document_id = serializers.SerializerMethodField(
        help_text="Comments: their document; questions: the document they are about."
    )
    is_hidden = serializers.BooleanField()
    hidden_reason = serializers.CharField()
    is_deleted = serializers.BooleanField()
    is_locked = serializers.BooleanField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ChoiceField(choices=TargetType.choices))
    def get_type(self, item) -> str:
        return selectors.target_key(item)[0]

    def get_title(self, item) -> str:
        return selectors.target_title(item)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_question_id(self, item) -> int | None:
        return item.question_id if isinstance(item, Answer) else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_document_id(self, item) -> int | None:
        if isinstance(item, Comment | Question):
            return item.document_id
        return None


class FlagGroupSerializer(serializers.Serializer):
    """One flagged item with its flags: a line of the moderation queue."""

    target_type = serializers.ChoiceField(choices=TargetType.choices)
    target_id = serializers.IntegerField()
    target = TargetSerializer(allow_null=True, help_text="Null when the item no longer exists.")
    count = serializers.IntegerField(help_text="How many flags (of the status asked for).")
    flags = FlagDetailSerializer(many=True)


class FlagQueueFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[*FlagStatus.choices, ("all", "All")],
        default=FlagStatus.OPEN,
        required=False,
        help_text="Which flags: open (the default) waits for a moderator.",
    )


# --- moderator actions and the audit log ------------------------------------------------------


class ModerationActionInputSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=list(services.ACTIONS),
        help_text="dismiss (the flags), hide, unhide, delete, restore, lock, unlock, warn "
        "(the author), suspend (the author).",
    )
    target_type = serializers.ChoiceField(choices=TargetType.choices)
    target_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=services.MAX_NOTE,
        help_text="Why. Required for warn and suspend: the author reads it (a suspension "
        "reason is at most 500 characters).",
    )
    days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=services.MAX_SUSPENSION_DAYS,
        help_text=f"suspend only: how long (default {services.DEFAULT_SUSPENSION_DAYS}).",
    )


class ModerationActionSerializer(serializers.ModelSerializer):
    """A line of the audit log. `moderator` null: done automatically (spam flags)."""

    moderator = UserRefSerializer(allow_null=True)
    target_user = UserRefSerializer(allow_null=True)

    class Meta:
        model = ModerationAction
        fields = [
            "id",
            "action",
            "moderator",
            "target_type",
            "target_id",
            "target_user",
            "note",
            "created_at",
        ]
        read_only_fields = fields


class ModerationDecisionSerializer(serializers.Serializer):
    action = ModerationActionSerializer(help_text="The audit row written.")
    target = TargetSerializer(
        source="item",
        allow_null=True,
        help_text="The item as it is now (null: it no longer exists; its flags were dismissed).",
    )


class ModerationLogFilterSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=ModerationActionKind.choices, required=False)
    target_type = serializers.ChoiceField(choices=TargetType.choices, required=False)
    target_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    target_user = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, help_text="The author acted upon."
    )
    moderator = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
