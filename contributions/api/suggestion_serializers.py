"""Serializers of the suggestions API: the input shape (checked again by the service, which
owns the rules) and a suggestion as every reader of the document sees it (the same dict the
live notices carry: `suggestions.summary`)."""

from __future__ import annotations

from rest_framework import serializers

from ..models import SuggestionState
from ..proposals import suggestions


class SuggestionCreateSerializer(serializers.Serializer):
    start = serializers.IntegerField(
        min_value=0, help_text="Where the replaced passage starts (code points)."
    )
    end = serializers.IntegerField(
        min_value=0, help_text="Where it ends (= start to suggest an insertion)."
    )
    text = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        max_length=suggestions.TEXT_MAX,
        help_text="The text suggested in its place (empty to suggest deleting it).",
    )
    revision = serializers.IntegerField(
        min_value=0, help_text="The revision of the text the range is in."
    )
    replaces = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="One of your pending suggestions: it becomes this range and text instead "
        "(an empty change withdraws it).",
    )


class SuggestionFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=list(suggestions.STATE_FILTERS), required=False, default="pending"
    )


class _ProposalRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    state = serializers.CharField()
    url = serializers.CharField()


class _AuthorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class SuggestionSerializer(serializers.Serializer):
    """Fields as documented in the schema; the values come from `suggestions.summary`."""

    id = serializers.IntegerField()
    document_id = serializers.IntegerField()
    proposal = _ProposalRefSerializer()
    author = _AuthorSerializer()
    start = serializers.IntegerField(help_text="Code points, in the text of `revision`.")
    end = serializers.IntegerField()
    revision = serializers.IntegerField()
    original = serializers.CharField(allow_blank=True, help_text="The text it replaces.")
    text = serializers.CharField(allow_blank=True, help_text="The text suggested in its place.")
    state = serializers.ChoiceField(choices=SuggestionState.values)
    created_at = serializers.DateTimeField()
    decided_by = serializers.CharField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    merged_revision = serializers.IntegerField(
        allow_null=True, help_text="The revision an accepted suggestion became."
    )

    def to_representation(self, instance):
        return suggestions.summary(instance)


class DecidedSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    outdated = serializers.IntegerField(
        help_text="Suggestions whose passage was edited meanwhile: marked outdated."
    )
