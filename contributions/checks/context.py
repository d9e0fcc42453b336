"""CheckContexts for real documents: other documents' anchors through the collaboration
selectors (as the document's readers see them), thresholds and Node from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from collaboration.markdown import table_of_contents
from collaboration.models import Document, Visibility
from collaboration.selectors import document_visible_queryset

from .types import CheckContext, CodeRunner

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

NO_SANDBOX_HERE = "it runs on the sandbox worker, not during this request."


def _anchor_lookup(user: User | AnonymousUser | None):
    readable = document_visible_queryset(user)
    found: dict[str, set[str] | None] = {}

    def anchors_of(slug: str) -> set[str] | None:
        if slug not in found:
            document = readable.filter(slug=slug).first()
            content = None if document is None else document.content
            found[slug] = None if content is None else {e["id"] for e in table_of_contents(content)}
        return found[slug]

    return anchors_of


def context_for(
    *,
    reader: User | AnonymousUser | None,
    document: Document | None = None,
    run_code: CodeRunner | None = None,
    not_run_reason: str = NO_SANDBOX_HERE,
) -> CheckContext:
    """Links are resolved among the documents `reader` may read."""
    return CheckContext(
        document_slug=document.slug if document is not None else None,
        anchors_of=_anchor_lookup(reader),
        run_code=run_code,
        not_run_reason=not_run_reason,
        readability_min_ease=settings.CHECKS_READABILITY_MIN_EASE,
        readability_max_grade=settings.CHECKS_READABILITY_MAX_GRADE,
        node_binary=settings.CHECKS_NODE or None,
    )


def document_reader(document: Document) -> User | None:
    """Whose reading decides whether a link works: anyone's (public) or the owner's."""
    return None if document.visibility == Visibility.PUBLIC else document.owner
