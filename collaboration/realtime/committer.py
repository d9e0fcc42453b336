"""Commits the edits hubs queued, for as many documents as are ready, in few round trips.

One committer per process forms the largest groups: one transaction for every document
with pending edits, instead of several threads fighting over the GIL. On PostgreSQL a
group is first sent in one round trip from the event loop (`commit.commit_documents_fast`);
what that cannot decide goes under the row lock in a database thread
(`commit.commit_documents`) while the committer goes on with other documents.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

import psycopg
from django.conf import settings
from django.db import connections

from config import metrics

from .. import commit as commit_module
from .db import run_db

if TYPE_CHECKING:
    from .hub import DocumentHub, Queued
    from .registry import Registry

logger = logging.getLogger(__name__)

MAX_GROUP = 16  # documents committed together in one transaction


class FastCommitter:
    """The one-round-trip commit on the event loop itself.

    An autocommit psycopg connection owned by the loop: a commit is one query and one
    await, with no hop to a thread and no wait for the GIL while the row is locked.
    PostgreSQL only; after an error the connection is dropped, the batch goes the
    locking way, and the fast path rests for a moment before it reconnects.
    """

    RETRY_AFTER_SECONDS = 5.0

    def __init__(self):
        self.connection: psycopg.AsyncConnection | None = None
        self.resting_until = 0.0

    @staticmethod
    def enabled() -> bool:
        return settings.COMMIT_FAST_PATH and connections["default"].vendor == "postgresql"

    def available(self) -> bool:
        return self.enabled() and time.monotonic() >= self.resting_until

    async def commit(self, batches: list):
        """Yields (index, outcome) per batch as `commit.commit_documents_fast` does;
        after a database error, `Unresolved` for every batch not answered yet."""
        answered: set[int] = set()
        try:
            if self.connection is None or self.connection.closed:
                self.connection = await self.connect()
            async for index, outcome in commit_module.commit_documents_fast(
                self.connection, batches
            ):
                answered.add(index)
                yield index, outcome
        except Exception as exc:
            logger.warning("one-round-trip commit failed (%s); committing under the lock", exc)
            self.resting_until = time.monotonic() + self.RETRY_AFTER_SECONDS
            await self.close()
            # The states only ever moved to committed revisions; the locked path goes on
            # from there (an op committed just before the error comes back as a duplicate).
            for index in range(len(batches)):
                if index not in answered:
                    yield index, commit_module.Unresolved()
        finally:
            if settings.TESTING:
                await self.close()  # test databases are dropped at the end

    @staticmethod
    async def connect() -> psycopg.AsyncConnection:
        """A new autocommit connection to the default database (its test copy in tests)."""
        params = connections["default"].get_connection_params()
        for key in ("context", "cursor_factory", "prepare_threshold"):
            params.pop(key, None)
        return await psycopg.AsyncConnection.connect(autocommit=True, **params)

    async def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            with contextlib.suppress(psycopg.Error, OSError):
                await connection.close()


class Committer:
    """Takes ready hubs from `ready` and commits their batches."""

    def __init__(self, registry: Registry):
        self.registry = registry
        self.ready: asyncio.Queue[DocumentHub] = asyncio.Queue()
        self.fast = FastCommitter()
        self.background: set[asyncio.Task] = set()  # locked commits in flight

    async def run(self) -> None:
        while True:
            first = await self.ready.get()
            hubs = [first]
            while len(hubs) < MAX_GROUP and not self.ready.empty():
                hubs.append(self.ready.get_nowait())
            try:
                # Hubs retrying after a failure go alone; the rest share one transaction.
                alone = [h for h in hubs if h.solo > 0]
                together = [h for h in hubs if h.solo == 0]
                for group in ([together] if together else []) + [[h] for h in alone]:
                    await self._commit_group(group)
            except Exception:  # a background loop: log, keep committing other documents
                logger.exception("commit worker failed")
            finally:
                for hub in hubs:
                    if not hub.sockets:
                        await self.registry.release(hub)

    async def stop(self) -> None:
        for task in list(self.background):
            task.cancel()
        for task in list(self.background):
            with contextlib.suppress(BaseException):
                await task
        await self.fast.close()

    def _settle(self, hub: DocumentHub, batch: list[Queued], outcome) -> asyncio.Future | None:
        """Hands one document's outcome to its hub; the coroutine to await, if any."""
        if isinstance(outcome, commit_module.AccessStale):
            hub.access_stale(batch, outcome)
            return None
        if isinstance(outcome, Exception):
            hub.commit_failed(batch, outcome, alone=True)
            return None
        return hub.commit_done(batch, *outcome)

    async def _commit_group(self, hubs: list[DocumentHub]) -> None:
        # In id order: the round trip is one transaction that locks each document's row in
        # turn, so two processes committing overlapping groups must lock them in the same
        # order, or they deadlock (and both fall back to the locked path for a while).
        hubs = sorted(hubs, key=lambda hub: hub.document_id)
        work = [(hub, hub.take_batch()) for hub in hubs]
        work = [(hub, batch) for hub, batch in work if batch]
        if not work:
            return
        metrics.commit_group_documents.observe(len(work))
        caught_up: dict[int, list[dict]] = {}
        if not self.fast.available():
            await self._commit_locked(work, caught_up)
            return
        slow = []
        batches = [(hub.document_id, [q.pending for q in batch], hub.state) for hub, batch in work]
        async for index, outcome in self.fast.commit(batches):
            hub, batch = work[index]
            if isinstance(outcome, commit_module.Unresolved):
                slow.append((hub, batch))
                caught_up[hub.document_id] = outcome.caught_up
            elif (pending := self._settle(hub, batch, outcome)) is not None:
                await pending
        if slow:
            # The locked path takes a thread and several round trips: the committer goes on
            # with other documents meanwhile (these hubs stay marked as committing).
            task = self.registry.loop.create_task(
                self._commit_locked(slow, caught_up, release=True)
            )
            self.background.add(task)
            task.add_done_callback(self.background.discard)

    async def _commit_locked(
        self, work: list, caught_up: dict[int, list[dict]], *, release: bool = False
    ) -> None:
        """Commits under the row lock (commit.commit_documents) in a database thread."""
        metrics.commit_rounds.labels("locked").inc(len(work))
        try:
            outcomes = await run_db(
                commit_module.commit_documents,
                [(hub.document_id, [q.pending for q in batch], hub.state) for hub, batch in work],
            )
        except Exception as exc:
            for hub, batch in work:
                hub.commit_failed(batch, exc, alone=len(work) == 1)
        else:
            for (hub, batch), outcome in zip(work, outcomes, strict=True):
                if isinstance(outcome, tuple):
                    results, state, newer = outcome
                    outcome = (results, state, caught_up.get(hub.document_id, []) + newer)
                if (pending := self._settle(hub, batch, outcome)) is not None:
                    await pending
        if release:
            for hub, _batch in work:
                if not hub.sockets:
                    await self.registry.release(hub)
