"""A person's contribution statistics, as their profile and the API show them.

Whose work counts where follows collaboration's profile rule
(`documents_listable_on_profile`): on
your own profile, your work on every document (branches aside: their edits reach the
document as the merge, and count there); on anyone else's, only the work on public
documents, whoever looks, because a profile must not advertise private work. Proposals
still in draft count on their author's own profile only.

- proposals opened: every proposal the person opened (branch or suggestions), any state;
- proposals merged: those of them that were merged;
- reviews given, proposals reviewed: review rows, and the distinct proposals they are on;
- lines written: lines added by the person's merged proposals (counted at the merge);
- edits, characters written: committed revisions credited to the person (typed live, sent
  over the API, or a merge of their proposal), and the characters they inserted;
- documents touched: documents the person edited or got a proposal merged into (as author
  or credited co-author).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q, Sum

from collaboration.models import Document, Operation
from collaboration.permissions import is_signed_in
from collaboration.selectors import documents_listable_on_profile

from ..models import Proposal, ProposalState, Review

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


@dataclass(frozen=True)
class ContributionStats:
    proposals_opened: int
    proposals_merged: int
    reviews_given: int
    proposals_reviewed: int
    lines_written: int
    edits: int
    characters_written: int
    documents_touched: int
    public_only: bool  # someone else's profile: only work on public documents counted

    def as_dict(self) -> dict[str, int | bool]:
        return asdict(self)


def contribution_stats(*, person: User, viewer: User | AnonymousUser | None) -> ContributionStats:
    """The person's statistics as `viewer` may see them (see the module docstring)."""
    own = is_signed_in(viewer) and viewer.pk == person.pk
    documents = documents_listable_on_profile(viewer=viewer, person=person).values("pk")
    proposals = Proposal.objects.filter(document__in=documents)
    if not own:
        proposals = proposals.exclude(state=ProposalState.DRAFT)
    merged = Q(state=ProposalState.MERGED)
    authored = proposals.filter(author=person).aggregate(
        opened=Count("pk"),
        merged=Count("pk", filter=merged),
        lines=Sum("lines_added", filter=merged),
    )
    reviews = Review.objects.filter(reviewer=person, proposal__in=proposals.values("pk"))
    reviewed = reviews.aggregate(given=Count("pk"), proposals=Count("proposal_id", distinct=True))
    operations = Operation.objects.filter(user=person, document__in=documents)
    edited = operations.aggregate(edits=Count("pk"), characters=Sum("chars_inserted"))
    merged_into = proposals.filter(merged).filter(Q(author=person) | Q(credited=person))
    touched = Document.objects.filter(
        Q(pk__in=operations.values("document_id")) | Q(pk__in=merged_into.values("document_id"))
    ).count()
    return ContributionStats(
        proposals_opened=authored["opened"],
        proposals_merged=authored["merged"],
        reviews_given=reviewed["given"],
        proposals_reviewed=reviewed["proposals"],
        lines_written=authored["lines"] or 0,
        edits=edited["edits"],
        characters_written=edited["characters"] or 0,
        documents_touched=touched,
        public_only=not own,
    )
