"""Keeping the vectors in step: sections are embedded after the commit (a debounced
Celery task, run inline in tests), never inside the edit; only changed sections are
embedded again; the beat sweep embeds questions, answers and whatever a lost task left,
and drops what was deleted."""

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from collaboration import services
from collaboration.models import Embedding
from collaboration.semantic import indexing, tasks
from collaboration.semantic.models import EmbeddingKind
from collaboration.semantic.retrieval import search
from collaboration.tests.factories import DocumentFactory, commit_edit
from collaboration.tests.semantic_helpers import OVERFITTING, embed_everything
from community.tests.factories import AnswerFactory, QuestionFactory

pytestmark = pytest.mark.django_db


def _anchors(document):
    return set(
        Embedding.objects.filter(document=document, kind=EmbeddingKind.SECTION).values_list(
            "anchor", flat=True
        )
    )


def test_an_edit_is_embedded_after_its_commit_and_found_by_meaning(
    django_capture_on_commit_callbacks, eager_tasks
):
    owner = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        document = services.document_create(owner=owner, title="Notes", content="Draft.")
    before = _anchors(document)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        commit_edit(document, owner, [len("Draft."), "\n\n" + OVERFITTING])
    assert _anchors(document) == before  # nothing embedded inside the edit
    assert callbacks

    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()

    assert _anchors(document) == {"", "early-stopping", "dropout"}
    hits = search(user=None, query="my validation error keeps rising", mode="semantic").hits
    assert (hits[0].slug, hits[0].section_anchor) == (document.slug, "early-stopping")


def test_a_burst_of_edits_queues_one_task_per_document(monkeypatch, settings):
    settings.SEMANTIC_INDEX_DEBOUNCE_SECONDS = 7
    queued = []
    monkeypatch.setattr(
        tasks.index_document_task,
        "apply_async",
        lambda args, countdown: queued.append((args, countdown)),
    )

    for _ in range(3):
        tasks.schedule_document_index(41)
    tasks.schedule_document_index(42)
    assert queued == [([41], 7), ([42], 7)]

    tasks.index_document_task(41)  # the task starts: later edits queue the next run
    tasks.schedule_document_index(41)
    assert queued[-1] == ([41], 7)


def test_only_the_sections_whose_text_changed_are_embedded_again(monkeypatch):
    owner = UserFactory()
    document = DocumentFactory(title="Regularisation", content=OVERFITTING, owner=owner)
    indexing.index_document(document_id=document.pk)
    embedded = []
    original = indexing.embed_texts
    monkeypatch.setattr(
        indexing, "embed_texts", lambda texts: embedded.extend(texts) or original(texts)
    )

    indexing.index_document(document_id=document.pk)
    assert embedded == []  # nothing changed

    document.content = OVERFITTING.replace("## Dropout\n", "## Dropout layers\n").replace(
        "with probability p", "with probability p (often 0.1)"
    )
    document.save()
    indexing.index_document(document_id=document.pk)

    assert len(embedded) == 1 and "often 0.1" in embedded[0]
    assert _anchors(document) == {"", "early-stopping", "dropout-layers"}  # old one gone


def test_the_sweep_embeds_questions_and_answers_and_drops_deleted_ones():
    answer = AnswerFactory(content="Use early stopping on the validation loss.")
    question = answer.question

    assert embed_everything() >= 2
    kinds = set(Embedding.objects.values_list("kind", "object_id"))
    assert {(EmbeddingKind.QUESTION, question.pk), (EmbeddingKind.ANSWER, answer.pk)} <= kinds
    assert embed_everything() == 0  # nothing stale any more

    question.deleted_at = timezone.now()
    question.save()
    answer.delete()
    embed_everything()

    assert not Embedding.objects.filter(
        kind__in=[EmbeddingKind.QUESTION, EmbeddingKind.ANSWER]
    ).exists()


def test_an_edited_question_is_embedded_again_by_the_sweep():
    question = QuestionFactory(title="What is dropout?", content="Short question.")
    embed_everything()
    first = Embedding.objects.get(kind=EmbeddingKind.QUESTION, object_id=question.pk)

    question.title = "How does early stopping work?"
    question.save()
    embed_everything()

    second = Embedding.objects.get(kind=EmbeddingKind.QUESTION, object_id=question.pk)
    assert second.title == "How does early stopping work?"
    assert second.text_hash != first.text_hash


def test_branch_documents_are_never_embedded_and_deleted_documents_lose_theirs():
    owner = UserFactory()
    original = DocumentFactory(title="Regularisation", content=OVERFITTING, owner=owner)
    branch = DocumentFactory(title="Proposal", content=OVERFITTING, owner=owner, branch_of=original)
    embed_everything()

    assert not Embedding.objects.filter(document=branch).exists()
    assert _anchors(original) == {"", "early-stopping", "dropout"}
    assert indexing.index_document(document_id=branch.pk) == 0

    services.document_delete(document=original, user=owner)
    assert not Embedding.objects.filter(object_id=original.pk).exists()
