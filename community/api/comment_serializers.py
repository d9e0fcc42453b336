"""Serializers of the comments API.

Input serializers check shapes and types only; the rules (lengths, ranges, who may)
live in community.services.comments. Output serializers describe the representations
that community.selectors.comments builds (the same dicts go out in live frames), so the
schema documents both.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from collaboration.api.serializers import StrictIntegerField, UserRefSerializer

from ..models import CommentStatus, CommentType
from ..services.comments import CONTENT_MAX_CHARS

# --- input -----------------------------------------------------------------------------------


class CommentContentInputSerializer(serializers.Serializer):
    content = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text=f"Markdown, 1 to {CONTENT_MAX_CHARS:,} characters once trimmed.",
    )


class CommentRangeInputSerializer(serializers.Serializer):
    start = StrictIntegerField(min_value=0, help_text="First code point of the passage.")
    end = StrictIntegerField(min_value=0, help_text="Code point after the passage's last one.")


class CommentCreateInputSerializer(CommentContentInputSerializer):
    comment_type = serializers.ChoiceField(
        choices=CommentType.choices,
        required=False,
        help_text="Default: inline when a range or position is given, general otherwise.",
    )
    range = CommentRangeInputSerializer(
        required=False,
        allow_null=True,
        help_text="Inline comments: the passage, in code points of the text at `revision`.",
    )
    start = StrictIntegerField(
        min_value=0, required=False, allow_null=True, help_text="Same as range.start."
    )
    end = StrictIntegerField(
        min_value=0, required=False, allow_null=True, help_text="Same as range.end."
    )
    position = StrictIntegerField(
        min_value=0,
        required=False,
        allow_null=True,
        help_text="Without a range: an inline comment anchored at this point.",
    )
    line_number = StrictIntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text="General comments: the line it is about (inline ones answer their own).",
    )
    revision = StrictIntegerField(
        min_value=0,
        required=False,
        allow_null=True,
        help_text="The revision whose text the range counts in (default: the current one).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        passage = attrs.pop("range", None)
        if passage is not None:
            if attrs.get("start") is not None or attrs.get("end") is not None:
                raise serializers.ValidationError(
                    {"range": ["Give the range either as range {start, end} or as start and end."]}
                )
            attrs["start"], attrs["end"] = passage["start"], passage["end"]
        return attrs


class ThreadFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[*CommentStatus.values, "all"], required=False, default="all"
    )
    comment_type = serializers.ChoiceField(choices=CommentType.values, required=False)


# --- output ----------------------------------------------------------------------------------


class AnchorSerializer(serializers.Serializer):
    start = serializers.IntegerField(
        allow_null=True, help_text="In the current text; null once outdated."
    )
    end = serializers.IntegerField(allow_null=True, help_text="In the current text.")
    revision = serializers.IntegerField(help_text="The revision start and end count in.")
    text = serializers.CharField(help_text="The text the range covers now.")
    quote = serializers.CharField(help_text="The text it covered when the comment was made.")
    outdated = serializers.BooleanField(
        help_text="The passage was deleted; the comment keeps its quote."
    )


class CommentCanSerializer(serializers.Serializer):
    """What the person asking may do (which buttons to show)."""

    edit = serializers.BooleanField()
    delete = serializers.BooleanField()
    resolve = serializers.BooleanField(help_text="Resolve or reopen (thread roots only).")
    reply = serializers.BooleanField()


class CommentSerializer(serializers.Serializer):
    """One comment. Deleted comments and, for people who may not see them, hidden ones
    come with empty content and no author."""

    id = serializers.IntegerField()
    document_id = serializers.IntegerField()
    thread_id = serializers.IntegerField(help_text="The id of the thread's first comment.")
    parent_id = serializers.IntegerField(allow_null=True)
    author = UserRefSerializer(allow_null=True)
    content = serializers.CharField(help_text="Markdown.")
    content_html = serializers.CharField(help_text="Sanitised HTML.")
    comment_type = serializers.ChoiceField(choices=CommentType.choices)
    position = serializers.IntegerField(
        allow_null=True, help_text="Inline threads: where the passage starts now."
    )
    line_number = serializers.IntegerField(
        allow_null=True, help_text="Inline threads: the line the passage starts on now."
    )
    anchor = AnchorSerializer(allow_null=True, help_text="Inline thread roots only.")
    status = serializers.ChoiceField(choices=CommentStatus.choices)
    resolved_by = UserRefSerializer(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    score = serializers.IntegerField()
    is_deleted = serializers.BooleanField()
    is_hidden = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    can = CommentCanSerializer()


class ThreadSerializer(CommentSerializer):
    """A thread's first comment with its replies, oldest first."""

    replies = CommentSerializer(many=True)


class CommentDetailSerializer(CommentSerializer):
    replies = CommentSerializer(
        many=True, required=False, help_text="Thread roots only: the replies, oldest first."
    )


class CommentRevisionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    content = serializers.CharField(help_text="The wording before this edit.")
    content_html = serializers.CharField()
    edited_by = UserRefSerializer(allow_null=True, help_text="Who replaced it.")
    created_at = serializers.DateTimeField(help_text="When it was replaced.")
