"""Input and output serializers of the study groups API.

Input serializers check shapes and types only; the rules (lengths, seats, who may) live
in `community.services.groups*`. Output serializers read from their context: `user`,
`roles` ({group id: the user's role}) and `pending` ({group id: the user's pending
request or invitation}) for the groups shown.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from collaboration.api.serializers import DocumentRefField, DocumentRefSerializer, UserRefSerializer

from ..models import (
    GroupActivity,
    GroupActivityKind,
    GroupRole,
    JoinRequestKind,
    JoinRequestStatus,
    Meetup,
    ReadingListItem,
    StudyGroup,
    StudyGroupJoinRequest,
    StudyGroupMember,
)
from ..services import groups as rules
from ..services import groups_meetups as meetup_rules

TIME_HELP = (
    "ISO 8601. With an offset (`2026-12-10T19:00:00+01:00`, `…Z`) it is that instant; "
    "without one (`2026-12-10T19:00`) it is a wall-clock time in `timezone`."
)


# --- input ---------------------------------------------------------------------------------


class GroupCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=rules.NAME_MAX_CHARS * 2)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=rules.DESCRIPTION_MAX_CHARS * 2
    )
    topic_focus = serializers.CharField(
        max_length=rules.TOPIC_MAX_CHARS * 2,
        help_text="What the group studies, e.g. `transformers` (the list filters by it; "
        "questions tagged with it appear in the group's feed).",
    )
    max_members = serializers.IntegerField(
        required=False,
        default=20,
        min_value=rules.MIN_MEMBERS,
        max_value=rules.MAX_MEMBERS,
        help_text="Seats, the owner included.",
    )
    is_private = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Private: listed by name and topic, joined by request or invitation only.",
    )
    learning_goals = serializers.ListField(
        child=serializers.CharField(max_length=rules.GOAL_TITLE_MAX_CHARS * 2, allow_blank=True),
        required=False,
        default=list,
        max_length=rules.MAX_GOALS,
        help_text="The group's goals, one text each, in order.",
    )


class GroupUpdateInputSerializer(serializers.Serializer):
    """Only the fields given change."""

    name = serializers.CharField(required=False, max_length=rules.NAME_MAX_CHARS * 2)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=rules.DESCRIPTION_MAX_CHARS * 2
    )
    topic_focus = serializers.CharField(required=False, max_length=rules.TOPIC_MAX_CHARS * 2)
    max_members = serializers.IntegerField(
        required=False, min_value=rules.MIN_MEMBERS, max_value=rules.MAX_MEMBERS
    )
    is_private = serializers.BooleanField(required=False)


class GroupQuerySerializer(serializers.Serializer):
    topic = serializers.CharField(
        required=False, allow_blank=True, max_length=120, help_text="Only groups on this topic."
    )
    open_seats = serializers.BooleanField(
        required=False, default=False, help_text="`true`: only groups with a free seat."
    )
    member = serializers.ChoiceField(
        choices=["me"], required=False, allow_blank=True, help_text="`me`: only your groups."
    )
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Words in the name or topic."
    )


class JoinInputSerializer(serializers.Serializer):
    message = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=500,
        help_text="Private groups: a word to the owner with your request.",
    )


class MemberAddInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="Who to invite.")


class MemberRoleInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=GroupRole.choices,
        help_text="`owner` hands the group over (you become a moderator).",
    )


class ReadingListAddInputSerializer(serializers.Serializer):
    document_id = DocumentRefField(help_text="Id or slug of a document you can read.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ReadingListOrderInputSerializer(serializers.Serializer):
    item_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        max_length=500,
        help_text="Every entry's id, in the new order.",
    )


class GoalInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=rules.GOAL_TITLE_MAX_CHARS * 2)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=rules.GOAL_DESCRIPTION_MAX_CHARS
    )


class GoalUpdateInputSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, max_length=rules.GOAL_TITLE_MAX_CHARS * 2)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=rules.GOAL_DESCRIPTION_MAX_CHARS
    )
    position = serializers.IntegerField(required=False, min_value=0, max_value=10_000)


class MeetupInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=meetup_rules.TITLE_MAX_CHARS * 2)
    starts_at = serializers.CharField(max_length=64, help_text=TIME_HELP)
    ends_at = serializers.CharField(max_length=64, help_text=TIME_HELP)
    timezone = serializers.CharField(
        required=False,
        default="UTC",
        max_length=64,
        help_text="IANA zone of the organiser, e.g. `Europe/Berlin`: how naive times are "
        "read, and shown beside each reader's own time.",
    )
    agenda = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=meetup_rules.AGENDA_MAX_CHARS
    )
    location = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=meetup_rules.LOCATION_MAX_CHARS
    )


class MeetupUpdateInputSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, max_length=meetup_rules.TITLE_MAX_CHARS * 2)
    starts_at = serializers.CharField(required=False, max_length=64, help_text=TIME_HELP)
    ends_at = serializers.CharField(required=False, max_length=64, help_text=TIME_HELP)
    timezone = serializers.CharField(required=False, max_length=64)
    agenda = serializers.CharField(
        required=False, allow_blank=True, max_length=meetup_rules.AGENDA_MAX_CHARS
    )
    location = serializers.CharField(
        required=False, allow_blank=True, max_length=meetup_rules.LOCATION_MAX_CHARS
    )


# --- output --------------------------------------------------------------------------------


class GroupPendingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=JoinRequestKind.choices)


class GroupListSerializer(serializers.ModelSerializer):
    """What everyone sees of a group, private ones included (name, topic, seats)."""

    seats_left = serializers.SerializerMethodField()
    is_member = serializers.SerializerMethodField()
    role = serializers.SerializerMethodField()
    pending = serializers.SerializerMethodField(
        help_text="Your request to join or invitation waiting for an answer, if any."
    )
    description = serializers.SerializerMethodField(
        help_text="Null for a private group you are not in."
    )

    class Meta:
        model = StudyGroup
        fields = [
            "id", "name", "topic_focus", "description", "is_private", "member_count",
            "max_members", "seats_left", "is_member", "role", "pending", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def _role(self, group: StudyGroup) -> str | None:
        return self.context.get("roles", {}).get(group.pk)

    def get_seats_left(self, group: StudyGroup) -> int:
        return max(0, group.max_members - group.member_count)

    def get_is_member(self, group: StudyGroup) -> bool:
        return self._role(group) is not None

    @extend_schema_field(serializers.ChoiceField(choices=GroupRole.choices, allow_null=True))
    def get_role(self, group: StudyGroup) -> str | None:
        return self._role(group)

    @extend_schema_field(GroupPendingSerializer(allow_null=True))
    def get_pending(self, group: StudyGroup) -> dict[str, Any] | None:
        request = self.context.get("pending", {}).get(group.pk)
        return None if request is None else {"id": request.pk, "kind": request.kind}

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_description(self, group: StudyGroup) -> str | None:
        if group.is_private and self._role(group) is None and not self.context.get("details"):
            return None
        return group.description


class GroupGoalSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="goal.pk")
    title = serializers.CharField(source="goal.title")
    description = serializers.CharField(source="goal.description")
    position = serializers.IntegerField(source="goal.position")
    done_count = serializers.IntegerField(help_text="Members who ticked it.")
    member_count = serializers.IntegerField()
    percent = serializers.IntegerField()
    done_by_me = serializers.BooleanField()


class GroupDetailSerializer(GroupListSerializer):
    owner = UserRefSerializer(read_only=True)
    room_id = serializers.IntegerField(allow_null=True, help_text="The group's chat room.")
    goals = serializers.SerializerMethodField()

    class Meta(GroupListSerializer.Meta):
        fields = [
            *GroupListSerializer.Meta.fields, "owner", "room_id", "goals", "updated_at",
            "archived_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(GroupGoalSerializer(many=True))
    def get_goals(self, group: StudyGroup) -> list[dict[str, Any]]:
        return GroupGoalSerializer(self.context.get("goals", []), many=True).data


class GroupMemberSerializer(serializers.ModelSerializer):
    user = UserRefSerializer(read_only=True)

    class Meta:
        model = StudyGroupMember
        fields = ["user", "role", "joined_at"]
        read_only_fields = fields


class GroupJoinRequestSerializer(serializers.ModelSerializer):
    user = UserRefSerializer(read_only=True)
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=JoinRequestStatus.choices, read_only=True)

    class Meta:
        model = StudyGroupJoinRequest
        fields = ["id", "kind", "status", "user", "message", "created_by", "created_at"]
        read_only_fields = fields


class GroupJoinResultSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["joined", "requested", "invited"],
        help_text="`joined`: a member now; `requested`: waiting for the owner or a "
        "moderator; `invited`: the invitation waits for the person's answer.",
    )
    member = GroupMemberSerializer(allow_null=True)
    request = GroupJoinRequestSerializer(allow_null=True)


class ReadingListItemSerializer(serializers.ModelSerializer):
    document = DocumentRefSerializer(read_only=True)
    added_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ReadingListItem
        fields = ["id", "document", "note", "position", "added_by", "added_at"]
        read_only_fields = fields


class GroupMeetupSerializer(serializers.ModelSerializer):
    starts_at = serializers.DateTimeField(read_only=True, help_text="UTC.")
    ends_at = serializers.DateTimeField(read_only=True, help_text="UTC.")
    local_starts_at = serializers.SerializerMethodField(
        help_text="The start in the organiser's `timezone`, with its offset."
    )
    created_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Meetup
        fields = [
            "id", "title", "agenda", "location", "starts_at", "ends_at", "timezone",
            "local_starts_at", "created_by", "created_at", "cancelled_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_local_starts_at(self, meetup: Meetup) -> str:
        return meetup.starts_at.astimezone(ZoneInfo(meetup.timezone)).isoformat()


class GroupActivitySerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=GroupActivityKind.choices, read_only=True)
    text = serializers.SerializerMethodField(help_text="What happened, for people.")
    actor = UserRefSerializer(read_only=True, allow_null=True)
    document = DocumentRefSerializer(read_only=True, allow_null=True)
    question_id = serializers.IntegerField(read_only=True, allow_null=True)
    goal_id = serializers.IntegerField(read_only=True, allow_null=True)
    meetup_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = GroupActivity
        fields = [
            "id", "kind", "text", "actor", "document", "question_id", "goal_id", "meetup_id",
            "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_text(self, entry: GroupActivity) -> str:
        return activity_text(entry)


def activity_text(entry: GroupActivity) -> str:
    """'lena finished a goal: “Derive the Bellman equation”' and the like."""
    who = entry.actor.username if entry.actor else "Someone"
    what = entry.get_kind_display()
    detail = ""
    if entry.goal_id and entry.goal:
        detail = entry.goal.title
    elif entry.question_id and entry.question:
        detail = entry.question.title
    elif entry.meetup_id and entry.meetup:
        detail = entry.meetup.title
    elif entry.document_id and entry.document:
        detail = entry.document.title
    return f"{who} {what}: “{detail}”" if detail else f"{who} {what}"
