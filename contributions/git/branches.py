"""Proposals as Git branches: `refs/heads/proposals/<number>` in the document's repository,
so `git clone` shows every proposal open for review (drafts are private: no branch).

The branch starts at a commit holding the proposal's base text, on top of the document's
main at the time (the sync is forced first, so main holds every revision up to then);
each later sync that finds the branch text changed adds one commit authored by the
proposal's writers. A rebase moves the base: the next commit records the new one in its
message. Runs in Celery (`tasks.git`), under the repository's file lock, idempotently: a
sync that finds nothing new writes nothing.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from collaboration.selectors import document_text

from ..models import Proposal, ProposalKind, ProposalState
from . import authors, repository, sync
from .repository import CommitSpec


def ref_name(proposal: Proposal) -> bytes:
    return f"refs/heads/proposals/{proposal.number}".encode("ascii")


def _message(proposal: Proposal, branch_revision: int) -> str:
    message = (
        f"Proposal #{proposal.number}: {proposal.title} (branch revision {branch_revision}, "
        f"on document revision {proposal.base_revision})\n"
    )
    co_authors = [authors.identity(person) for person in proposal.credited.all()]
    if co_authors:
        message += "\n" + authors.co_author_trailers(co_authors)
    return message


def sync_proposal_branch(*, proposal_id: int) -> str | None:
    """Brings the proposal's Git branch up to date; answers its head commit (None when it
    has no branch: a draft, suggestions, or a proposal that is gone)."""
    proposal = (
        Proposal.objects.select_related("document", "author", "branch")
        .filter(pk=proposal_id, kind=ProposalKind.BRANCH)
        .first()
    )
    if proposal is None:
        return None
    document = proposal.document
    if proposal.state != ProposalState.DRAFT and not proposal.git_base_sha:
        sync.sync_document(document_id=document.pk, force=True)
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
        branch_revision, text = document_text(document_id=proposal.branch_id)
        with repository.locked(document.pk):
            repo = repository.open_or_init(document.pk)
            ref = ref_name(proposal)
            if proposal.state == ProposalState.DRAFT:
                if ref in repo.refs:
                    del repo.refs[ref]
                return None
            path = sync.file_path(document)
            now = timezone.now()
            author = authors.identity(proposal.author)
            if not proposal.git_base_sha:
                main = repository.head(repo)
                spec = CommitSpec(
                    path,
                    proposal.base_content,
                    authors.identity(document.owner),
                    proposal.created_at,
                    proposal.created_at,
                    f"Proposal #{proposal.number} starts from document revision "
                    f"{proposal.base_revision}\n",
                )
                if main and repository.file_at(repo, main, path) == proposal.base_content:
                    proposal.git_base_sha = main
                else:
                    proposal.git_base_sha = repository.write_commit(repo, parent=main, spec=spec)
                proposal.git_head_sha = proposal.git_base_sha
            if branch_revision != proposal.git_branch_revision:
                current = repository.file_at(repo, proposal.git_head_sha, path)
                if current != text:
                    spec = CommitSpec(
                        path, text, author, now, now, _message(proposal, branch_revision)
                    )
                    proposal.git_head_sha = repository.write_commit(
                        repo, parent=proposal.git_head_sha, spec=spec
                    )
                proposal.git_branch_revision = branch_revision
            repo.refs[ref] = proposal.git_head_sha.encode("ascii")
        proposal.save(update_fields=["git_base_sha", "git_head_sha", "git_branch_revision"])
    return proposal.git_head_sha
