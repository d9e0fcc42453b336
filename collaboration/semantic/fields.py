"""The column that holds a vector: a list of floats in Python, whatever the database.

PostgreSQL: `real[]`, which migration 0013 turns into pgvector's `vector` when that
extension can be created (the values travel as arrays either way: pgvector casts
`double precision[]` to `vector` on assignment, and a `vector` is read back as its text
form "[0.1,0.2]"). Other databases (SQLite): JSON text.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models


class VectorField(models.Field):
    description = "A vector of floats"

    def db_type(self, connection) -> str:
        return "real[]" if connection.vendor == "postgresql" else "text"

    def from_db_value(self, value: Any, expression, connection) -> list[float] | None:
        return self.to_python(value)

    def to_python(self, value: Any) -> list[float] | None:
        if value is None:
            return None
        if isinstance(value, str):  # JSON text, or pgvector's "[0.1,0.2]" (also JSON)
            value = json.loads(value)
        return [float(x) for x in value]

    def get_db_prep_value(self, value: Any, connection, prepared: bool = False) -> Any:
        if value is None:
            return None
        floats = [float(x) for x in value]
        return floats if connection.vendor == "postgresql" else json.dumps(floats)
