"""Database work off the event loop, in a small pool of long-lived threads."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import psycopg
from django.conf import settings
from django.db import DatabaseError, connections, reset_queries

DB_THREADS = 4  # joins, gap fills, reviews of rights, chat and the committer

_executor: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="db")
    return _executor


async def run_db(func: Callable, /, *args, **kwargs):
    """Runs ORM code in the pool (bounded database connections).

    Each thread keeps its connection between calls (taking one from the pool again for
    every commit costs more than the commit); a connection that saw a database error is
    closed, and the next call opens a fresh one.
    """

    def call():
        connection = connections["default"]
        try:
            return func(*args, **kwargs)
        except (DatabaseError, psycopg.Error):  # raw psycopg calls are not wrapped
            connection.close()
            raise
        finally:
            if settings.TESTING:
                # Test databases are dropped at the end; pooled threads must not hold them.
                connections.close_all()
            if settings.DEBUG:
                reset_queries()  # DEBUG keeps every query; these threads never see a request end

    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool(), call)
