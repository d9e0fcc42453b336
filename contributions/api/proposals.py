"""Proposals over REST: open one (its branch is made from the document's current text),
list and read them, change, close and reopen them, ask for reviews, review (with inline
comments on the branch text), see what merging would do, bring the branch up to date,
merge; a document's merge rules. Views parse, call contributions.proposals and render; a
proposal the person may not see answers 404 like one that does not exist."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response

from collaboration.models import Document
from collaboration.selectors import document_find, document_visible_queryset
from config.api import error_responses

from ..errors import InvalidInput, NotFound
from ..models import ACTIVE_STATES, Proposal, ProposalState, Review, ReviewComment
from ..proposals import lifecycle, merge, reviews, rules
from . import proposal_serializers as s
from .errors import ContributionsApi

# drf-spectacular names a `pk` path parameter "id" (SCHEMA_COERCE_PATH_PK).
PROPOSAL_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
DOCUMENT_REF = OpenApiParameter(
    "ref", OpenApiTypes.STR, OpenApiParameter.PATH, description="The document's id or slug."
)
STATE_FILTERS = {
    "open": list(ACTIVE_STATES[1:]),  # open, changes requested, approved
    **{state: [state] for state in ProposalState.values},
}


def _readable_document(request: Request, ref: str) -> Document:
    document = document_find(ref=ref, queryset=document_visible_queryset(request.user))
    if document is None:
        raise NotFound("No such document, or you may not read it.")
    return document


def _detail(request: Request, proposal: Proposal, code: int = status.HTTP_200_OK) -> Response:
    proposal = (
        Proposal.objects.select_related("document", "branch", "author", "merged_by")
        .prefetch_related(
            "credited",
            Prefetch(
                "reviews",
                queryset=Review.objects.select_related("reviewer").prefetch_related(
                    Prefetch("comments", queryset=ReviewComment.objects.order_by("start", "pk"))
                ),
            ),
            "events__actor",
        )
        .get(pk=proposal.pk)
    )
    data = s.ProposalDetailSerializer(proposal, context={"request": request}).data
    return Response(data, status=code)


@extend_schema(tags=["proposals"])
class ProposalListCreateApi(ContributionsApi, GenericAPIView):
    """Paginated (GenericAPIView brings the paginator, and the schema says so)."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = s.ProposalListSerializer
    filter_backends: list = []

    @extend_schema(
        summary="Proposals you may see",
        parameters=[
            OpenApiParameter("document", OpenApiTypes.STR, description="Document id or slug."),
            OpenApiParameter(
                "state",
                OpenApiTypes.STR,
                enum=list(STATE_FILTERS),
                description="open: open, changes requested or approved.",
            ),
            OpenApiParameter("author", OpenApiTypes.STR, description="A username."),
        ],
        responses={200: s.ProposalListSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request: Request) -> Response:
        proposals = rules.visible_proposals(request.user).select_related(
            "document", "branch", "author"
        )
        ref = request.query_params.get("document")
        if ref:
            proposals = proposals.filter(document=_readable_document(request, ref))
        state = request.query_params.get("state")
        if state:
            if state not in STATE_FILTERS:
                raise InvalidInput(f"state is one of {', '.join(STATE_FILTERS)}.", field="state")
            proposals = proposals.filter(state__in=STATE_FILTERS[state])
        author = request.query_params.get("author")
        if author:
            proposals = proposals.filter(author__username__iexact=author.strip())
        page = self.paginate_queryset(proposals.order_by("-updated_at", "-pk"))
        return self.get_paginated_response(s.ProposalListSerializer(page, many=True).data)

    @extend_schema(
        summary="Propose a change: a branch of the document to edit live, then review",
        request=s.ProposalCreateSerializer,
        responses={201: s.ProposalDetailSerializer, **error_responses(400, 401, 404)},
    )
    def post(self, request: Request) -> Response:
        data = s.ProposalCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        document = _readable_document(request, values["document_id"])
        proposal = lifecycle.proposal_create(
            document=document,
            user=request.user,
            title=values["title"],
            description=values["description"],
            draft=values["draft"],
        )
        return _detail(request, proposal, status.HTTP_201_CREATED)


@extend_schema(tags=["proposals"], parameters=[PROPOSAL_ID])
class ProposalDetailApi(ContributionsApi):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        summary="A proposal with its merge status, reviews, timeline and checks",
        responses={200: s.ProposalDetailSerializer, **error_responses(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return _detail(request, lifecycle.find(user=request.user, proposal_id=pk))

    @extend_schema(
        summary="Change the title or description; draft, ready, close or reopen",
        request=s.ProposalUpdateSerializer,
        responses={200: s.ProposalDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        proposal = lifecycle.find(user=request.user, proposal_id=pk)
        data = s.ProposalUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        proposal = lifecycle.proposal_update(
            proposal=proposal,
            user=request.user,
            title=values.get("title"),
            description=values.get("description"),
        )
        state = values.get("state")
        if state == "closed":
            lifecycle.proposal_close(proposal=proposal, user=request.user)
        elif state == "draft":
            lifecycle.proposal_set_draft(proposal=proposal, user=request.user, draft=True)
        elif state == "open":
            proposal.refresh_from_db()
            if proposal.state == ProposalState.CLOSED:
                lifecycle.proposal_reopen(proposal=proposal, user=request.user)
            else:
                lifecycle.proposal_set_draft(proposal=proposal, user=request.user, draft=False)
        return _detail(request, proposal)


class _ProposalAction(ContributionsApi):
    permission_classes = [IsAuthenticated]

    def proposal(self, request: Request, pk: int) -> Proposal:
        return lifecycle.find(user=request.user, proposal_id=pk)


@extend_schema(tags=["proposals"], parameters=[PROPOSAL_ID])
class ProposalReviewApi(_ProposalAction):
    @extend_schema(
        summary="Review: approve, request changes or comment, with inline comments",
        description="Inline comments are ranges {start, end} of code points in the branch "
        "text as it is now; they follow later edits of the branch.",
        request=s.ReviewCreateSerializer,
        responses={201: s.ReviewSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        proposal = self.proposal(request, pk)
        data = s.ReviewCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        review = reviews.review_submit(
            proposal=proposal,
            user=request.user,
            verdict=values["verdict"],
            body=values["body"],
            comments=[dict(item) for item in values.get("comments", [])],
        )
        return Response(s.ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["proposals"], parameters=[PROPOSAL_ID])
class ProposalMergeApi(_ProposalAction):
    @extend_schema(
        summary="Merge: one revision of the document, credited to the proposal's writers",
        description="409 `not_mergeable` with every reason when it cannot merge now "
        "(approvals missing, changes requested, conflicts, conflict markers, a draft).",
        request=None,
        responses={200: s.ProposalDetailSerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        proposal = merge.proposal_merge(proposal=self.proposal(request, pk), user=request.user)
        return _detail(request, proposal)


@extend_schema(tags=["proposals"], parameters=[PROPOSAL_ID])
class ProposalRebaseApi(_ProposalAction):
    @extend_schema(
        summary="Bring the branch up to date with the document (conflicts get markers)",
        request=None,
        responses={200: s.ProposalDetailSerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        proposal = self.proposal(request, pk)
        merge.proposal_rebase(proposal=proposal, user=request.user)
        return _detail(request, proposal)


@extend_schema(tags=["proposals"], parameters=[PROPOSAL_ID])
class ProposalCloseApi(_ProposalAction):
    @extend_schema(
        summary="Close without merging",
        request=None,
        responses={200: s.ProposalDetailSerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        proposal = lifecycle.proposal_close(proposal=self.proposal(request, pk), user=request.user)
        return _detail(request, proposal)


@extend_schema(tags=["proposals"], parameters=[PROPOSAL_ID])
class ProposalReopenApi(_ProposalAction):
    @extend_schema(
        summary="Reopen a closed proposal",
        request=None,
        responses={200: s.ProposalDetailSerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        proposal = lifecycle.proposal_reopen(proposal=self.proposal(request, pk), user=request.user)
        return _detail(request, proposal)


@extend_schema(tags=["proposals"], parameters=[PROPOSAL_ID])
class ProposalReviewersApi(_ProposalAction):
    @extend_schema(
        summary="Ask for reviews (or name yourself to review it)",
        request=s.ReviewersSerializer,
        responses={200: s.ProposalDetailSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        proposal = self.proposal(request, pk)
        data = s.ReviewersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lifecycle.reviewer_request(
            proposal=proposal, user=request.user, usernames=data.validated_data["usernames"]
        )
        return _detail(request, proposal)


@extend_schema(tags=["proposals"], parameters=[PROPOSAL_ID])
class ProposalCoAuthorsApi(_ProposalAction):
    @extend_schema(
        summary="Invite a co-author: they edit the branch live and are credited",
        request=s.CoAuthorSerializer,
        responses={200: s.ProposalDetailSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        proposal = self.proposal(request, pk)
        data = s.CoAuthorSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lifecycle.co_author_add(
            proposal=proposal, user=request.user, username=data.validated_data["username"]
        )
        return _detail(request, proposal)


@extend_schema(tags=["proposals"], parameters=[PROPOSAL_ID])
class ProposalDiffApi(ContributionsApi):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        summary="What merging would change in the document as it is now (line diff)",
        responses={200: s.ProposalDiffSerializer, **error_responses(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        proposal = lifecycle.find(user=request.user, proposal_id=pk)
        diff = merge.preview_diff(proposal)
        return Response(
            s.ProposalDiffSerializer(
                {key: diff[key] for key in ("clean", "against_revision", "lines", "unified")}
            ).data
        )


@extend_schema(tags=["proposals"])
class ReviewHelpfulApi(ContributionsApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Mark a review of your proposal helpful (its reviewer earns reputation)",
        parameters=[PROPOSAL_ID],
        request=s.HelpfulSerializer,
        responses={200: s.ReviewSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        review = Review.objects.select_related("proposal").filter(pk=pk).first()
        if review is None or not rules.can_see(request.user, review.proposal):
            raise NotFound("No such review.")
        data = s.HelpfulSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = reviews.review_mark_helpful(
            review=review, user=request.user, helpful=data.validated_data["helpful"]
        )
        return Response(s.ReviewSerializer(review).data)


@extend_schema(tags=["proposals"], parameters=[DOCUMENT_REF])
class MergeRulesApi(ContributionsApi):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        summary="The document's merge rules",
        responses={200: s.MergeRulesOutSerializer, **error_responses(404)},
    )
    def get(self, request: Request, ref: str) -> Response:
        return Response(s.merge_rules_data(_readable_document(request, ref)))

    @extend_schema(
        summary="Change the merge rules (owner or moderator)",
        request=s.MergeRulesSerializer,
        responses={200: s.MergeRulesOutSerializer, **error_responses(400, 401, 403, 404)},
    )
    def put(self, request: Request, ref: str) -> Response:
        document = _readable_document(request, ref)
        data = s.MergeRulesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lifecycle.merge_rules_update(document=document, user=request.user, **data.validated_data)
        return Response(s.merge_rules_data(document))


ROUTES = [
    ("proposals", ProposalListCreateApi, "proposals"),
    ("proposals/<int:pk>", ProposalDetailApi, "proposal"),
    ("proposals/<int:pk>/reviews", ProposalReviewApi, "proposal-reviews"),
    ("proposals/<int:pk>/merge", ProposalMergeApi, "proposal-merge"),
    ("proposals/<int:pk>/rebase", ProposalRebaseApi, "proposal-rebase"),
    ("proposals/<int:pk>/close", ProposalCloseApi, "proposal-close"),
    ("proposals/<int:pk>/reopen", ProposalReopenApi, "proposal-reopen"),
    ("proposals/<int:pk>/reviewers", ProposalReviewersApi, "proposal-reviewers"),
    ("proposals/<int:pk>/co-authors", ProposalCoAuthorsApi, "proposal-co-authors"),
    ("proposals/<int:pk>/diff", ProposalDiffApi, "proposal-diff"),
    ("reviews/<int:pk>/helpful", ReviewHelpfulApi, "review-helpful"),
    ("documents/<str:ref>/proposal-rules", MergeRulesApi, "document-proposal-rules"),
]
