"""Shapes of the rooms API (collaboration/api/rooms.py). Messages are answered as the
socket's `room_message` frames are, so a chat widget draws both the same way."""

from __future__ import annotations

from rest_framework import serializers

from ..models import ChatMessage
from ..services.chat import MAX_CHAT_CHARS
from .serializers import UserRefSerializer


class RoomSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField(help_text="What the room belongs to: study_group, ama, ...")
    is_public = serializers.BooleanField(help_text="Read by everyone signed in.")
    archived = serializers.BooleanField(help_text="Closed: readable, nobody posts any more.")
    topic = serializers.CharField(help_text='The socket topic, "room:<id>".')
    can_post = serializers.BooleanField()
    can_moderate = serializers.BooleanField(help_text="You may delete anyone's messages.")
    last_message_id = serializers.IntegerField(
        help_text="The newest id of the room's log (messages, edits, deletions, events): "
        "subscribe with it as `since` to get everything after this answer."
    )


class RoomMessageSerializer(serializers.Serializer):
    type = serializers.CharField(help_text='Always "room_message" (as on the socket).')
    id = serializers.IntegerField()
    room = serializers.IntegerField()
    user = UserRefSerializer(allow_null=True, help_text="The author (null: account deleted).")
    message = serializers.CharField(help_text="The text now; empty once deleted.")
    message_type = serializers.ChoiceField(choices=ChatMessage.MessageType.choices)
    html = serializers.CharField(
        help_text="The text rendered from Markdown and sanitised (no raw HTML, no scripts, "
        'links rel="noopener nofollow"); empty once deleted.'
    )
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    deleted = serializers.BooleanField(help_text="Deleted: shown as a placeholder.")


class RoomMessagePageSerializer(serializers.Serializer):
    results = RoomMessageSerializer(many=True, help_text="Oldest first within the page.")
    has_more = serializers.BooleanField(
        help_text="More messages on the side read from: older ones (default and ?before=), "
        "newer ones (?after=)."
    )
    before = serializers.IntegerField(
        allow_null=True, help_text="The oldest id in this page: ?before= it for older ones."
    )
    after = serializers.IntegerField(
        allow_null=True, help_text="The newest id in this page: ?after= it for newer ones."
    )


class RoomMessageInputSerializer(serializers.Serializer):
    # The service decides what is valid (as on the socket): text, not blank, not too long.
    message = serializers.CharField(
        trim_whitespace=False,
        allow_blank=True,
        help_text=f"Markdown, at most {MAX_CHAT_CHARS} characters.",
    )
    message_type = serializers.ChoiceField(
        choices=ChatMessage.MessageType.choices, default=ChatMessage.MessageType.TEXT
    )


class RoomMessageEditSerializer(serializers.Serializer):
    message = serializers.CharField(
        trim_whitespace=False,
        allow_blank=True,
        help_text=f"The new text: Markdown, at most {MAX_CHAT_CHARS} characters.",
    )
    message_type = serializers.ChoiceField(
        choices=ChatMessage.MessageType.choices,
        required=False,
        help_text="Left out: the message keeps its type.",
    )
