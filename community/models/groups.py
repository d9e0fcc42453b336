"""Study groups: members and seats, join requests and invitations, a reading list,
learning goals with each member's progress, meetups, and an activity feed.

`member_count` is kept under the group's row lock by every join and leave, so the seat
check and the insert are one decision: `max_members` holds under any number of
concurrent joins.
"""

from django.conf import settings
from django.db import models

from collaboration.models import Document, Room

from .questions import Question


class StudyGroup(models.Model):
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=5000)
    topic_focus = models.CharField(max_length=120, db_index=True)
    max_members = models.PositiveSmallIntegerField(default=20)
    is_private = models.BooleanField(default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_study_groups"
    )
    room = models.OneToOneField(
        Room, on_delete=models.SET_NULL, null=True, blank=True, related_name="study_group"
    )
    member_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="group_never_over_capacity",
                condition=models.Q(member_count__lte=models.F("max_members")),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class GroupRole(models.TextChoices):
    OWNER = "owner", "Owner"
    MODERATOR = "moderator", "Moderator"
    MEMBER = "member", "Member"


class StudyGroupMember(models.Model):
    group = models.ForeignKey(StudyGroup, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_group_memberships"
    )
    role = models.CharField(max_length=16, choices=GroupRole.choices, default=GroupRole.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="one_membership_per_group")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.group_id} ({self.role})"


class JoinRequestKind(models.TextChoices):
    REQUEST = "request", "Asked to join"
    INVITATION = "invitation", "Invited"


class JoinRequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"


class StudyGroupJoinRequest(models.Model):
    """A request to join a private group (decided by its owner or moderators) or an
    invitation to one (decided by the invited user)."""

    group = models.ForeignKey(StudyGroup, on_delete=models.CASCADE, related_name="join_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=JoinRequestKind.choices)
    status = models.CharField(
        max_length=16, choices=JoinRequestStatus.choices, default=JoinRequestStatus.PENDING
    )
    message = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user"],
                name="one_pending_request_per_group",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.user_id} to {self.group_id}: {self.status}"


class ReadingListItem(models.Model):
    group = models.ForeignKey(StudyGroup, on_delete=models.CASCADE, related_name="reading_list")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    position = models.PositiveIntegerField(default=0)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "document"], name="one_reading_list_entry")
        ]

    def __str__(self) -> str:
        return f"{self.document_id} on {self.group_id}'s list"


class LearningGoal(models.Model):
    group = models.ForeignKey(StudyGroup, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=2000)
    position = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class GoalProgress(models.Model):
    """A member ticked a goal as done (unticking deletes the row)."""

    goal = models.ForeignKey(LearningGoal, on_delete=models.CASCADE, related_name="progress")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    completed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["goal", "user"], name="one_tick_per_goal")]

    def __str__(self) -> str:
        return f"{self.user_id} finished {self.goal_id}"


class Meetup(models.Model):
    """A scheduled meeting. Times are stored in UTC; `timezone` is the IANA zone the
    organiser planned it in, shown beside each reader's own time."""

    group = models.ForeignKey(StudyGroup, on_delete=models.CASCADE, related_name="meetups")
    title = models.CharField(max_length=200)
    agenda = models.TextField(blank=True, max_length=5000)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    timezone = models.CharField(max_length=64, default="UTC")
    location = models.CharField(max_length=300, blank=True, help_text="A place or a call link.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Set when the reminder task claimed this meetup: reminders go out once.
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["starts_at"], name="meetup_start")]
        constraints = [
            models.CheckConstraint(
                name="meetup_ends_after_start",
                condition=models.Q(ends_at__gt=models.F("starts_at")),
            )
        ]

    def __str__(self) -> str:
        return self.title


class GroupActivityKind(models.TextChoices):
    JOINED = "joined", "joined the group"
    LEFT = "left", "left the group"
    GOAL_COMPLETED = "goal_completed", "finished a goal"
    DOCUMENT_ADDED = "document_added", "added a document to the reading list"
    DOCUMENT_EDITED = "document_edited", "edited a document on the reading list"
    QUESTION_ASKED = "question_asked", "asked a question"
    MEETUP_SCHEDULED = "meetup_scheduled", "scheduled a meetup"


class GroupActivity(models.Model):
    group = models.ForeignKey(StudyGroup, on_delete=models.CASCADE, related_name="activity")
    kind = models.CharField(max_length=32, choices=GroupActivityKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    goal = models.ForeignKey(
        LearningGoal, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    meetup = models.ForeignKey(
        Meetup, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # Repeated events collapse into one entry (a member editing a listed document all
    # afternoon): e.g. "edited:<document>:<user>:<date>".
    dedupe_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["group", "-id"], name="group_activity_feed")]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "dedupe_key"],
                name="one_activity_per_key",
                condition=~models.Q(dedupe_key=""),
            )
        ]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.kind} in {self.group_id}"
