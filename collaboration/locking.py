"""Row locks that also hold on SQLite (development and tests)."""

from __future__ import annotations

from django.db import connection
from django.db.models import F


def take_sqlite_write_lock(model: type, pk: int) -> None:
    """On SQLite, take the database write lock now. Call first inside transaction.atomic().

    SQLite ignores FOR UPDATE, and a transaction that reads first and writes later fails
    at once with "database is locked" when another one writes meanwhile (instead of
    waiting). A no-op UPDATE as the first statement takes the write lock up front and
    waits for it up to the connection's timeout. A no-op elsewhere (FOR UPDATE works).
    """
    if connection.vendor == "sqlite":
        model.objects.filter(pk=pk).update(id=F("id"))
