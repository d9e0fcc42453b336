"""Votes, the reputation ledger and badges."""

from django.conf import settings
from django.db import models

from .common import TargetType


class Vote(models.Model):
    """One person's vote on one question, answer or comment (retracting deletes it)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    target_type = models.CharField(max_length=16, choices=TargetType.choices)
    target_id = models.PositiveBigIntegerField()
    value = models.SmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "target_type", "target_id"], name="one_vote_per_item"
            ),
            models.CheckConstraint(condition=models.Q(value__in=(1, -1)), name="vote_value"),
        ]
        indexes = [models.Index(fields=["target_type", "target_id"], name="vote_target")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.value:+d} on {self.target_type} {self.target_id}"


class ReputationReason(models.TextChoices):
    QUESTION_UPVOTED = "question_upvoted", "Question up-voted"
    ANSWER_UPVOTED = "answer_upvoted", "Answer up-voted"
    DOWNVOTED = "downvoted", "Post down-voted"
    DOWNVOTE_CAST = "downvote_cast", "Down-voted an answer"
    ANSWER_ACCEPTED = "answer_accepted", "Answer accepted"
    ACCEPTED_ANSWER = "accepted_answer", "Accepted an answer"
    CARRIED_OVER = "carried_over", "Reputation carried over"
    ADJUSTMENT = "adjustment", "Adjusted by a moderator"
    PROPOSAL_MERGED = "proposal_merged", "Proposed change merged"
    REVIEW_HELPFUL = "review_helpful", "Review marked helpful"


class ReputationTarget(models.TextChoices):
    """What a reputation line is about: a post (the votes' and flags' TargetType), or a
    contribution (a merged proposal, a helpful review), which is not a post."""

    QUESTION = "question", "Question"
    ANSWER = "answer", "Answer"
    COMMENT = "comment", "Comment"
    PROPOSAL = "proposal", "Proposal"
    REVIEW = "review", "Review"


class ReputationEvent(models.Model):
    """One line of a person's reputation ledger.

    `User.reputation` is always `REPUTATION_START` plus the sum of the person's lines.
    Undoing a vote or an accept adds a line that `reverses` the original, of the opposite
    amount; `source` names what caused the line ("vote:<id>", "accept:<answer id>"), so a
    retried task or a repeated request finds the line it already wrote. `capped` lines
    count towards the daily limit of reputation from votes.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reputation_events"
    )
    amount = models.IntegerField()
    reason = models.CharField(max_length=24, choices=ReputationReason.choices)
    target_type = models.CharField(max_length=16, choices=ReputationTarget.choices, blank=True)
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=80, blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="reversed_by"
    )
    capped = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"], name="reputation_ledger")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.amount:+d} ({self.reason})"


class BadgeLevel(models.TextChoices):
    BRONZE = "bronze", "Bronze"
    SILVER = "silver", "Silver"
    GOLD = "gold", "Gold"


class BadgeAward(models.Model):
    """A badge someone earned; badges themselves are defined in `community.badges`.

    Unique per (user, badge, target): a retried award task finds the row and stops.
    `target_id` is 0 for badges earned once, the item's id for those earned per item.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="badge_awards"
    )
    badge = models.CharField(max_length=40)
    level = models.CharField(max_length=8, choices=BadgeLevel.choices)
    target_type = models.CharField(max_length=16, blank=True)
    target_id = models.PositiveBigIntegerField(default=0)
    awarded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-awarded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "badge", "target_type", "target_id"], name="one_award_per_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.badge} for {self.user_id}"
