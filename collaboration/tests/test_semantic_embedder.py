"""The embedder: the default model loads and embeds with no network at all, and another
model configured by EMBEDDINGS_BACKEND is used, its name and dimension stored with every
vector (and the old model's vectors embedded again by the sweep)."""

import hashlib
import os
import socket

import numpy as np
import pytest
from django.db import connection

from collaboration.models import Embedding
from collaboration.semantic import embedders, indexing, vectors
from collaboration.semantic.embedders import EmbeddingsUnavailable, WordLlamaEmbedder
from collaboration.tests.factories import DocumentFactory
from collaboration.tests.semantic_helpers import OVERFITTING, embed_everything


class HashingEmbedder:
    """A tiny stand-in model: words hashed into 8 buckets."""

    name = "test/hashing-8"
    dimension = 8

    def embed(self, texts):
        vectors = []
        for text in texts:
            vector = [0.0] * self.dimension
            for word in text.lower().split():
                vector[hashlib.sha256(word.encode()).digest()[0] % self.dimension] += 1.0
            vectors.append(vector)
        return vectors


class NotAnEmbedder:
    """Has none of the Embedder protocol: configuring it must be refused."""


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("this test has no network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)


def _cosine(a, b) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_the_default_model_loads_and_embeds_without_any_network(no_network):
    model = WordLlamaEmbedder()  # a fresh load, from the wheel's own files

    question, answer, unrelated = model.embed(
        [
            "why does my validation loss go up",
            "the validation loss rises when the model starts to overfit",
            "a kernel slides over the pixels of an image",
        ]
    )

    assert model.dimension == 256 and model.name == "wordllama/l2_supercat-256"
    assert len(question) == len(answer) == len(unrelated) == 256
    assert _cosine(question, answer) > _cosine(question, unrelated) + 0.2
    assert os.environ["HF_HUB_OFFLINE"] == "1"  # anything else that tried would refuse


def test_stored_vectors_carry_their_model_and_have_length_one(db):
    document = DocumentFactory(title="Regularisation", content=OVERFITTING)

    assert indexing.index_document(document_id=document.pk) == 4  # lead, 2 sections, whole

    for row in Embedding.objects.filter(document=document):
        assert (row.model, row.dimension) == ("wordllama/l2_supercat-256", 256)
        assert len(row.vector) == 256
        assert np.linalg.norm(row.vector) == pytest.approx(1.0, abs=1e-4)


def test_another_configured_model_is_used_and_the_sweep_replaces_the_old_vectors(db, settings):
    settings.EMBEDDINGS_BACKEND = "collaboration.tests.test_semantic_embedder.HashingEmbedder"
    document = DocumentFactory(title="Regularisation", content=OVERFITTING)
    indexing.index_document(document_id=document.pk)
    assert set(Embedding.objects.values_list("model", "dimension")) == {("test/hashing-8", 8)}
    assert not indexing.stale_documents().exists()

    settings.EMBEDDINGS_BACKEND = "collaboration.semantic.embedders.WordLlamaEmbedder"
    assert list(indexing.stale_documents()) == [document]  # made by another model
    embed_everything()

    assert set(Embedding.objects.values_list("model", "dimension")) == {
        ("wordllama/l2_supercat-256", 256)
    }


@pytest.mark.parametrize(
    "path",
    [
        "collaboration.tests.test_semantic_embedder.NoSuchClass",
        "collaboration.tests.test_semantic_embedder.NotAnEmbedder",
    ],
)
def test_a_wrong_backend_setting_is_a_clear_error(settings, path):
    settings.EMBEDDINGS_BACKEND = path
    with pytest.raises(EmbeddingsUnavailable, match="EMBEDDINGS_BACKEND"):
        embedders.embedder()


def test_vectors_live_in_pgvector_where_it_is_installed_and_in_a_plain_column_elsewhere(db):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
            expected = "pgvector" if cursor.fetchone() else "array"
    else:
        expected = "json"
    assert vectors.storage() == expected

    document = DocumentFactory(title="Regularisation", content=OVERFITTING)
    indexing.index_document(document_id=document.pk)
    row = Embedding.objects.filter(document=document).first()
    query = row.vector  # read back as floats whatever the column type
    [(found, similarity)] = vectors.nearest(
        Embedding.objects.filter(pk=row.pk), query, limit=5, min_similarity=0.99
    )
    assert found.pk == row.pk and similarity == pytest.approx(1.0, abs=1e-4)
