"""Proposals: a change to a document made on a branch (or as suggestions typed into the
document in suggestion mode), reviewed and merged like a GitHub pull request.

A branch proposal points at its branch, itself a document (collaboration's `branch_of`),
made from the document's text at `base_revision` (kept in `base_content`, so a merge
never depends on the operation log reaching back that far). A suggestions proposal has
no branch: its changes are its `Suggestion`s, each anchored in the live document and
accepted or rejected one by one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from collaboration.models import Document


class ProposalState(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    MERGED = "merged", "Merged"
    CLOSED = "closed", "Closed"


# States in which a proposal is being reviewed (its branch is shared, it can merge).
REVIEWABLE_STATES = (ProposalState.OPEN, ProposalState.CHANGES_REQUESTED, ProposalState.APPROVED)
ACTIVE_STATES = (ProposalState.DRAFT, *REVIEWABLE_STATES)


class ProposalKind(models.TextChoices):
    BRANCH = "branch", "Branch"
    SUGGESTIONS = "suggestions", "Suggestions"


class Proposal(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="proposals")
    number = models.PositiveIntegerField(help_text="#N, counted per document.")
    kind = models.CharField(
        max_length=16, choices=ProposalKind.choices, default=ProposalKind.BRANCH
    )
    branch = models.OneToOneField(
        Document,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="proposal_of_branch",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposals"
    )
    # People credited with the change beside the author: co-authors invited to the branch,
    # and for a proposal made from an accepted answer, its asker and answerer.
    credited = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="credited_proposals"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    state = models.CharField(
        max_length=20, choices=ProposalState.choices, default=ProposalState.OPEN
    )
    base_revision = models.PositiveIntegerField()
    base_content = models.TextField(blank=True)
    # Where it came from when not typed from scratch (e.g. "answer:12").
    origin = models.CharField(max_length=100, blank=True)
    merged_revision = models.PositiveIntegerField(null=True, blank=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    # Its Git branch (refs/heads/proposals/<number> in the document's repository): the
    # commit of its base, the newest commit and the branch revision that commit holds.
    git_base_sha = models.CharField(max_length=40, blank=True)
    git_head_sha = models.CharField(max_length=40, blank=True)
    git_branch_revision = models.IntegerField(default=-1)
    lines_added = models.PositiveIntegerField(default=0, help_text="Counted when merged.")
    lines_removed = models.PositiveIntegerField(default=0, help_text="Counted when merged.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="contributions_proposal_number"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=ProposalState.values),
                name="contributions_proposal_state_known",
            ),
        ]
        indexes = [
            models.Index(fields=["document", "state"], name="contrib_proposal_doc_state"),
            models.Index(fields=["author", "state"], name="contrib_proposal_author"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"


class ProposalSettings(models.Model):
    """A document's rules for merging proposals (defaults when there is no row)."""

    document = models.OneToOneField(
        Document, on_delete=models.CASCADE, primary_key=True, related_name="proposal_settings"
    )
    required_approvals = models.PositiveSmallIntegerField(
        default=1, help_text="Approvals from reviewers (role reviewer or higher) a merge needs."
    )
    dismiss_stale_approvals = models.BooleanField(
        default=True, help_text="An approval stops counting when the branch changes after it."
    )

    def __str__(self) -> str:
        return f"proposal settings of {self.document_id}"


class ProposalReviewer(models.Model):
    """A reviewer asked for (by the author or an editor) or who assigned themselves."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="reviewers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "user"], name="contributions_reviewer_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} reviews #{self.proposal_id}"


class ReviewVerdict(models.TextChoices):
    APPROVE = "approve", "Approve"
    REQUEST_CHANGES = "request_changes", "Request changes"
    COMMENT = "comment", "Comment"


class Review(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="proposal_reviews"
    )
    verdict = models.CharField(max_length=20, choices=ReviewVerdict.choices)
    body = models.TextField(blank=True)
    branch_revision = models.PositiveIntegerField(
        help_text="The branch revision reviewed (an approval of an older one may be stale)."
    )
    # Whether the reviewer's role counted towards the required approvals when given.
    counts = models.BooleanField(default=False)
    dismissed = models.BooleanField(default=False, help_text="Stale: the branch changed since.")
    helpful = models.BooleanField(
        default=False, help_text="Marked helpful by the proposal's author (reputation)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["reviewer", "-created_at"], name="contrib_review_by")]

    def __str__(self) -> str:
        return f"{self.verdict} by {self.reviewer} on #{self.proposal_id}"


class ReviewComment(models.Model):
    """An inline review comment on the branch text; the range follows the branch's edits
    (the post-commit hook), and is `outdated` when the text it was on is gone."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="comments")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    quote = models.TextField(blank=True, help_text="The text it was made on.")
    revision = models.PositiveIntegerField(help_text="Branch revision the range is at.")
    outdated = models.BooleanField(default=False)
    body = models.TextField()

    class Meta:
        ordering = ["start", "pk"]

    def __str__(self) -> str:
        return f"comment {self.start}-{self.end} on review {self.review_id}"


class ProposalEventKind(models.TextChoices):
    OPENED = "opened", "opened the proposal"
    DRAFTED = "drafted", "turned it back into a draft"
    READY = "ready", "marked it ready for review"
    EDITED = "edited", "edited the title or description"
    REVIEW_REQUESTED = "review_requested", "asked for a review"
    REVIEWED = "reviewed", "reviewed"
    DISMISSED = "dismissed", "approvals went stale"
    REBASED = "rebased", "brought the branch up to date"
    SUGGESTED = "suggested", "suggested a change"
    SUGGESTION_ACCEPTED = "suggestion_accepted", "accepted a suggestion"
    SUGGESTION_REJECTED = "suggestion_rejected", "rejected a suggestion"
    MERGED = "merged", "merged the proposal"
    CLOSED = "closed", "closed the proposal"
    REOPENED = "reopened", "reopened the proposal"


class ProposalEvent(models.Model):
    """The proposal's timeline, as its page shows it."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=24, choices=ProposalEventKind.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} on #{self.proposal_id}"


class SuggestionState(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    OUTDATED = "outdated", "Outdated"


class Suggestion(models.Model):
    """One suggested replacement of document[start:end] by `text` (suggestion mode).

    The range follows every committed edit of the document (post-commit hook); when the
    text it would replace is edited by someone else, the suggestion is outdated.
    """

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="suggestions")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="suggestions")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="suggestions"
    )
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    original = models.TextField(blank=True, help_text="The text it replaces.")
    text = models.TextField(blank=True, help_text="The text suggested in its place.")
    revision = models.PositiveIntegerField(help_text="The document revision the range is at.")
    state = models.CharField(
        max_length=16, choices=SuggestionState.choices, default=SuggestionState.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    merged_revision = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["document", "state"], name="contrib_suggestion_open")]

    def __str__(self) -> str:
        return f"suggestion {self.pk} on {self.document_id}"
