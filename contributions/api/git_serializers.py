"""Serializers of the Git API: releases, imports."""

from __future__ import annotations

import base64
import binascii

from rest_framework import serializers

from collaboration.models import Visibility

from ..models import Release


class ReleaseSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(
        source="created_by.username", default=None, allow_null=True, read_only=True
    )
    annotated = serializers.SerializerMethodField(
        help_text="True when the tag carries a message (an annotated tag)."
    )

    class Meta:
        model = Release
        fields = [
            "name",
            "message",
            "commit_sha",
            "revision",
            "annotated",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_annotated(self, release: Release) -> bool:
        return bool(release.message)


class ReleaseCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="The tag's name, e.g. v1.0.")
    message = serializers.CharField(
        max_length=5000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Release notes: with them the tag is annotated, without it is lightweight.",
    )


class ExportQuerySerializer(serializers.Serializer):
    revision = serializers.IntegerField(
        min_value=0,
        max_value=2_000_000_000,
        required=False,
        help_text="The revision to export (default: the current text).",
    )


class ImportInputSerializer(serializers.Serializer):
    """JSON like the rest of the API (no multipart): the file travels base64-encoded."""

    filename = serializers.CharField(
        max_length=255, help_text="The file's name: *.md, *.markdown, *.txt or *.zip."
    )
    content_base64 = serializers.CharField(
        help_text="The file, base64-encoded: a Markdown file, or a zip of Markdown files or of "
        "a Git repository.",
        trim_whitespace=True,
    )
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.PRIVATE)

    def validate_content_base64(self, value: str) -> bytes:
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError("This is not valid base64.") from None


class ImportedDocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    revision = serializers.IntegerField(help_text="Revisions the import created (its history).")
    url = serializers.CharField(source="get_absolute_url")


class ImportResultSerializer(serializers.Serializer):
    documents = ImportedDocumentSerializer(many=True)
