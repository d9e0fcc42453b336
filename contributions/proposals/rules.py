"""Who may do what with a proposal: the one place these rules live.

- See: whoever may read the document, once the proposal left draft; a draft only its
  author, the people credited on it (co-authors), the document's managers and moderators.
- Change title and description, draft / ready, close, reopen: the author, the document's
  managers (owner) and moderators.
- Review: any signed-in reader of the proposal but its author; an approval counts towards
  the required number when the reviewer's role is reviewer or higher, or they manage the
  document.
- Merge, rebase: merging needs the right to edit the document and a reviewer's role (or
  managing the document); rebasing is the author's (or a manager's) work on the branch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from accounts.roles import Role
from collaboration.permissions import (
    can_edit_document,
    can_manage_document,
    can_read_document,
    is_moderator,
    is_signed_in,
    readable_documents,
)

from ..models import Proposal, ProposalState

if TYPE_CHECKING:
    from accounts.models import User


def is_writer(user, proposal: Proposal) -> bool:
    """The author or a co-author (credited)."""
    if not is_signed_in(user):
        return False
    return proposal.author_id == user.pk or proposal.credited.filter(pk=user.pk).exists()


def can_see(user, proposal: Proposal) -> bool:
    if not can_read_document(user, proposal.document):
        return False
    if proposal.state != ProposalState.DRAFT:
        return True
    return (
        is_writer(user, proposal)
        or can_manage_document(user, proposal.document)
        or is_moderator(user)
    )


def visible_proposals(user, queryset: QuerySet[Proposal] | None = None) -> QuerySet[Proposal]:
    """Narrow `queryset` (default: every proposal) to those `user` may see."""
    proposals = Proposal.objects.all() if queryset is None else queryset
    proposals = proposals.filter(document__in=readable_documents(user).values("pk"))
    if is_moderator(user):
        return proposals
    if not is_signed_in(user):
        return proposals.exclude(state=ProposalState.DRAFT)
    return proposals.filter(
        ~Q(state=ProposalState.DRAFT) | Q(author=user) | Q(credited=user) | Q(document__owner=user)
    ).distinct()


def can_change(user, proposal: Proposal) -> bool:
    if not is_signed_in(user):
        return False
    return proposal.author_id == user.pk or can_manage_document(user, proposal.document)


def is_reviewer_grade(user, proposal: Proposal) -> bool:
    """Whether the user's approval counts towards the required approvals."""
    if not is_signed_in(user):
        return False
    return user.has_role(Role.REVIEWER) or can_manage_document(user, proposal.document)


def can_review(user, proposal: Proposal) -> bool:
    return (
        is_signed_in(user)
        and proposal.author_id != user.pk
        and proposal.state != ProposalState.DRAFT
        and can_see(user, proposal)
    )


def can_merge(user, proposal: Proposal) -> bool:
    return is_reviewer_grade(user, proposal) and can_edit_document(user, proposal.document)


def can_request_reviewer(user: User, proposal: Proposal) -> bool:
    return can_change(user, proposal) or can_edit_document(user, proposal.document)
