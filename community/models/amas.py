"""Expert AMA sessions: scheduled → live → ended, a question queue ordered by votes, the
host's answers, and FAQ entries made from chosen answers on the linked documents."""

from django.conf import settings
from django.db import models

from collaboration.models import Document, Room


class AmaState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    LIVE = "live", "Live"
    ENDED = "ended", "Ended"
    CANCELLED = "cancelled", "Cancelled"


class AmaSession(models.Model):
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="amas"
    )
    topic = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    state = models.CharField(max_length=16, choices=AmaState.choices, default=AmaState.SCHEDULED)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    documents = models.ManyToManyField(Document, blank=True, related_name="amas")
    room = models.OneToOneField(
        Room, on_delete=models.SET_NULL, null=True, blank=True, related_name="ama"
    )
    answering_now = models.ForeignKey(
        "AmaQuestion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # People who pressed "Remind me": told when it starts soon, with askers and voters.
    followers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="followed_amas"
    )
    # Set when the reminder task claimed this session: "starting soon" goes out once.
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["state", "starts_at"], name="ama_schedule")]
        constraints = [
            models.CheckConstraint(
                name="ama_ends_after_start", condition=models.Q(ends_at__gt=models.F("starts_at"))
            )
        ]

    def __str__(self) -> str:
        return self.topic


class AmaQuestionStatus(models.TextChoices):
    OPEN = "open", "Waiting"
    ANSWERED = "answered", "Answered"
    HIDDEN = "hidden", "Hidden by a moderator"
    MERGED = "merged", "Merged into another question"


class AmaQuestion(models.Model):
    session = models.ForeignKey(AmaSession, on_delete=models.CASCADE, related_name="questions")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    content = models.TextField(max_length=2000)
    score = models.PositiveIntegerField(default=0, help_text="Up-votes (kept with the votes).")
    status = models.CharField(
        max_length=16, choices=AmaQuestionStatus.choices, default=AmaQuestionStatus.OPEN
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged"
    )
    answer = models.TextField(blank=True, max_length=20_000)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-score", "created_at", "id"]
        indexes = [models.Index(fields=["session", "-score", "created_at"], name="ama_queue")]

    def __str__(self) -> str:
        return self.content[:60]


class AmaVote(models.Model):
    question = models.ForeignKey(AmaQuestion, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "user"], name="one_ama_vote_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} +1 {self.question_id}"


class FaqEntry(models.Model):
    """A question and its answer shown with a document (from an AMA, or written)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="faq_entries")
    question = models.TextField(max_length=2000)
    answer = models.TextField(max_length=20_000)
    source = models.ForeignKey(
        AmaQuestion, on_delete=models.SET_NULL, null=True, blank=True, related_name="faq_entries"
    )
    position = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "source"],
                name="one_faq_entry_per_answer",
                condition=models.Q(source__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.question[:60]
