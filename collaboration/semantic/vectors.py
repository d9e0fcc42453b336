"""Nearest stored vectors to a query vector, by cosine similarity (stored vectors have
length 1, so it is their dot product).

Where the vectors live decides how (`storage()` reads the column's type once per database):
- "pgvector": PostgreSQL with pgvector; the database orders by its `<=>` distance;
- "array": PostgreSQL without it (`real[]`); the database computes the dot product row by
  row, an exact scan;
- "json": SQLite; the candidates' vectors are read and scored here with numpy.
Every path takes the caller's queryset of Embedding rows as it is, so permission filters
built by the caller always apply; only the configured model's rows are compared.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Literal

import numpy as np
from django.db import connection
from django.db.models import FloatField, QuerySet
from django.db.models.expressions import RawSQL

from .models import Embedding

Storage = Literal["pgvector", "array", "json"]

TABLE = Embedding._meta.db_table


@lru_cache(maxsize=8)
def _column_type(database: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attname = 'vector'",
            [TABLE],
        )
        row = cursor.fetchone()
    return row[0] if row else ""


def storage() -> Storage:
    if connection.vendor != "postgresql":
        return "json"
    column = _column_type(str(connection.settings_dict["NAME"]))
    return "pgvector" if column.startswith("vector") else "array"


def _similarity_sql(vector: list[float]) -> RawSQL:
    if storage() == "pgvector":
        literal = json.dumps(vector)
        return RawSQL(
            f'1 - ("{TABLE}"."vector" <=> %s::vector)', [literal], output_field=FloatField()
        )
    return RawSQL(
        f'(SELECT sum(a * b) FROM unnest("{TABLE}"."vector", %s::real[]) AS t(a, b))',
        [vector],
        output_field=FloatField(),
    )


def nearest(
    rows: QuerySet[Embedding],
    vector: list[float],
    *,
    limit: int,
    min_similarity: float = -1.0,
) -> list[tuple[Embedding, float]]:
    """The `limit` rows most similar to `vector` (at least `min_similarity`), best first.

    The rows come back without their vectors (deferred): callers want ids and titles.
    """
    if limit <= 0 or not vector:
        return []
    rows = rows.filter(dimension=len(vector))
    if storage() == "json":
        return _nearest_in_python(rows, vector, limit=limit, min_similarity=min_similarity)
    scored = (
        rows.defer("vector")
        .annotate(similarity=_similarity_sql(vector))
        .filter(similarity__gte=min_similarity)
        .order_by("-similarity", "pk")[:limit]
    )
    return [(row, float(row.similarity)) for row in scored]


def _nearest_in_python(
    rows: QuerySet[Embedding], vector: list[float], *, limit: int, min_similarity: float
) -> list[tuple[Embedding, float]]:
    pairs = list(rows.values_list("pk", "vector"))
    if not pairs:
        return []
    matrix = np.array([v for _, v in pairs], dtype=np.float32)
    scores = matrix @ np.array(vector, dtype=np.float32)
    order = sorted(range(len(pairs)), key=lambda i: (-scores[i], pairs[i][0]))
    chosen = [(pairs[i][0], float(scores[i])) for i in order if scores[i] >= min_similarity]
    chosen = chosen[:limit]
    found = rows.defer("vector").in_bulk([pk for pk, _ in chosen])
    return [(found[pk], score) for pk, score in chosen if pk in found]


def stored_vector(row: Embedding | None) -> list[float] | None:
    """A row's vector (rows from `nearest` have it deferred: this reads it)."""
    if row is None:
        return None
    return Embedding.objects.filter(pk=row.pk).values_list("vector", flat=True).first()
