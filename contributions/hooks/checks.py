"""The document page's checks panel: the latest quality score with a link to the report,
and each runnable block of the current text with its "verified" badge (Python and library
versions, date) or its regression. Nothing shows when the document has neither."""

from __future__ import annotations

from django.urls import reverse

from collaboration.models import Document
from config import panels

from ..checks import selectors

PANEL_TEMPLATE = "contributions/checks/_document_panel.html"


def document_checks_panel(request, document: Document) -> panels.Panel | None:
    latest = selectors.latest_run(document=document)
    blocks = selectors.block_badges(document=document)
    if latest is None and not blocks:
        return None
    return panels.Panel(
        PANEL_TEMPLATE,
        {
            "latest": latest,
            "blocks": blocks,
            "current_revision": document.revision,
            "report_url": reverse("contributions:checks", args=[document.slug]),
        },
    )


panels.register("document", "contributions.checks", document_checks_panel)
