"""Turning text into vectors, behind one small interface.

An embedder has a `name` (stored with every vector), a `dimension`, and `embed(texts)`
returning one vector per text. `embedder()` builds the one named by the
EMBEDDINGS_BACKEND setting (a dotted path to a class taking no arguments) once per
process, so a larger local model or an external service is a setting away; vectors made
by another model are never compared with the configured one's (see `models`).

The default, `WordLlamaEmbedder`, runs on this machine with no download ever: the
`wordllama` wheel from PyPI carries its 256-dimension weights and tokenizer, and they are
loaded from the package's own folder with downloads disabled (the library would otherwise
fetch the tokenizer from Hugging Face, since it looks for it under a folder name the
wheel does not use).
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string


class EmbeddingsUnavailable(RuntimeError):
    """The configured embedder cannot be loaded or cannot answer."""


@runtime_checkable
class Embedder(Protocol):
    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order."""
        ...


def normalise(vector: Sequence[float]) -> list[float]:
    """The vector scaled to length 1 (stored vectors are, so a dot product is a cosine)."""
    norm = math.sqrt(sum(x * x for x in vector))
    if norm == 0.0:
        return [0.0 for _ in vector]
    return [float(x) / norm for x in vector]


class WordLlamaEmbedder:
    """WordLlama's "l2_supercat" model at 256 dimensions, from the installed wheel."""

    config = "l2_supercat"
    dimension = 256
    name = f"wordllama/{config}-{dimension}"

    def __init__(self) -> None:
        # Nothing below may reach the network; this makes any Hugging Face client that a
        # dependency might start refuse instead of trying.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            # Imported here, not at the top: only processes that embed pay for its import
            # (numpy, tokenizers, safetensors: a quarter of a second).
            import wordllama
        except ImportError as exc:
            raise EmbeddingsUnavailable("the wordllama package is not installed") from exc
        folder = Path(wordllama.__file__).resolve().parent
        weights = folder / "weights" / f"{self.config}_{self.dimension}.safetensors"
        if not weights.is_file():
            raise EmbeddingsUnavailable(f"wordllama's weights are missing: {weights}")
        try:
            # The package folder as the "cache": weights/ and tokenizers/ are both there.
            self._model = wordllama.WordLlama.load(
                config=self.config,
                dim=self.dimension,
                cache_dir=folder,
                disable_download=True,
            )
        except (FileNotFoundError, ValueError, OSError) as exc:
            raise EmbeddingsUnavailable(f"wordllama could not load: {exc}") from exc

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        matrix = self._model.embed(list(texts), norm=True)
        return [[float(x) for x in row] for row in matrix]


_lock = threading.Lock()
_cache: dict[str, Embedder] = {}


def embedder() -> Embedder:
    """The configured embedder, built once per process (loading a model takes a while)."""
    path = settings.EMBEDDINGS_BACKEND
    found = _cache.get(path)
    if found is not None:
        return found
    with _lock:
        if path not in _cache:
            try:
                factory = import_string(path)
            except ImportError as exc:
                raise EmbeddingsUnavailable(f"EMBEDDINGS_BACKEND {path!r}: {exc}") from exc
            built = factory()
            if not isinstance(built, Embedder):
                raise EmbeddingsUnavailable(f"EMBEDDINGS_BACKEND {path!r} is not an embedder")
            _cache[path] = built
        return _cache[path]


def embed_texts(texts: Sequence[str]) -> list[list[float]]:
    """The configured embedder's unit vectors for `texts`."""
    model = embedder()
    vectors = model.embed(list(texts))
    if len(vectors) != len(texts):
        raise EmbeddingsUnavailable(
            f"{model.name} returned {len(vectors)} vectors for {len(texts)} texts"
        )
    return [normalise(v) for v in vectors]


@lru_cache(maxsize=512)
def _query_vector(path: str, text: str) -> tuple[float, ...]:
    return tuple(embed_texts([text])[0])


def embed_query(text: str) -> list[float]:
    """The vector of a search query or a title being typed (remembered per process: the
    same query comes back for its next page, or while someone is typing)."""
    return list(_query_vector(settings.EMBEDDINGS_BACKEND, text))
