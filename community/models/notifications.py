"""Notifications: the inbox, how each kind reaches a user, and what they watch.

A notification is written once per event and recipient (`key` is unique per recipient),
so a task that runs twice, or a worker killed and retried, never doubles one. Ids grow in
commit order per recipient (writing locks the recipient's `NotificationFeed` row): they
are the ids of the `notification` frames on the user's topic, and a tab that reconnects
resumes from the last one it saw.
"""

from django.conf import settings
from django.db import models

from collaboration.models import Document, Tag

from .questions import Question


class NotificationKind(models.TextChoices):
    COMMENT_REPLY = "comment_reply", "A reply to your comment"
    ANSWER = "answer", "An answer to your question"
    ANSWER_ACCEPTED = "answer_accepted", "Your answer was accepted"
    MENTION = "mention", "Someone mentioned you"
    REVIEW_REQUESTED = "review_requested", "A review was requested of you"
    PROPOSAL_MERGED = "proposal_merged", "Your proposal was merged"
    CHANGES_REQUESTED = "changes_requested", "Changes were requested on your proposal"
    MEETUP_SOON = "meetup_soon", "A meetup of your group starts soon"
    AMA_SOON = "ama_soon", "An AMA you follow starts soon"
    BADGE = "badge", "You earned a badge"
    WATCHED_QUESTION = "watched_question", "A new question on something you watch"
    WATCHED_ACTIVITY = "watched_activity", "New activity on something you watch"
    GROUP_INVITATION = "group_invitation", "An invitation to a study group"
    GROUP_REQUEST = "group_request", "A request to join your study group"
    GROUP_APPROVED = "group_approved", "Your request to join a group was approved"


class Delivery(models.TextChoices):
    """How one kind of notification reaches a user, besides the in-app list."""

    LIVE = "live", "In the app only"
    EMAIL = "email", "Email at once"
    DIGEST = "digest", "Daily digest email"


class EmailStatus(models.TextChoices):
    NONE = "", "No email"
    PENDING = "pending", "Email to send"
    SENT = "sent", "Emailed"
    DIGEST = "digest", "Waiting for the daily digest"
    DIGESTED = "digested", "Sent in a digest"
    SKIPPED = "skipped", "Not emailed (unsubscribed, read first, or no address)"


class NotificationFeed(models.Model):
    """One row per user, locked while a notification is written for them, so their
    notification ids grow in commit order."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"notifications of {self.user_id}"


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=300, help_text="One line, written for the recipient.")
    body = models.TextField(blank=True, max_length=2000, help_text="A short plain-text excerpt.")
    url = models.CharField(max_length=500, help_text="Where the notification leads (a path).")
    # What it is about, for watch levels and for grouping ("question", 12).
    target_type = models.CharField(max_length=32, blank=True)
    target_id = models.BigIntegerField(null=True, blank=True)
    key = models.CharField(
        max_length=200, help_text="The event's key: one notification per event and recipient."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(
        max_length=16, choices=EmailStatus.choices, default=EmailStatus.NONE, blank=True
    )
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="one_notification_per_event")
        ]
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notification_inbox"),
            models.Index(
                fields=["recipient"],
                name="notification_unread",
                condition=models.Q(read_at__isnull=True),
            ),
            models.Index(
                fields=["email_status", "recipient"],
                name="notification_email_queue",
                condition=models.Q(email_status__in=["pending", "digest"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}: {self.title}"


class NotificationPreference(models.Model):
    """A user's choice for one kind; kinds without a row use the site's default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    delivery = models.CharField(max_length=8, choices=Delivery.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind} by {self.delivery}"


class DigestRun(models.Model):
    """One daily digest per user and day: the digest task claims the row first, so a
    retried or doubled task sends it once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    notification_count = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="one_digest_a_day")]

    def __str__(self) -> str:
        return f"digest of {self.user_id} for {self.day}"


class WatchLevel(models.TextChoices):
    """As in Discourse."""

    WATCHING = "watching", "Watching: every new post"
    TRACKING = "tracking", "Tracking: mentions and replies to you, and an unread count"
    NORMAL = "normal", "Normal: mentions and replies to you"
    MUTED = "muted", "Muted: nothing"


class WatchTarget(models.TextChoices):
    DOCUMENT = "document", "Document"
    TAG = "tag", "Tag"
    QUESTION = "question", "Question"


class Watch(models.Model):
    """A user's watch level on one document, tag or question (exactly one is set)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watches"
    )
    target_type = models.CharField(max_length=16, choices=WatchTarget.choices)
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, null=True, blank=True, related_name="watches"
    )
    tag = models.ForeignKey(
        Tag, on_delete=models.CASCADE, null=True, blank=True, related_name="watches"
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, null=True, blank=True, related_name="watches"
    )
    level = models.CharField(max_length=16, choices=WatchLevel.choices, default=WatchLevel.WATCHING)
    # Tracking's unread count: what happened on the target after this moment.
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "document"],
                name="one_watch_per_document",
                condition=models.Q(target_type="document"),
            ),
            models.UniqueConstraint(
                fields=["user", "tag"],
                name="one_watch_per_tag",
                condition=models.Q(target_type="tag"),
            ),
            models.UniqueConstraint(
                fields=["user", "question"],
                name="one_watch_per_question",
                condition=models.Q(target_type="question"),
            ),
            models.CheckConstraint(
                name="watch_has_its_target",
                condition=(
                    models.Q(
                        target_type="document",
                        document__isnull=False,
                        tag__isnull=True,
                        question__isnull=True,
                    )
                    | models.Q(
                        target_type="tag",
                        document__isnull=True,
                        tag__isnull=False,
                        question__isnull=True,
                    )
                    | models.Q(
                        target_type="question",
                        document__isnull=True,
                        tag__isnull=True,
                        question__isnull=False,
                    )
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["document", "level"], name="watch_document_level"),
            models.Index(fields=["tag", "level"], name="watch_tag_level"),
            models.Index(fields=["question", "level"], name="watch_question_level"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.level} {self.target_type}"
