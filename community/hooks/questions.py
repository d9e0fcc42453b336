"""Registrations of Q&A with the platform's seams; imported once by CommunityConfig.ready().

The document page shows the questions about that document, newest activity first, and
a way to ask one about it (or one of its sections). Questions the reader may not see
(hidden, deleted) are left out by the selector.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.http import urlencode

from collaboration.models import Document
from collaboration.permissions import is_signed_in
from config import panels

from ..selectors.questions import document_sections, questions_about_document

PANEL_TEMPLATE = "community/_document_questions.html"
PANEL_QUESTIONS = 8


def document_questions_panel(request, document: Document) -> panels.Panel:
    questions, count = questions_about_document(
        user=request.user, document=document, limit=PANEL_QUESTIONS
    )
    list_url = reverse("community:question-list")
    return panels.Panel(
        PANEL_TEMPLATE,
        {
            "document": document,
            "questions": questions,
            "count": count,
            "sections": document_sections(document),
            "ask_url": reverse("community:question-ask"),
            "list_url": f"{list_url}?{urlencode({'document': document.slug})}",
            "signed_in": is_signed_in(request.user),
        },
    )


panels.register("document", "community.questions", document_questions_panel)
