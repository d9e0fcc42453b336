"""Pure helpers of hybrid search: reciprocal-rank fusion, trigram similarity, query words.

Reciprocal-rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009) scores each item by
sum(weight / (k + rank)) over the rankings it appears in (rank 1 is the best). It needs
no calibration between the rankers' own scores, which is why keyword ranks, trigram
similarities and cosine similarities can be combined at all; k = 60 is the paper's value.

The trigram functions follow pg_trgm (lower-cased words, each padded with two spaces in
front and one behind), so SQLite ranks titles the way PostgreSQL does.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

RRF_K = 60

# Words that say nothing about a topic (for matching query words inside a section).
STOP_WORDS = frozenset([
    "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be",
    "because", "been", "before", "being", "between", "both", "but", "by", "can", "could",
    "did", "do", "does", "doing", "during", "each", "few", "for", "from", "further", "had",
    "has", "have", "having", "how", "i", "if", "in", "into", "is", "it", "its", "itself",
    "just", "me", "more", "most", "my", "no", "nor", "not", "now", "of", "off", "on", "once",
    "only", "or", "other", "our", "out", "over", "own", "same", "should", "so", "some", "such",
    "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those",
    "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what",
    "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you",
    "your", "yours", "vs",
])  # fmt: skip

_WORD = re.compile(r"\w+")


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[K]],
    *,
    k: int = RRF_K,
    weights: Sequence[float] | None = None,
) -> list[tuple[K, float]]:
    """Items of every ranking with their fused score, best first (ties: first seen)."""
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[K, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(dict.fromkeys(ranking), start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    order = {item: n for n, item in enumerate(scores)}
    return sorted(scores.items(), key=lambda pair: (-pair[1], order[pair[0]]))


def content_words(text: str) -> list[str]:
    """The query's words worth matching: lower-cased, no stop words, no duplicates."""
    words = [w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS and len(w) > 1]
    return list(dict.fromkeys(words))


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams of `text` (show_trgm)."""
    found: set[str] = set()
    for word in re.findall(r"[^\W_]+", text.lower()):
        padded = f"  {word} "
        found.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return found


def trigram_similarity(a: str, b: str) -> float:
    """pg_trgm's similarity(a, b): shared trigrams over all trigrams of both."""
    ta, tb = trigrams(a), trigrams(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


def word_similarity(needle: str, haystack: str) -> float:
    """Close to pg_trgm's word_similarity(needle, haystack): the share of `needle`'s
    trigrams found in `haystack` (pg_trgm looks in the best run of words only)."""
    needle_trigrams = trigrams(needle)
    if not needle_trigrams:
        return 0.0
    return len(needle_trigrams & trigrams(haystack)) / len(needle_trigrams)
