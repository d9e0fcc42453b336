"""Related content by meaning: "Related documents" on a document page, "This may answer
your question" on a question page, similar questions while asking, and recommendations
"Similar to" what someone read; never anything its reader may not see."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from collaboration.models import DocumentRead, Visibility
from collaboration.recommendations import recommend_documents
from collaboration.semantic.related import related_documents
from collaboration.tests.factories import DocumentFactory
from collaboration.tests.semantic_helpers import (
    OVERFITTING,
    Q_LEARNING,
    embed_everything,
    embedded_document,
)
from community.tests.factories import QuestionFactory

pytestmark = pytest.mark.django_db

PRACTICE = """When the training loss keeps falling while the validation loss rises, the model
overfits its training data.

## Remedies

Regularise it: weight decay, dropout, data augmentation and early stopping on the
validation loss all reduce overfitting.
"""


@pytest.fixture
def documents():
    owner = UserFactory(username="olga")
    return {
        "regularisation": embedded_document(
            title="Regularisation", slug="regularisation", content=OVERFITTING, owner=owner
        ),
        "practice": embedded_document(
            title="Overfitting in practice", slug="overfitting-in-practice", content=PRACTICE
        ),
        "rl": embedded_document(title="Reinforcement learning", slug="rl", content=Q_LEARNING),
        "private": embedded_document(
            title="Private overfitting notes",
            slug="private-overfitting-notes",
            content=PRACTICE,
            visibility=Visibility.PRIVATE,
        ),
    }


def test_a_document_page_shows_related_documents_its_reader_may_see(client, documents):
    body = client.get(documents["regularisation"].get_absolute_url()).content.decode()

    assert "Related documents" in body
    assert 'href="/docs/overfitting-in-practice/"' in body
    assert "Private overfitting notes" not in body
    assert 'href="/docs/rl/"' not in body  # about something else
    found = related_documents(user=None, document=documents["regularisation"])
    assert [doc.slug for doc, _ in found] == ["overfitting-in-practice"]


def test_a_document_not_embedded_yet_has_no_related_panel(client, documents):
    unseen = DocumentFactory(title="Not embedded yet", content=PRACTICE)

    assert "Related documents" not in client.get(unseen.get_absolute_url()).content.decode()
    assert related_documents(user=None, document=unseen) == []


def test_a_question_page_links_the_sections_that_may_answer_it(client, documents):
    question = QuestionFactory(
        title="When should I stop training my network?",
        content="My validation loss has not improved for many epochs.",
    )
    embed_everything()

    body = client.get(reverse("community:question-detail", args=[question.pk])).content.decode()

    assert "This may answer your question" in body
    assert 'href="/docs/regularisation/#early-stopping"' in body
    assert "private-overfitting-notes" not in body


def test_similar_questions_while_asking_include_those_alike_in_meaning(api_client, settings):
    settings.EMBEDDINGS_BACKEND = "collaboration.tests.semantic_helpers.ConceptEmbedder"
    alike = QuestionFactory(title="Why does my network overfit?", content="Details.")
    hidden = QuestionFactory(title="Is my model overfitting?", is_hidden=True)
    QuestionFactory(title="What is a Bellman target?", content="In Q-learning.")
    embed_everything()

    # No word in common with the alike question's title or text: found by meaning only.
    found = api_client.get("/api/questions/similar", {"title": "it memorises everything"})

    assert [q["id"] for q in found.json()] == [alike.pk]
    assert hidden.pk not in [q["id"] for q in found.json()]


def test_recommendations_include_documents_like_what_you_read(documents):
    reader = UserFactory()
    DocumentRead.objects.create(
        user=reader,
        document=documents["regularisation"],
        read_at=timezone.now() - timedelta(days=45),  # old enough to be recommended again
    )

    recommendations = recommend_documents(user=reader, limit=5)

    reasons = {r.document.slug: r.reason for r in recommendations}
    assert reasons["overfitting-in-practice"] == "Similar to Regularisation"
    assert "private-overfitting-notes" not in reasons
