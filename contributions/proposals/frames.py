"""What proposals tell open pages and people: live notices on the topics of the document
and of the branch (`{"type": "proposal", "event": ..., "proposal": {...}}`, id 0: a page
that reconnects reads the proposal again over REST), and notifications."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.urls import reverse

from collaboration.realtime import publish
from community.tasks.notifications import notify_on_commit

from ..models import Proposal

FRAME_TYPE = "proposal"


def summary(proposal: Proposal) -> dict:
    """The proposal as a notice carries it (what any reader of it may see)."""
    return {
        "id": proposal.pk,
        "number": proposal.number,
        "document_id": proposal.document_id,
        "branch_id": proposal.branch_id,
        "kind": proposal.kind,
        "title": proposal.title,
        "state": proposal.state,
        "author": proposal.author.username,
        "url": url_of(proposal),
    }


def url_of(proposal: Proposal) -> str:
    return reverse("contributions:proposal", args=[proposal.pk])


def _send(document_ids: list[int], frame: dict) -> None:
    for document_id in document_ids:
        publish.notice_to_document(document_id, frame)


def announce_on_commit(
    proposal: Proposal, event: str, *, branch_only: bool = False, **extra
) -> None:
    """A notice to the document's and the branch's topics once the transaction commits.

    Drafts are announced on the branch only: the document's readers may not see them."""
    frame = {"type": FRAME_TYPE, "event": event, "proposal": summary(proposal), **extra}
    targets = [proposal.branch_id] if proposal.branch_id else []
    if proposal.state != "draft" and not branch_only:
        targets.insert(0, proposal.document_id)
    transaction.on_commit(partial(_send, targets, frame), robust=True)


def notify_reviewers_on_commit(proposal: Proposal, people: list, *, by) -> None:
    notify_on_commit(
        recipient_ids=[person.pk for person in people if person.pk != by.pk],
        kind="review_requested",
        key=f"proposal:{proposal.pk}:review-request",
        title=f"{by.username} asked for your review of “{proposal.title}”",
        url=url_of(proposal),
        actor_id=by.pk,
        target_type="proposal",
        target_id=proposal.pk,
    )


def notify_author_on_commit(proposal: Proposal, *, kind: str, title: str, by) -> None:
    """Tells the author and co-authors (not the person who acted)."""
    recipients = {proposal.author_id, *proposal.credited.values_list("pk", flat=True)}
    recipients.discard(by.pk)
    if recipients:
        notify_on_commit(
            recipient_ids=sorted(recipients),
            kind=kind,
            key=f"proposal:{proposal.pk}:{kind}",
            title=title,
            url=url_of(proposal),
            actor_id=by.pk,
            target_type="proposal",
            target_id=proposal.pk,
        )
