"""AMAs on the platform's seams: the document page's FAQ panel (config.panels: entries made
from AMA answers, and sessions about the document coming up or live, so readers find
them), and the demo sessions (`manage.py seed`)."""

from __future__ import annotations

from django.http import HttpRequest

from collaboration.demo import demo_seeded
from collaboration.models import Document
from config import panels

from ..demo.amas import seed_amas
from ..models import AmaState
from ..rendering import render_post
from ..selectors import amas as selectors
from ..services.amas_faq import faq_can_remove

TEMPLATE = "community/amas/_document_faq.html"


def document_faq_panel(request: HttpRequest, document: Document) -> panels.Panel | None:
    entries = list(selectors.faq_of_document(document=document))
    coming = document.amas.filter(state__in=(AmaState.SCHEDULED, AmaState.LIVE))
    sessions = list(coming.order_by("starts_at")[:3])
    if not entries and not sessions:
        return None
    for entry in entries:
        entry.can_remove = faq_can_remove(request.user, entry)
        entry.answer_html = render_post(entry.answer)
    return panels.Panel(TEMPLATE, {"entries": entries, "sessions": sessions, "document": document})


panels.register("document", "community.amas_faq", document_faq_panel)
demo_seeded.connect(seed_amas, dispatch_uid="community.demo.amas")
