"""The contributions' demo content for `manage.py seed`: a proposal open for review, so a
newcomer finds a branch, its diff, a review and the merge button on the first visit."""

from __future__ import annotations

import uuid

from collaboration import history
from collaboration.models import Document, EditSource
from collaboration.services import document_apply_operation

from ..models import Proposal
from ..proposals import lifecycle, reviews

DOCUMENT = "gradient-descent-and-optimisers"
TITLE = "Say when to prefer AdamW over Adam"
ADDITION = (
    "\n## Adam or AdamW?\n\n"
    "Prefer AdamW when you use weight decay: it applies the decay to the weights directly "
    "instead of through the gradient, so the decay is not scaled down by Adam's adaptive "
    "step sizes (Loshchilov & Hutter, 2019).\n"
)


def seed_proposals(*, users: dict, documents: dict[str, Document], **_kwargs) -> None:
    """Receiver of `collaboration.demo.demo_seeded` (inside the seed's transaction)."""
    document = documents.get(DOCUMENT)
    if document is None or "lena" not in users or "rui" not in users:
        return
    if Proposal.objects.filter(document=document, title=TITLE).exists():
        return
    author = users["lena"]
    proposal = lifecycle.proposal_create(
        document=document,
        user=author,
        title=TITLE,
        description="Learners keep asking which one to use; one paragraph answers it.",
    )
    branch = proposal.branch
    document_apply_operation(
        document_id=branch.pk,
        user=author,
        base_revision=branch.revision,
        client_op_id=f"demo-{uuid.uuid4()}",
        ops=history.minimal_operation(
            branch.content, branch.content.rstrip("\n") + "\n" + ADDITION
        ),
        source=EditSource.SYSTEM,
    )
    reviews.review_submit(
        proposal=proposal,
        user=users["rui"],
        verdict="approve",
        body="Clear and correct. Worth a link to the paper, but fine to merge as is.",
    )
