"""Input and output serializers of the Q&A API.

Input serializers check shapes and types only; the rules (lengths, who may, closed or
locked questions) live in `community.services.questions` and `.answers`. Output
serializers read what the view put in their context: `user`, and `votes` ({id: ±1} of
the user's votes on the items shown).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from collaboration.api.serializers import DocumentRefField, DocumentRefSerializer, UserRefSerializer

from ..models import Answer, CloseReason, Difficulty, Question, QuestionRevision
from ..rendering import render_post
from ..selectors.questions import SORTS, STATUSES, question_get_visible
from ..services import questions as rules

CONTENT_HELP = "Markdown; rendered and sanitised like the documents."
TITLE_ERRORS = {
    "min_length": "Write a title of at least {min_length} characters that sums up the question."
}
BODY_ERRORS = {"min_length": "Too short: write at least {min_length} characters."}


def title_field(**kwargs) -> serializers.CharField:
    return serializers.CharField(
        min_length=rules.TITLE_MIN_CHARS,
        max_length=rules.TITLE_MAX_CHARS * 2,
        error_messages=TITLE_ERRORS,
        help_text=f"{rules.TITLE_MIN_CHARS} to {rules.TITLE_MAX_CHARS} characters.",
        **kwargs,
    )


def body_field(**kwargs) -> serializers.CharField:
    return serializers.CharField(
        min_length=rules.BODY_MIN_CHARS,
        max_length=rules.BODY_MAX_CHARS,
        trim_whitespace=False,
        error_messages=BODY_ERRORS,
        help_text=f"{CONTENT_HELP} At least {rules.BODY_MIN_CHARS} characters.",
        **kwargs,
    )


# --- input ---------------------------------------------------------------------------------


class QuestionCreateInputSerializer(serializers.Serializer):
    title = title_field()
    content = body_field()
    tags = serializers.ListField(
        child=serializers.CharField(max_length=80, allow_blank=True),
        required=False,
        default=list,
        max_length=20,
        help_text=f"Up to {rules.MAX_TAGS} tags, by slug or name; unknown ones are created.",
    )
    difficulty_level = serializers.ChoiceField(
        choices=Difficulty.choices, default=Difficulty.BEGINNER
    )
    document_id = DocumentRefField(
        required=False,
        allow_null=True,
        help_text="Id or slug of a document you can read that the question is about.",
    )
    document_section = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=220,
        help_text="Id of one of that document's headings (as in its table of contents).",
    )


class QuestionUpdateInputSerializer(serializers.Serializer):
    """Only the fields given change; `summary` says why (shown in the history)."""

    title = title_field(required=False)
    content = body_field(required=False)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=80, allow_blank=True),
        required=False,
        max_length=20,
    )
    difficulty_level = serializers.ChoiceField(choices=Difficulty.choices, required=False)
    document_id = DocumentRefField(required=False, allow_null=True)
    document_section = serializers.CharField(required=False, allow_blank=True, max_length=220)
    summary = serializers.CharField(
        required=False, allow_blank=True, max_length=rules.SUMMARY_MAX_CHARS
    )


class AnswerCreateInputSerializer(serializers.Serializer):
    content = body_field()


class AnswerUpdateInputSerializer(AnswerCreateInputSerializer):
    summary = serializers.CharField(
        required=False, allow_blank=True, max_length=rules.SUMMARY_MAX_CHARS
    )


class CloseInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=CloseReason.choices)
    duplicate_of = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="With reason `duplicate`: the id of the question this one repeats.",
    )
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=rules.CLOSE_NOTE_MAX_CHARS
    )


class PreviewInputSerializer(serializers.Serializer):
    content = serializers.CharField(
        max_length=rules.BODY_MAX_CHARS, allow_blank=True, trim_whitespace=False
    )


class PreviewSerializer(serializers.Serializer):
    html = serializers.CharField(help_text="The Markdown rendered and sanitised.")


class QuestionQuerySerializer(serializers.Serializer):
    """Query parameters of the question list."""

    tag = serializers.CharField(required=False, allow_blank=True, help_text="A tag slug.")
    difficulty = serializers.ChoiceField(
        choices=Difficulty.choices, required=False, allow_blank=True
    )
    document = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=220,
        help_text="Id or slug of a document: only questions about it.",
    )
    status = serializers.ChoiceField(
        choices=STATUSES,
        required=False,
        default="all",
        help_text="`answered`: an accepted answer, or an answer with a positive score "
        "(as on Stack Overflow); `unanswered`: neither.",
    )
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Words in the title."
    )
    author = serializers.CharField(
        required=False, allow_blank=True, max_length=150, help_text="The asker's username."
    )
    sort = serializers.ChoiceField(
        choices=SORTS,
        required=False,
        default="newest",
        help_text="`newest` (asked), `votes` (score), `activity` (last answer, edit or accept).",
    )


class SimilarQuerySerializer(serializers.Serializer):
    title = serializers.CharField(
        max_length=300, allow_blank=True, help_text="The title being typed."
    )


# --- output --------------------------------------------------------------------------------


class QuestionRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Question
        fields = ["id", "title"]
        read_only_fields = fields


def _user(context: dict) -> Any:
    return context.get("user")


class QuestionListSerializer(serializers.ModelSerializer):
    author = UserRefSerializer(read_only=True, allow_null=True)
    tags = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    document = DocumentRefSerializer(read_only=True, allow_null=True)
    excerpt = serializers.SerializerMethodField(help_text="The start of the text, as typed.")
    is_answered = serializers.SerializerMethodField(
        help_text="An accepted answer, or an answer with a positive score."
    )
    is_closed = serializers.BooleanField(read_only=True)
    close_reason = serializers.ChoiceField(
        choices=CloseReason.choices,
        allow_blank=True,
        read_only=True,
        help_text="Why it was closed; empty while it is open.",
    )
    accepted_answer_id = serializers.IntegerField(read_only=True, allow_null=True)
    url = serializers.SerializerMethodField(help_text="The question's page.")

    class Meta:
        model = Question
        fields = [
            "id",
            "title",
            "excerpt",
            "author",
            "tags",
            "difficulty_level",
            "document",
            "document_section",
            "score",
            "answer_count",
            "view_count",
            "is_answered",
            "accepted_answer_id",
            "is_closed",
            "close_reason",
            "created_at",
            "last_activity_at",
            "edited_at",
            "url",
        ]
        read_only_fields = fields

    def get_excerpt(self, question: Question) -> str:
        text = " ".join(question.content.split())
        return text if len(text) <= 200 else f"{text[:199]}…"

    def get_is_answered(self, question: Question) -> bool:
        answered = getattr(question, "is_answered", None)
        if answered is None:
            answered = question.accepted_answer_id is not None or (
                question.answers.filter(
                    score__gt=0, deleted_at__isnull=True, is_hidden=False
                ).exists()
            )
        return bool(answered)

    def get_url(self, question: Question) -> str:
        return reverse("community:question-detail", args=[question.pk])


class QuestionCanSerializer(serializers.Serializer):
    edit = serializers.BooleanField()
    delete = serializers.BooleanField()
    answer = serializers.BooleanField()
    close = serializers.BooleanField(help_text="Close it now (it is open).")
    reopen = serializers.BooleanField(help_text="Reopen it now (it is closed).")


class QuestionDetailSerializer(QuestionListSerializer):
    content_html = serializers.SerializerMethodField(help_text="The content rendered.")
    closed_by = UserRefSerializer(read_only=True, allow_null=True)
    edited_by = UserRefSerializer(read_only=True, allow_null=True)
    duplicate_of = serializers.SerializerMethodField()
    is_deleted = serializers.BooleanField(read_only=True)
    my_vote = serializers.SerializerMethodField(help_text="Your vote: 1, -1 or 0.")
    can = serializers.SerializerMethodField(help_text="What you may do with it now.")

    class Meta(QuestionListSerializer.Meta):
        fields = [
            *QuestionListSerializer.Meta.fields,
            "content",
            "content_html",
            "closed_at",
            "closed_by",
            "close_note",
            "duplicate_of",
            "edited_by",
            "is_locked",
            "is_hidden",
            "is_deleted",
            "my_vote",
            "can",
        ]
        read_only_fields = fields

    def get_content_html(self, question: Question) -> str:
        return str(render_post(question.content))

    @extend_schema_field(QuestionRefSerializer(allow_null=True))
    def get_duplicate_of(self, question: Question) -> dict | None:
        if question.duplicate_of_id is None:
            return None
        target = question_get_visible(
            user=_user(self.context), question_id=question.duplicate_of_id, or_none=True
        )
        return None if target is None else {"id": target.pk, "title": target.title}

    def get_my_vote(self, question: Question) -> int:
        return self.context.get("votes", {}).get(question.pk, 0)

    @extend_schema_field(QuestionCanSerializer)
    def get_can(self, question: Question) -> dict[str, bool]:
        return rules.question_can(_user(self.context), question)


class AnswerCanSerializer(serializers.Serializer):
    edit = serializers.BooleanField()
    delete = serializers.BooleanField()
    accept = serializers.BooleanField(help_text="Accept it now (it is not accepted).")
    unaccept = serializers.BooleanField(help_text="Take the accept back (it is accepted).")


class AnswerSerializer(serializers.ModelSerializer):
    question_id = serializers.IntegerField(read_only=True)
    author = UserRefSerializer(read_only=True, allow_null=True)
    edited_by = UserRefSerializer(read_only=True, allow_null=True)
    content_html = serializers.SerializerMethodField(help_text="The content rendered.")
    is_deleted = serializers.BooleanField(read_only=True)
    my_vote = serializers.SerializerMethodField(help_text="Your vote: 1, -1 or 0.")
    can = serializers.SerializerMethodField(help_text="What you may do with it now.")

    class Meta:
        model = Answer
        fields = [
            "id",
            "question_id",
            "author",
            "content",
            "content_html",
            "score",
            "is_accepted",
            "accepted_at",
            "created_at",
            "edited_at",
            "edited_by",
            "is_locked",
            "is_hidden",
            "is_deleted",
            "my_vote",
            "can",
        ]
        read_only_fields = fields

    def get_content_html(self, answer: Answer) -> str:
        return str(render_post(answer.content))

    def get_my_vote(self, answer: Answer) -> int:
        return self.context.get("votes", {}).get(answer.pk, 0)

    @extend_schema_field(AnswerCanSerializer)
    def get_can(self, answer: Answer) -> dict[str, bool]:
        question = self.context.get("question") or answer.question
        return rules.answer_can(_user(self.context), answer, question)


class QuestionRevisionSerializer(serializers.ModelSerializer):
    editor = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = QuestionRevision
        fields = ["number", "title", "content", "tags", "editor", "summary", "created_at"]
        read_only_fields = fields


class AnswerRevisionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    content = serializers.CharField()
    editor = UserRefSerializer(allow_null=True)
    summary = serializers.CharField()
    created_at = serializers.DateTimeField()


class SimilarQuestionSerializer(serializers.ModelSerializer):
    is_answered = serializers.SerializerMethodField()
    is_closed = serializers.BooleanField(read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Question
        fields = ["id", "title", "score", "answer_count", "is_answered", "is_closed", "url"]
        read_only_fields = fields

    def get_is_answered(self, question: Question) -> bool:
        return bool(getattr(question, "is_answered", False))

    def get_url(self, question: Question) -> str:
        return reverse("community:question-detail", args=[question.pk])
