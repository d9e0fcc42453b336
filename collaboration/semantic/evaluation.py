"""Measuring search: recall@k and mean reciprocal rank of each mode over learner queries.

recall@k: the share of a query's relevant results found in its first k, averaged over the
queries. MRR: 1 / the rank of the first relevant result (0 when none is returned),
averaged. The searches run as a visitor who is not signed in, through `retrieval.search`,
exactly as the search page runs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .eval_queries import EVAL_QUERIES, EvalQuery
from .retrieval import SearchHit, search

K = 5


@dataclass(frozen=True)
class Scores:
    mode: str
    recall: float  # at K
    mrr: float
    queries: int


def target(hit: SearchHit) -> str:
    """The hit in the notation of `eval_queries`."""
    if hit.type == "section":
        return f"{hit.slug}#{hit.section_anchor}"
    return f"{hit.type}:{hit.title}"


def recall_at(found: Sequence[str], relevant: Sequence[str], k: int = K) -> float:
    return len(set(found[:k]) & set(relevant)) / len(set(relevant))


def reciprocal_rank(found: Sequence[str], relevant: Sequence[str]) -> float:
    for rank, item in enumerate(found, start=1):
        if item in relevant:
            return 1.0 / rank
    return 0.0


def evaluate(mode: str, queries: Sequence[EvalQuery] = EVAL_QUERIES) -> Scores:
    recall = mrr = 0.0
    for item in queries:
        found = [target(hit) for hit in search(user=None, query=item.query, mode=mode).hits]
        recall += recall_at(found, item.relevant)
        mrr += reciprocal_rank(found, item.relevant)
    count = len(queries)
    return Scores(mode=mode, recall=recall / count, mrr=mrr / count, queries=count)


def evaluate_all(queries: Sequence[EvalQuery] = EVAL_QUERIES) -> list[Scores]:
    """keyword, semantic, hybrid (in that order)."""
    return [evaluate(mode, queries) for mode in ("keyword", "semantic", "hybrid")]
