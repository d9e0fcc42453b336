"""Serializers of the proposal API: input shapes (validated again by the services, which
own the rules) and the proposal as readers see it."""

from __future__ import annotations

from rest_framework import serializers

from ..checks import selectors as check_selectors
from ..models import Proposal, ProposalEvent, Review, ReviewComment, ReviewVerdict
from ..proposals import lifecycle, merge, rules


class ProposalCreateSerializer(serializers.Serializer):
    document_id = serializers.CharField(help_text="The document's id or slug.")
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    draft = serializers.BooleanField(required=False, default=False)


class ProposalUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    state = serializers.ChoiceField(
        choices=["draft", "open", "closed"],
        required=False,
        help_text="draft: back to draft; open: ready for review, or reopen a closed one; "
        "closed: close it.",
    )


class InlineCommentInputSerializer(serializers.Serializer):
    start = serializers.IntegerField(min_value=0)
    end = serializers.IntegerField(min_value=0)
    body = serializers.CharField()


class ReviewCreateSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=ReviewVerdict.values)
    body = serializers.CharField(required=False, allow_blank=True, default="")
    comments = InlineCommentInputSerializer(many=True, required=False)


class ReviewersSerializer(serializers.Serializer):
    usernames = serializers.ListField(child=serializers.CharField(), min_length=1, max_length=20)


class CoAuthorSerializer(serializers.Serializer):
    username = serializers.CharField()


class HelpfulSerializer(serializers.Serializer):
    helpful = serializers.BooleanField(default=True)


class MergeRulesSerializer(serializers.Serializer):
    required_approvals = serializers.IntegerField(min_value=0, max_value=10, required=False)
    dismiss_stale_approvals = serializers.BooleanField(required=False)


class ReviewCommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReviewComment
        fields = ["id", "start", "end", "quote", "revision", "outdated", "body"]


class ReviewSerializer(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="reviewer.username")
    comments = ReviewCommentSerializer(many=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "reviewer",
            "verdict",
            "body",
            "branch_revision",
            "counts",
            "dismissed",
            "helpful",
            "created_at",
            "comments",
        ]


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None, allow_null=True)
    text = serializers.CharField(source="get_kind_display")

    class Meta:
        model = ProposalEvent
        fields = ["id", "kind", "text", "actor", "data", "created_at"]


class ProposalListSerializer(serializers.ModelSerializer):
    document = serializers.SerializerMethodField()
    author = serializers.CharField(source="author.username")
    branch = serializers.SerializerMethodField()

    class Meta:
        model = Proposal
        fields = [
            "id",
            "number",
            "kind",
            "document",
            "branch",
            "title",
            "state",
            "author",
            "base_revision",
            "merged_revision",
            "created_at",
            "updated_at",
        ]

    def get_document(self, proposal: Proposal) -> dict:
        document = proposal.document
        return {"id": document.pk, "slug": document.slug, "title": document.title}

    def get_branch(self, proposal: Proposal) -> dict | None:
        branch = proposal.branch
        if branch is None:
            return None
        return {"id": branch.pk, "slug": branch.slug, "revision": branch.revision}


class ConflictSerializer(serializers.Serializer):
    start = serializers.IntegerField(help_text="In the base text.")
    end = serializers.IntegerField()
    base = serializers.CharField()
    ours = serializers.CharField(help_text="The proposal's version of these lines.")
    theirs = serializers.CharField(help_text="The document's version now.")


class ProposalDetailSerializer(ProposalListSerializer):
    """The proposal with its merge status, reviews, reviewers, timeline and checks."""

    credited = serializers.SlugRelatedField(many=True, read_only=True, slug_field="username")
    reviewers = serializers.SerializerMethodField()
    reviews = ReviewSerializer(many=True)
    events = EventSerializer(many=True)
    merge = serializers.SerializerMethodField()
    checks = serializers.SerializerMethodField()
    can = serializers.SerializerMethodField()
    merged_by = serializers.CharField(source="merged_by.username", default=None, allow_null=True)

    class Meta(ProposalListSerializer.Meta):
        fields = [
            *ProposalListSerializer.Meta.fields,
            "description",
            "credited",
            "origin",
            "merged_by",
            "merged_at",
            "closed_at",
            "lines_added",
            "lines_removed",
            "reviewers",
            "reviews",
            "events",
            "merge",
            "checks",
            "can",
        ]

    def get_reviewers(self, proposal: Proposal) -> list[str]:
        return [row.user.username for row in proposal.reviewers.select_related("user")]

    def get_merge(self, proposal: Proposal) -> dict:
        status = merge.merge_status(proposal)
        return {
            "mergeable": status.mergeable,
            "reasons": status.reasons,
            "approvals": status.approvals,
            "required_approvals": status.required_approvals,
            "conflicts": ConflictSerializer(status.conflicts, many=True).data,
            "has_conflict_markers": status.has_markers,
            "document_revision": status.current_revision,
            "branch_revision": status.branch_revision,
        }

    def get_checks(self, proposal: Proposal) -> dict | None:
        if proposal.branch is None:
            return None
        run = check_selectors.latest_run(document=proposal.branch)
        if run is None:
            return None
        return {
            "revision": run.revision,
            "status": run.status,
            "score": run.score,
            "results": run.results,
        }

    def get_can(self, proposal: Proposal) -> dict:
        user = self.context["request"].user
        return {
            "change": rules.can_change(user, proposal),
            "review": rules.can_review(user, proposal),
            "merge": rules.can_merge(user, proposal),
            "edit_branch": rules.is_writer(user, proposal),
        }


class ProposalDiffSerializer(serializers.Serializer):
    clean = serializers.BooleanField(help_text="False: the diff is from the base (conflicts).")
    against_revision = serializers.IntegerField()
    lines = serializers.ListField(child=serializers.DictField())
    unified = serializers.CharField()


class MergeRulesOutSerializer(serializers.Serializer):
    required_approvals = serializers.IntegerField()
    dismiss_stale_approvals = serializers.BooleanField()


def merge_rules_data(document) -> dict:
    rules_ = lifecycle.merge_rules(document)
    return {
        "required_approvals": rules_.required_approvals,
        "dismiss_stale_approvals": rules_.dismiss_stale_approvals,
    }
