"""Questions and answers, with the history of every edit."""

from django.conf import settings
from django.db import models

from collaboration.models import Document, Tag

from .common import Post


class Difficulty(models.TextChoices):
    BEGINNER = "beginner", "Beginner"
    INTERMEDIATE = "intermediate", "Intermediate"
    ADVANCED = "advanced", "Advanced"
    EXPERT = "expert", "Expert"


class CloseReason(models.TextChoices):
    DUPLICATE = "duplicate", "Duplicate of another question"
    OFF_TOPIC = "off_topic", "Off-topic"
    UNCLEAR = "unclear", "Needs details or clarity"
    TOO_BROAD = "too_broad", "Needs more focus"


class Question(Post):
    """A question, optionally about a document (and a section of it: a heading's id)."""

    title = models.CharField(max_length=200)
    tags = models.ManyToManyField(Tag, blank=True, related_name="questions")
    difficulty_level = models.CharField(
        max_length=16, choices=Difficulty.choices, default=Difficulty.BEGINNER
    )
    document = models.ForeignKey(
        Document, on_delete=models.SET_NULL, null=True, blank=True, related_name="questions"
    )
    document_section = models.CharField(
        max_length=220, blank=True, help_text="The id of the heading the question is about."
    )
    answer_count = models.PositiveIntegerField(default=0)
    view_count = models.PositiveIntegerField(default=0)
    accepted_answer = models.OneToOneField(
        "Answer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_activity_at = models.DateTimeField(db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    close_reason = models.CharField(max_length=16, choices=CloseReason.choices, blank=True)
    close_note = models.CharField(max_length=500, blank=True)
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="duplicates"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-score", "-created_at"], name="question_by_votes"),
            models.Index(fields=["document", "-created_at"], name="question_by_document"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class Answer(Post):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    is_accepted = models.BooleanField(default=False)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-is_accepted", "-score", "created_at", "id"]
        indexes = [models.Index(fields=["question", "-score"], name="answer_by_votes")]
        constraints = [
            # At most one accepted answer per question, whatever races.
            models.UniqueConstraint(
                fields=["question"],
                condition=models.Q(is_accepted=True),
                name="one_accepted_answer",
            )
        ]

    def __str__(self) -> str:
        return f"answer {self.pk} to {self.question_id}"


class QuestionRevision(models.Model):
    """The question as it read after each edit (revision 1 is the original)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    content = models.TextField()
    tags = models.JSONField(default=list, help_text="Tag slugs at this revision.")
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    summary = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["question", "number"]
        constraints = [
            models.UniqueConstraint(fields=["question", "number"], name="unique_question_revision")
        ]

    def __str__(self) -> str:
        return f"question {self.question_id} r{self.number}"


class AnswerRevision(models.Model):
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    content = models.TextField()
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    summary = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["answer", "number"]
        constraints = [
            models.UniqueConstraint(fields=["answer", "number"], name="unique_answer_revision")
        ]

    def __str__(self) -> str:
        return f"answer {self.answer_id} r{self.number}"
