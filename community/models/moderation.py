"""Flags people raise and the log of what moderators did."""

from django.conf import settings
from django.db import models

from .common import TargetType


class FlagReason(models.TextChoices):
    SPAM = "spam", "Spam"
    RUDE = "rude", "Rude or abusive"
    OFF_TOPIC = "off_topic", "Off-topic"
    OTHER = "other", "Something else"


class FlagStatus(models.TextChoices):
    OPEN = "open", "Waiting for a moderator"
    DISMISSED = "dismissed", "Dismissed"
    ACTIONED = "actioned", "Acted upon"


class Flag(models.Model):
    flagger = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    target_type = models.CharField(max_length=16, choices=TargetType.choices)
    target_id = models.PositiveBigIntegerField()
    reason = models.CharField(max_length=16, choices=FlagReason.choices)
    text = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=16, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["flagger", "target_type", "target_id"], name="one_flag_per_item"
            )
        ]
        indexes = [models.Index(fields=["target_type", "target_id", "status"], name="flag_target")]

    def __str__(self) -> str:
        return f"{self.reason} flag on {self.target_type} {self.target_id}"


class ModerationActionKind(models.TextChoices):
    DISMISS = "dismiss", "Dismissed the flags"
    HIDE = "hide", "Hid the post"
    UNHIDE = "unhide", "Showed the post again"
    DELETE = "delete", "Deleted the post"
    RESTORE = "restore", "Restored the post"
    LOCK = "lock", "Locked the post"
    UNLOCK = "unlock", "Unlocked the post"
    WARN = "warn", "Warned the author"
    SUSPEND = "suspend", "Suspended the author"
    EDIT = "edit", "Edited the post"
    CLOSE = "close", "Closed the question"
    REOPEN = "reopen", "Reopened the question"
    REPUTATION = "reputation", "Adjusted reputation"


class ModerationAction(models.Model):
    """The audit log: every moderator action, who did it, on what, and why."""

    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=16, choices=ModerationActionKind.choices)
    target_type = models.CharField(max_length=16, choices=TargetType.choices, blank=True)
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} by {self.moderator_id}"
