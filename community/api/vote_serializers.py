"""Input and output of the vote endpoints."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ..models import TargetType

VOTE_CHOICES = [(1, "up"), (-1, "down"), (0, "none")]


class VoteValueField(serializers.ChoiceField):
    """1, -1 or 0 as a JSON number (no "1", no true)."""

    default_error_messages = {
        "invalid_choice": "A vote is 1 (up), -1 (down) or 0 (take your vote back)."
    }

    def __init__(self, **kwargs: Any):
        super().__init__(VOTE_CHOICES, **kwargs)

    def to_internal_value(self, data: Any) -> int:
        if type(data) is not int:
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class VoteInputSerializer(serializers.Serializer):
    value = VoteValueField(help_text="1 up-votes, -1 down-votes, 0 takes your vote back.")


class VoteResultSerializer(serializers.Serializer):
    target_type = serializers.ChoiceField(choices=TargetType.choices, read_only=True)
    target_id = serializers.IntegerField(read_only=True)
    score = serializers.IntegerField(read_only=True, help_text="Up-votes minus down-votes, now.")
    my_vote = serializers.IntegerField(
        read_only=True, min_value=-1, max_value=1, help_text="Your vote now: 1, -1, or 0 (none)."
    )
