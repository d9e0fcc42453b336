"""Semantic search on the platform's seams: every committed revision schedules a
debounced re-embedding of its document (after the commit, in Celery); the document page
shows related documents, a question's page the sections that may answer it; and the
demo content is embedded once `manage.py seed` has committed it."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.http import HttpRequest

from community.models import Question
from config import panels

from .. import revisions
from ..demo import demo_seeded
from ..models import Document
from .related import related_documents, sections_answering
from .tasks import index_stale_task, schedule_document_index

RELATED_TEMPLATE = "collaboration/semantic/_related_documents.html"
ANSWERING_TEMPLATE = "collaboration/semantic/_may_answer.html"


@revisions.receiver("collaboration.semantic", batch=True)
def revisions_committed(events: list[revisions.RevisionEvent]) -> None:
    """Cheap by design: nothing is embedded here, a task is queued after the commit (once
    per delivery)."""
    transaction.on_commit(partial(schedule_document_index, events[-1].document_id), robust=True)


def related_documents_panel(request: HttpRequest, document: Document) -> panels.Panel | None:
    related = related_documents(user=request.user, document=document)
    if not related:
        return None
    return panels.Panel(RELATED_TEMPLATE, {"documents": [doc for doc, _ in related]})


def may_answer_panel(request: HttpRequest, question: Question) -> panels.Panel | None:
    links = sections_answering(
        user=request.user,
        question_id=question.pk,
        text=f"{question.title}\n{question.content}",
    )
    if not links:
        return None
    return panels.Panel(ANSWERING_TEMPLATE, {"links": links})


def embed_demo_content(**_kwargs) -> None:
    """Receiver of `demo_seeded` (inside the seed's transaction): embeds everything once
    the seed has committed, so search by meaning works on a fresh demo site at once."""
    transaction.on_commit(index_stale_task.delay, robust=True)


panels.register("document", "collaboration.semantic.related", related_documents_panel)
panels.register("question", "collaboration.semantic.may_answer", may_answer_panel)
demo_seeded.connect(embed_demo_content, dispatch_uid="collaboration.semantic.demo")
