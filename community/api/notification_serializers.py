"""Serializers of the notifications API: the inbox, preferences and watches.

A notification is represented exactly as its live `notification` frame on the user's
topic (docs/realtime-protocol.md), so a page renders both the same way.
"""

from __future__ import annotations

from rest_framework import serializers

from collaboration.api.serializers import UserRefSerializer

from ..models import Delivery, Notification, NotificationKind, WatchLevel, WatchTarget


class NotificationSerializer(serializers.ModelSerializer):
    actor = UserRefSerializer(read_only=True, allow_null=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "actor", "created_at", "read"]
        read_only_fields = fields

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class NotificationPageSerializer(serializers.Serializer):
    """The list's page: DRF's pagination plus the unread count."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    unread_count = serializers.IntegerField(help_text="All your unread notifications.")
    results = NotificationSerializer(many=True)


class NotificationQuerySerializer(serializers.Serializer):
    unread = serializers.BooleanField(
        required=False, default=False, help_text="Only unread notifications."
    )
    kind = serializers.ChoiceField(
        choices=NotificationKind.choices, required=False, help_text="Only this kind."
    )


class ReadAllInputSerializer(serializers.Serializer):
    before_id = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Mark only notifications up to this id (the newest the page showed).",
    )


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were marked read now.")
    unread_count = serializers.IntegerField()


class ReadSerializer(serializers.Serializer):
    notification = NotificationSerializer()
    unread_count = serializers.IntegerField()


class PreferenceSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=NotificationKind.choices)
    label = serializers.CharField()
    delivery = serializers.ChoiceField(choices=Delivery.choices)
    default = serializers.ChoiceField(choices=Delivery.choices)


class PreferencesInputSerializer(serializers.Serializer):
    """A partial map {kind: delivery}, e.g. {"badge": "email", "mention": "digest"}."""

    deliveries = serializers.DictField(
        child=serializers.CharField(),
        help_text="kind → live | email | digest; kinds left out keep their delivery.",
    )


class WatchSerializer(serializers.Serializer):
    target_type = serializers.ChoiceField(choices=WatchTarget.choices)
    target_id = serializers.IntegerField(help_text="The document's, tag's or question's id.")
    tag = serializers.CharField(allow_null=True, help_text="The tag's slug (tags only).")
    title = serializers.CharField()
    url = serializers.CharField()
    level = serializers.ChoiceField(choices=WatchLevel.choices)
    unread = serializers.IntegerField(
        allow_null=True, help_text="New activity since you last looked (tracking, watching)."
    )


class WatchInputSerializer(serializers.Serializer):
    target_type = serializers.ChoiceField(choices=WatchTarget.choices)
    target_id = serializers.IntegerField(
        required=False, min_value=1, help_text="The document's or question's id (or a tag's)."
    )
    tag = serializers.CharField(required=False, max_length=50, help_text="A tag's slug.")
    level = serializers.ChoiceField(choices=WatchLevel.choices)

    def validate(self, attrs):
        if attrs["target_type"] == WatchTarget.TAG:
            if not attrs.get("tag") and not attrs.get("target_id"):
                raise serializers.ValidationError({"tag": ["Name the tag by its slug."]})
        elif not attrs.get("target_id"):
            raise serializers.ValidationError({"target_id": ["Give the id of what to watch."]})
        return attrs


class WatchQuerySerializer(WatchInputSerializer):
    """DELETE's query: what to stop watching."""

    level = None
