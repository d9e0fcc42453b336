"""Input and output serializers of the collaboration API.

Input serializers only check shapes and types; the rules (who may, size limits, unique
slugs) live in services. Output serializers are read-only.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import ApiErrorBodySerializer

from ..models import (
    ChatMessage,
    CollaborationSession,
    Document,
    DocumentMember,
    EditPolicy,
    MemberRole,
    Operation,
    Tag,
    Visibility,
)
from ..services.edits import MAX_CLIENT_OP_ID_CHARS
from ..services.sessions import MAX_PARTICIPANTS_LIMIT

# --- shared pieces -----------------------------------------------------------------------------


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)


class OperationErrorBodySerializer(ApiErrorBodySerializer):
    client_op_id = serializers.CharField(
        required=False, help_text="Edits only: the client_op_id of the refused edit."
    )


class OperationErrorSerializer(serializers.Serializer):
    """The one error shape, plus the refused edit's client_op_id."""

    error = OperationErrorBodySerializer()


class StrictIntegerField(serializers.IntegerField):
    """An integer that must arrive as a JSON number: no "5", no true, no 5.0."""

    def to_internal_value(self, data: Any) -> int:
        if type(data) is not int:
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.STR)
class DocumentRefField(serializers.Field):
    """A document named by its numeric id (number or string) or its slug."""

    default_error_messages = {"invalid": "Give a document id or slug."}

    def to_internal_value(self, data: Any) -> str:
        if type(data) is int and data > 0:
            return str(data)
        if isinstance(data, str) and data.strip() and len(data) <= 220:
            return data.strip()
        self.fail("invalid")

    def to_representation(self, value: Any) -> str:
        return str(value)


# --- documents ---------------------------------------------------------------------------------


class TagSlugListField(serializers.ListField):
    child = serializers.CharField(max_length=50)

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)


class DocumentCreateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    content = serializers.CharField(
        required=False, default="", allow_blank=True, trim_whitespace=False
    )
    tags = TagSlugListField(
        required=False,
        default=list,
        help_text="Tag slugs (a-z, 0-9 and '-'); unknown ones are created.",
    )
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.PUBLIC)
    edit_policy = serializers.ChoiceField(choices=EditPolicy.choices, default=EditPolicy.OPEN)


class DocumentUpdateInputSerializer(serializers.Serializer):
    """Metadata only: the text changes through operations."""

    title = serializers.CharField(max_length=200, required=False)
    tags = TagSlugListField(required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    edit_policy = serializers.ChoiceField(choices=EditPolicy.choices, required=False)


class TagSerializer(serializers.ModelSerializer):
    document_count = serializers.IntegerField(
        read_only=True, help_text="Documents with this tag that you can read."
    )

    class Meta:
        model = Tag
        fields = ["slug", "name", "description", "document_count"]
        read_only_fields = fields


class DocumentListSerializer(serializers.ModelSerializer):
    owner = UserRefSerializer(read_only=True)
    tags = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "slug",
            "title",
            "owner",
            "tags",
            "visibility",
            "edit_policy",
            "revision",
            "created_at",
            "updated_at",
            "last_edited_at",
        ]
        read_only_fields = fields


class DocumentDetailSerializer(DocumentListSerializer):
    last_edited_by = UserRefSerializer(read_only=True, allow_null=True)
    content = serializers.CharField(read_only=True, help_text="The text at `revision` (Markdown).")
    html = serializers.SerializerMethodField(help_text="The content rendered and sanitised.")
    can_edit = serializers.SerializerMethodField()
    can_manage = serializers.SerializerMethodField()
    branch_of = serializers.SerializerMethodField(
        help_text="For a proposal's branch, the document it was made from ({id, slug}); "
        "null for documents."
    )

    class Meta(DocumentListSerializer.Meta):
        fields = [
            *DocumentListSerializer.Meta.fields,
            "branch_of",
            "last_edited_by",
            "content",
            "html",
            "can_edit",
            "can_manage",
        ]
        read_only_fields = fields

    def get_html(self, document: Document) -> str:
        return self.context["html"]

    def get_can_edit(self, document: Document) -> bool:
        return self.context["access"].can_edit

    def get_can_manage(self, document: Document) -> bool:
        return self.context["access"].can_manage

    def get_branch_of(self, document: Document) -> dict | None:
        if document.branch_of_id is None:
            return None
        parent = Document.objects.only("pk", "slug").get(pk=document.branch_of_id)
        return {"id": parent.pk, "slug": parent.slug}


# --- members -----------------------------------------------------------------------------------


class MemberInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=MemberRole.choices, default=MemberRole.EDITOR)


class MemberSerializer(serializers.ModelSerializer):
    user = UserRefSerializer(read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = DocumentMember
        fields = ["username", "user", "role", "added_at"]
        read_only_fields = fields


# --- operations --------------------------------------------------------------------------------


class OperationInputSerializer(serializers.Serializer):
    """One edit, in list form (`ops`) or a simple form (top level or nested in `edit`)."""

    revision = StrictIntegerField(min_value=0, help_text="The revision the edit was made on.")
    client_op_id = serializers.CharField(
        max_length=MAX_CLIENT_OP_ID_CHARS,
        required=False,
        help_text="Unique per edit; sending it again never applies the edit twice."
        " Generated when left out.",
    )
    ops = serializers.JSONField(
        required=False,
        help_text='The list form: retain n (n > 0), delete n (-n), insert "text".',
    )
    edit = serializers.JSONField(
        required=False,
        help_text='As on the socket: {"ops": [...]} or {"operation": "insert"|"delete", ...}.',
    )
    operation = serializers.ChoiceField(choices=["insert", "delete"], required=False)
    position = serializers.JSONField(required=False)
    text = serializers.JSONField(required=False)
    length = serializers.JSONField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Reduces the three accepted forms to {"ops": ...} or {"simple": {...}}."""
        forms = [key for key in ("ops", "edit", "operation") if key in attrs]
        if len(forms) != 1:
            raise serializers.ValidationError(
                "Give the edit exactly one way: 'ops', 'edit', or 'operation' with"
                " 'position' and 'text' or 'length'."
            )
        result: dict[str, Any] = {"revision": attrs["revision"], "ops": None, "simple": None}
        result["client_op_id"] = attrs.get("client_op_id")
        if "ops" in attrs:
            result["ops"] = attrs["ops"]
        elif "edit" in attrs:
            edit = attrs["edit"]
            if not isinstance(edit, dict):
                raise serializers.ValidationError({"edit": ["Must be an object."]})
            if "ops" in edit:
                result["ops"] = edit["ops"]
            else:
                result["simple"] = edit
        else:
            simple_keys = ("operation", "position", "text", "length")
            result["simple"] = {key: attrs[key] for key in simple_keys if key in attrs}
        return result


class OperationResultSerializer(serializers.Serializer):
    revision = serializers.IntegerField()
    client_op_id = serializers.CharField()
    ops = serializers.JSONField(help_text="The edit as committed (transformed), in list form.")
    duplicate = serializers.BooleanField(
        help_text="True when this client_op_id was committed before; nothing changed."
    )


# --- history -----------------------------------------------------------------------------------


class RevisionSerializer(serializers.ModelSerializer):
    user = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Operation
        fields = [
            "revision",
            "base_revision",
            "user",
            "created_at",
            "chars_inserted",
            "chars_deleted",
            "source",
            "client_op_id",
        ]
        read_only_fields = fields


class RevisionDetailSerializer(serializers.Serializer):
    revision = serializers.IntegerField()
    content = serializers.CharField()
    user = UserRefSerializer(allow_null=True)
    created_at = serializers.DateTimeField(allow_null=True)
    chars_inserted = serializers.IntegerField(allow_null=True)
    chars_deleted = serializers.IntegerField(allow_null=True)
    source = serializers.CharField(allow_null=True)
    ops = serializers.JSONField(allow_null=True, help_text="The operation that made it.")


class DiffLineSerializer(serializers.Serializer):
    op = serializers.ChoiceField(choices=["equal", "insert", "delete"])
    text = serializers.CharField()


class DiffSerializer(serializers.Serializer):
    from_revision = serializers.IntegerField()
    to_revision = serializers.IntegerField()
    unified = serializers.CharField(help_text="A unified diff with 3 lines of context.")
    lines = DiffLineSerializer(many=True, help_text="Every line of both texts, in order.")
    lines_inserted = serializers.IntegerField()
    lines_deleted = serializers.IntegerField()


class DiffQuerySerializer(serializers.Serializer):
    # "from" is a Python keyword, hence the field mapping in the view.
    from_ = serializers.IntegerField(min_value=0, required=False)
    to = serializers.IntegerField(min_value=0, required=False)


class RestoreInputSerializer(serializers.Serializer):
    revision = StrictIntegerField(min_value=0)


class RestoreResultSerializer(serializers.Serializer):
    revision = serializers.IntegerField(help_text="The new revision.")
    restored_from = serializers.IntegerField()
    client_op_id = serializers.CharField()
    ops = serializers.JSONField()


class AuthorshipSpanSerializer(serializers.Serializer):
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    user_id = serializers.IntegerField(allow_null=True)
    username = serializers.CharField(allow_null=True)


class AuthorshipSerializer(serializers.Serializer):
    revision = serializers.IntegerField()
    spans = AuthorshipSpanSerializer(many=True)


# --- chat --------------------------------------------------------------------------------------


class ChatMessageSerializer(serializers.ModelSerializer):
    user = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ChatMessage
        fields = ["id", "user", "message", "message_type", "created_at", "session"]
        read_only_fields = fields


class ChatPageSerializer(serializers.Serializer):
    results = ChatMessageSerializer(many=True, help_text="Oldest first within the page.")
    has_more = serializers.BooleanField(help_text="Older messages exist.")
    before = serializers.IntegerField(
        allow_null=True, help_text="Pass as ?before= to get the page of older messages."
    )
    next = serializers.CharField(allow_null=True, help_text="URL of the older page.")


# --- sessions ----------------------------------------------------------------------------------


class SessionCreateInputSerializer(serializers.Serializer):
    document_id = DocumentRefField()
    max_participants = StrictIntegerField(min_value=1, max_value=MAX_PARTICIPANTS_LIMIT, default=10)
    is_private = serializers.BooleanField(default=False)
    invited = serializers.ListField(
        child=serializers.CharField(max_length=150), required=False, default=list, max_length=100
    )


class ParticipantSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField()


class DocumentRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Document
        fields = ["id", "slug", "title"]
        read_only_fields = fields


class SessionSerializer(serializers.ModelSerializer):
    document = DocumentRefSerializer(read_only=True)
    created_by = UserRefSerializer(read_only=True)
    invited = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    participants = serializers.SerializerMethodField(
        help_text="Connected now (seen within PRESENCE_TTL_SECONDS), one entry per user."
    )

    class Meta:
        model = CollaborationSession
        fields = [
            "id",
            "document",
            "created_by",
            "max_participants",
            "is_private",
            "invited",
            "is_active",
            "created_at",
            "ended_at",
            "participants",
        ]
        read_only_fields = fields

    @extend_schema_field(ParticipantSerializer(many=True))
    def get_participants(self, session: CollaborationSession) -> list[dict[str, Any]]:
        # `fresh_participants` is prefetched by the view; fall back for single objects.
        rows = getattr(session, "fresh_participants", None)
        if rows is None:
            rows = self.context["fresh_participants"](session)
        seen: dict[int, dict[str, Any]] = {}
        for participant in rows:
            seen.setdefault(
                participant.user_id,
                {"user_id": participant.user_id, "username": participant.user.username},
            )
        return list(seen.values())
