"""Merging a branch proposal into its document, and rebasing its branch onto the document
as it is now.

A merge is three-way (`merging.three_way_texts`): the branch's changes since its base and
the document's changes since the same base, both on the base text. Clean: the result is
committed as one revision through the edit service (`document_rewrite`, under the
document's row lock, so the text it replaces is exactly the text the merge was computed
on), credited to the proposal's author and recorded as a merge by the reviewer; live
editors receive it as any revision, and their own edits in flight are transformed past
it. Conflicts: nothing is committed; the proposal shows them, and its author rebases:
the branch becomes the merged text with conflict markers around each conflict, the base
moves to the document's current revision, and the merge waits until no marker is left.
"""

from __future__ import annotations

import difflib
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from collaboration import history
from collaboration.locking import take_sqlite_write_lock
from collaboration.models import Document, EditSource
from collaboration.selectors import document_text
from collaboration.services import ActionForbidden, RewriteAborted, document_rewrite
from contributions.git import sync as git_sync

from ..errors import Conflict, NotAllowed
from ..models import Proposal, ProposalEventKind, ProposalKind, ProposalState
from . import credit, frames, lifecycle, merging, rules

if TYPE_CHECKING:
    from accounts.models import User


@dataclass
class MergeStatus:
    """Whether the proposal can merge now, and every reason it cannot."""

    mergeable: bool
    reasons: list[str] = field(default_factory=list)
    conflicts: list[merging.Conflict] = field(default_factory=list)
    approvals: int = 0
    required_approvals: int = 1
    has_markers: bool = False
    result: merging.ThreeWay | None = None
    current_revision: int = 0
    branch_revision: int = 0


def _labels(proposal: Proposal, revision: int) -> tuple[str, str]:
    return (f"proposal #{proposal.number}", f"document (revision {revision})")


def three_way_now(
    proposal: Proposal, *, current_revision: int, current: str, branch: str
) -> merging.ThreeWay:
    ours_label, theirs_label = _labels(proposal, current_revision)
    return merging.three_way_texts(
        proposal.base_content, branch, current, ours_label=ours_label, theirs_label=theirs_label
    )


def _branch_text(proposal: Proposal) -> tuple[int, str]:
    return document_text(document_id=proposal.branch_id)


def _reasons(proposal: Proposal, result: merging.ThreeWay, branch: str) -> MergeStatus:
    settings_ = lifecycle.merge_rules(proposal.document)
    status = MergeStatus(
        mergeable=False,
        approvals=lifecycle.approval_count(proposal),
        required_approvals=settings_.required_approvals,
        conflicts=result.conflicts,
        result=result,
        has_markers=merging.has_conflict_markers(branch),
    )
    if proposal.state == ProposalState.DRAFT:
        status.reasons.append("It is a draft: mark it ready for review first.")
    elif proposal.state not in (
        ProposalState.OPEN,
        ProposalState.APPROVED,
        ProposalState.CHANGES_REQUESTED,
    ):
        status.reasons.append(f"It is {proposal.get_state_display().lower()}.")
    blocking = lifecycle.blocking_reviews(proposal)
    if blocking:
        names = ", ".join(sorted(review.reviewer.username for review in blocking))
        status.reasons.append(f"Changes were requested by {names}.")
    if status.approvals < status.required_approvals:
        status.reasons.append(
            f"It needs {status.required_approvals} approval"
            f"{'s' if status.required_approvals != 1 else ''} from reviewers; "
            f"it has {status.approvals}."
        )
    if result.conflicts:
        status.reasons.append(
            "The document changed the same text since: bring the branch up to date and "
            "resolve the conflicts."
        )
    if status.has_markers:
        status.reasons.append("The branch still holds conflict markers (<<<<<<<): resolve them.")
    status.mergeable = not status.reasons
    return status


def merge_status(proposal: Proposal) -> MergeStatus:
    """Whether the proposal could merge now (the page and the API show the reasons)."""
    if proposal.kind != ProposalKind.BRANCH:
        return MergeStatus(mergeable=False, reasons=["Suggestions are accepted one by one."])
    current_revision, current = document_text(document_id=proposal.document_id)
    branch_revision, branch = _branch_text(proposal)
    status = _reasons(
        proposal,
        three_way_now(proposal, current_revision=current_revision, current=current, branch=branch),
        branch,
    )
    status.current_revision = current_revision
    status.branch_revision = branch_revision
    return status


def _line_counts(before: str, after: str) -> tuple[int, int]:
    added = removed = 0
    for line in history.diff_lines(before, after):
        if line["op"] == "insert":
            added += 1
        elif line["op"] == "delete":
            removed += 1
    return added, removed


def proposal_merge(*, proposal: Proposal, user: User) -> Proposal:
    """Merges the proposal (see the module docstring); Conflict with every reason when
    it cannot merge now, NotAllowed when the user may not merge it."""
    if not rules.can_merge(user, proposal):
        raise NotAllowed("Merging needs the right to edit the document and a reviewer's role.")
    if proposal.kind != ProposalKind.BRANCH:
        raise Conflict("Suggestions are accepted one by one, or all at once from the document.")
    client_op_id = f"merge-{proposal.pk}-{uuid.uuid4().hex[:12]}"
    outcome: dict = {}

    def rewrite(revision: int, current: str) -> str:
        # Runs with the document's row locked: lock the proposal too, and decide on the
        # texts as they are at this instant.
        locked = Proposal.objects.select_for_update().select_related("document").get(pk=proposal.pk)
        if locked.state == ProposalState.MERGED:
            raise Conflict("This proposal is already merged.")
        branch_revision, branch = _branch_text(locked)
        status = _reasons(
            locked,
            three_way_now(locked, current_revision=revision, current=current, branch=branch),
            branch,
        )
        if not status.mergeable:
            raise Conflict(" ".join(status.reasons), code="not_mergeable")
        outcome.update(proposal=locked, branch=branch, branch_revision=branch_revision)
        return status.result.text

    with transaction.atomic():
        try:
            result = document_rewrite(
                document_id=proposal.document_id,
                user=user,
                author=proposal.author,
                rewrite=rewrite,
                source=EditSource.MERGE,
                client_op_id=client_op_id,
            )
        except ActionForbidden as exc:
            raise NotAllowed(str(exc)) from None
        except RewriteAborted as exc:
            raise Conflict(str(exc)) from None
        if result.error is not None:
            raise Conflict(result.error.message, code=result.error.code)
        locked: Proposal = outcome["proposal"]
        added, removed = _line_counts(locked.base_content, outcome["branch"])
        locked.state = ProposalState.MERGED
        locked.merged_revision = result.revision
        locked.merged_by = user
        locked.merged_at = timezone.now()
        locked.lines_added, locked.lines_removed = added, removed
        locked.save(
            update_fields=[
                "state",
                "merged_revision",
                "merged_by",
                "merged_at",
                "lines_added",
                "lines_removed",
                "updated_at",
            ]
        )
        lifecycle.record(
            locked,
            user,
            ProposalEventKind.MERGED,
            revision=result.revision,
            branch_revision=outcome["branch_revision"],
        )
        frames.notify_author_on_commit(
            locked,
            kind="proposal_merged",
            title=f"{user.username} merged “{locked.title}”",
            by=user,
        )
        credit.proposal_merged(locked)
        authors = [locked.author, *locked.credited.all()]
        transaction.on_commit(
            lambda: git_sync.commit_merge(
                locked.document,
                result.revision,
                f"Merge proposal #{locked.number}: {locked.title}",
                authors,
            ),
            robust=True,
        )
    return locked


def proposal_rebase(*, proposal: Proposal, user: User) -> merging.ThreeWay:
    """Brings the branch up to date with the document: the branch becomes the three-way
    result (with conflict markers where both sides changed the same lines) and the base
    moves to the document's current revision. Answers the merge result (its conflicts)."""
    if not rules.can_change(user, proposal) and not rules.is_writer(user, proposal):
        raise NotAllowed("Only the proposal's writers may bring its branch up to date.")
    if proposal.kind != ProposalKind.BRANCH:
        raise Conflict("Suggestions follow the document by themselves.")
    if proposal.state in (ProposalState.MERGED, ProposalState.CLOSED):
        raise Conflict("Reopen the proposal first.")
    with transaction.atomic():
        take_sqlite_write_lock(Document, proposal.document_id)
        current_revision, current = document_text(document_id=proposal.document_id, for_update=True)
        locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
        answer: dict = {}

        def rewrite(_revision: int, branch: str) -> str:
            result = three_way_now(
                locked, current_revision=current_revision, current=current, branch=branch
            )
            answer["result"] = result
            return result.marked

        try:
            committed = document_rewrite(
                document_id=locked.branch_id,
                user=user,
                rewrite=rewrite,
                source=EditSource.MERGE,
            )
        except ActionForbidden as exc:
            raise NotAllowed(str(exc)) from None
        if committed.error is not None:
            raise Conflict(committed.error.message, code=committed.error.code)
        locked.base_revision = current_revision
        locked.base_content = current
        locked.save(update_fields=["base_revision", "base_content", "updated_at"])
        result: merging.ThreeWay = answer["result"]
        lifecycle.record(
            locked,
            user,
            ProposalEventKind.REBASED,
            base_revision=current_revision,
            conflicts=len(result.conflicts),
        )
    return result


def _diff(before: str, after: str, *, clean: bool, against_revision: int, label: str) -> dict:
    return {
        "before": before,
        "after": after,
        "clean": clean,
        "against_revision": against_revision,
        "lines": history.diff_lines(before, after),
        "unified": "".join(
            difflib.unified_diff(
                before.splitlines(keepends=True),
                after.splitlines(keepends=True),
                fromfile=f"revision {against_revision}",
                tofile=label,
            )
        ),
    }


def preview_diff(proposal: Proposal) -> dict:
    """What the proposal changes, as a line diff (`lines`: equal / insert / delete, and
    `unified`): from the document as it is now to the merge result when it merges
    cleanly; from the base to the branch when there are conflicts (`clean` false) or
    once it is merged."""
    label = f"proposal #{proposal.number}"
    current_revision, current = document_text(document_id=proposal.document_id)
    if proposal.kind != ProposalKind.BRANCH:
        return _diff(current, current, clean=True, against_revision=current_revision, label=label)
    _branch_revision, branch = _branch_text(proposal)
    if proposal.state == ProposalState.MERGED:
        return _diff(
            proposal.base_content,
            branch,
            clean=True,
            against_revision=proposal.base_revision,
            label=label,
        )
    result = three_way_now(
        proposal, current_revision=current_revision, current=current, branch=branch
    )
    if result.clean:
        return _diff(
            current, result.text, clean=True, against_revision=current_revision, label=label
        )
    return _diff(
        proposal.base_content,
        branch,
        clean=False,
        against_revision=proposal.base_revision,
        label=label,
    )
