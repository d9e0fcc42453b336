"""Helpers of the semantic search tests: small documents with sections, embedded at once."""

from collaboration.semantic import indexing
from collaboration.semantic.tasks import index_stale_task
from collaboration.tests.factories import DocumentFactory

OVERFITTING = """A model that memorises its training examples does badly on new data.

## Early stopping

Keep the weights from the epoch with the best validation loss, and stop training when
the validation loss has not improved for a number of epochs.

## Dropout

During training, dropout sets each activation to zero with probability p and scales the
survivors, so units cannot rely on specific partners.
"""

Q_LEARNING = """Agents learn from rewards by trial and error.

## Q-learning

Q-learning estimates action values from experience, moving each estimate towards the
Bellman target of reward plus the discounted best next value.
"""


def embedded_document(**fields):
    """A document (DocumentFactory's fields) whose sections are embedded already."""
    document = DocumentFactory(**fields)
    indexing.index_document(document_id=document.pk)
    return document


def embed_everything() -> int:
    """The beat sweep, run until nothing is stale."""
    written = 0
    while count := index_stale_task():
        written += count
    return written


class ConceptEmbedder:
    """A stand-in model whose idea of meaning is written down: words of one concept share
    a dimension, so tests can say which texts are alike without depending on a real model."""

    name = "test/concepts"
    CONCEPTS = (
        ("overfitting", "overfit", "memorising", "memorises", "memorise", "memorize"),
        ("reward", "rewards", "bellman", "agent", "agents"),
        ("softmax", "attention", "scores"),
    )
    dimension = len(CONCEPTS) + 1  # the last: every other word

    def embed(self, texts):
        vectors = []
        for text in texts:
            vector = [0.0] * self.dimension
            for word in text.lower().replace("?", " ").split():
                index = next(
                    (n for n, words in enumerate(self.CONCEPTS) if word in words),
                    len(self.CONCEPTS),
                )
                vector[index] += 1.0 if index < len(self.CONCEPTS) else 0.1
            vectors.append(vector)
        return vectors
