"""Input and output serializers of the AMA API.

Input serializers check shapes and types; the rules (who may, lengths, states, times)
live in `community.services.amas*`. Output serializers read from their context: `user`,
`votes` (ids of questions the user up-voted) and `documents` (the linked documents the
user may read, by session id).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from collaboration.api.serializers import DocumentRefSerializer, UserRefSerializer

from ..models import AmaQuestion, AmaSession, AmaState, FaqEntry
from ..rendering import render_post
from ..selectors.amas import WHENS
from ..services import amas as rules
from ..services import amas_questions as question_rules
from ..services.amas_common import can_run
from ..services.amas_faq import faq_can_remove

TIME_HELP = "ISO 8601 with its offset, e.g. 2026-12-10T18:00:00+01:00 (without one: UTC)."

# --- input ---------------------------------------------------------------------------------


class AmaCreateInputSerializer(serializers.Serializer):
    topic = serializers.CharField(max_length=rules.TOPIC_MAX_CHARS)
    description = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=rules.DESCRIPTION_MAX_CHARS,
        help_text="Markdown.",
    )
    start = serializers.DateTimeField(help_text=f"{TIME_HELP} Not in the past.")
    end = serializers.DateTimeField(help_text=f"{TIME_HELP} After the start, within 24 hours.")
    document_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        max_length=rules.MAX_DOCUMENTS,
        help_text="Ids of documents you can read that the session is about.",
    )


class AmaUpdateInputSerializer(serializers.Serializer):
    """Only the fields given change (while the session is scheduled)."""

    topic = serializers.CharField(required=False, max_length=rules.TOPIC_MAX_CHARS)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=rules.DESCRIPTION_MAX_CHARS
    )
    start = serializers.DateTimeField(required=False, help_text=TIME_HELP)
    end = serializers.DateTimeField(required=False, help_text=TIME_HELP)
    document_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=rules.MAX_DOCUMENTS,
    )


class AmaQuerySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=AmaState.choices, required=False, allow_blank=True)
    when = serializers.ChoiceField(
        choices=WHENS,
        required=False,
        allow_blank=True,
        help_text="`upcoming` (scheduled, soonest first), `live`, `past` (ended or cancelled).",
    )
    host = serializers.CharField(
        required=False, allow_blank=True, max_length=150, help_text="The host's username."
    )


class AmaFollowInputSerializer(serializers.Serializer):
    follow = serializers.BooleanField(
        default=True, help_text="true: remind me before it starts; false: no more."
    )


class QuestionInputSerializer(serializers.Serializer):
    content = serializers.CharField(
        max_length=question_rules.CONTENT_MAX_CHARS, help_text="Markdown, 1 to 2000 characters."
    )


class AmaVoteInputSerializer(serializers.Serializer):
    value = serializers.ChoiceField(
        choices=[(1, "up-vote"), (0, "take the vote back")],
        help_text="1 up-votes, 0 takes your up-vote back (both idempotent).",
    )


class MergeInputSerializer(serializers.Serializer):
    into = serializers.IntegerField(min_value=1, help_text="The question this one repeats.")


class AnsweringInputSerializer(serializers.Serializer):
    answering = serializers.BooleanField(
        default=True, help_text="true: this is the question answered now; false: none is."
    )


class AnswerInputSerializer(serializers.Serializer):
    answer = serializers.CharField(
        max_length=question_rules.ANSWER_MAX_CHARS, help_text="Markdown."
    )


class FaqInputSerializer(serializers.Serializer):
    question_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=100
    )
    document_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        min_length=1,
        help_text="Among the session's documents; all of them when left out.",
    )


# --- output --------------------------------------------------------------------------------


class AmaCanSerializer(serializers.Serializer):
    edit = serializers.BooleanField(help_text="Change or cancel it (scheduled only).")
    start = serializers.BooleanField()
    end = serializers.BooleanField()
    run = serializers.BooleanField(help_text="Hide, merge, and make FAQ entries.")
    ask = serializers.BooleanField()


class AmaSerializer(serializers.ModelSerializer):
    host = UserRefSerializer(read_only=True)
    room_id = serializers.IntegerField(read_only=True, allow_null=True)
    documents = serializers.SerializerMethodField()
    description_html = serializers.SerializerMethodField()
    answering_now = serializers.IntegerField(
        source="answering_now_id",
        read_only=True,
        allow_null=True,
        help_text="The id of the question the host is answering now.",
    )
    question_count = serializers.IntegerField(
        read_only=True, help_text="Questions everyone can see."
    )
    url = serializers.SerializerMethodField(help_text="The session's page.")
    can = serializers.SerializerMethodField(help_text="What you may do now.")

    class Meta:
        model = AmaSession
        fields = [
            "id",
            "topic",
            "description",
            "description_html",
            "host",
            "state",
            "starts_at",
            "ends_at",
            "started_at",
            "ended_at",
            "room_id",
            "documents",
            "answering_now",
            "question_count",
            "url",
            "can",
        ]
        read_only_fields = fields

    @extend_schema_field(DocumentRefSerializer(many=True))
    def get_documents(self, ama: AmaSession) -> list[dict]:
        documents = self.context.get("documents", {}).get(ama.pk, [])
        return DocumentRefSerializer(documents, many=True).data

    def get_description_html(self, ama: AmaSession) -> str:
        return str(render_post(ama.description))

    def get_url(self, ama: AmaSession) -> str:
        return rules.ama_url(ama.pk)

    @extend_schema_field(AmaCanSerializer)
    def get_can(self, ama: AmaSession) -> dict[str, bool]:
        user = self.context.get("user")
        runs = can_run(user, ama)
        is_host = runs and user.pk == ama.host_id
        return {
            "edit": runs and ama.state == AmaState.SCHEDULED,
            "start": is_host and ama.state == AmaState.SCHEDULED,
            "end": runs and ama.state == AmaState.LIVE,
            "run": runs,
            "ask": bool(user and user.is_authenticated)
            and ama.state in question_rules.OPEN_FOR_QUESTIONS,
        }


class AmaQuestionSerializer(serializers.ModelSerializer):
    author = UserRefSerializer(read_only=True, allow_null=True)
    content_html = serializers.SerializerMethodField()
    answer_html = serializers.SerializerMethodField()
    merged_into = serializers.IntegerField(
        source="merged_into_id",
        read_only=True,
        allow_null=True,
        help_text="The question a merged duplicate points at.",
    )
    my_vote = serializers.SerializerMethodField(help_text="1 if you up-voted it, else 0.")
    is_mine = serializers.SerializerMethodField()

    class Meta:
        model = AmaQuestion
        fields = [
            "id",
            "content",
            "content_html",
            "author",
            "score",
            "status",
            "merged_into",
            "answer",
            "answer_html",
            "answered_at",
            "created_at",
            "my_vote",
            "is_mine",
        ]
        read_only_fields = fields

    def get_content_html(self, question: AmaQuestion) -> str:
        return str(render_post(question.content))

    def get_answer_html(self, question: AmaQuestion) -> str:
        return str(render_post(question.answer)) if question.answer else ""

    def get_my_vote(self, question: AmaQuestion) -> int:
        return 1 if question.pk in self.context.get("votes", set()) else 0

    def get_is_mine(self, question: AmaQuestion) -> bool:
        user = self.context.get("user")
        return bool(user and user.is_authenticated and question.author_id == user.pk)


class FaqEntrySerializer(serializers.ModelSerializer):
    document = DocumentRefSerializer(read_only=True)
    answer_html = serializers.SerializerMethodField()
    ama_id = serializers.SerializerMethodField(help_text="The AMA it came from, if any.")
    can_remove = serializers.SerializerMethodField()

    class Meta:
        model = FaqEntry
        fields = [
            "id",
            "document",
            "question",
            "answer",
            "answer_html",
            "ama_id",
            "position",
            "created_at",
            "can_remove",
        ]
        read_only_fields = fields

    def get_answer_html(self, entry: FaqEntry) -> str:
        return str(render_post(entry.answer))

    def get_ama_id(self, entry: FaqEntry) -> int | None:
        return entry.source.session_id if entry.source_id else None

    def get_can_remove(self, entry: FaqEntry) -> bool:
        return faq_can_remove(self.context.get("user"), entry)
