#!/usr/bin/env python
"""One event notifies many watchers, every one with an open socket: how long until the
last live frame arrives, and how many database rows does it write?

It makes N users watching one question (straight in the database the server uses: same
DATABASE_URL, REDIS_URL and SECRET_KEY as the server), opens one socket per watcher on the
RUNNING servers (round-robin over --url), then posts one answer to the question in this
process (the service, its transaction and `notify_on_commit`). By default the `notify`
task runs here too (eager), so the figure is the notification path itself; with --worker
it goes through Redis to a running Celery worker. Example:

  DATABASE_URL=... REDIS_URL=... SECRET_KEY=... python bench/notify_watchers.py \\
      --url ws://127.0.0.1:8101/ws/collab/ --url ws://127.0.0.1:8102/ws/collab/ --watchers 1000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import websockets  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

import config.celery  # noqa: E402
from accounts.models import User  # noqa: E402
from bench.client import percentile  # noqa: E402
from community.models import (  # noqa: E402
    Answer,
    Notification,
    NotificationFeed,
    Question,
    Watch,
    WatchLevel,
    WatchTarget,
)
from community.services import answers  # noqa: E402

COUNTED = [Notification, NotificationFeed, Watch, Answer, Question, User]


def make_watchers(count: int, run: str) -> tuple[User, Question, list[User]]:
    asker = User.objects.create(username=f"nw-{run}-asker", email=f"nw-{run}-asker@example.org")
    question = Question.objects.create(
        author=asker,
        title=f"Benchmark question {run}: who is watching?",
        content="A question a thousand people watch.",
        last_activity_at=timezone.now(),
    )
    users = User.objects.bulk_create(
        [User(username=f"nw-{run}-{i}", email=f"nw-{run}-{i}@example.org") for i in range(count)]
    )
    Watch.objects.bulk_create(
        [
            Watch(user=u, target_type=WatchTarget.QUESTION, question=question,
                  level=WatchLevel.WATCHING)
            for u in users
        ]
    )  # fmt: skip
    return asker, question, users


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def pg_stats() -> dict[str, int]:
    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute(
            "SELECT tup_inserted, tup_updated, tup_deleted, xact_commit FROM pg_stat_database"
            " WHERE datname = current_database()"
        )
        ins, upd, dele, commits = cursor.fetchone()
    return {"tup_inserted": ins, "tup_updated": upd, "tup_deleted": dele, "xact_commit": commits}


async def open_socket(url: str, token: str):
    ws = await websockets.connect(url, max_size=None, open_timeout=30)
    await ws.send(json.dumps({"type": "authenticate", "token": token}))
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if frame.get("type") == "authenticated":
            return ws


async def wait_notification(ws, arrived: list[float]) -> None:
    while True:
        frame = json.loads(await ws.recv())
        if frame.get("type") == "notification":
            arrived.append(time.perf_counter())
            return


async def main_async(args) -> int:
    run = str(int(time.time()))
    _asker, question, users = await asyncio.to_thread(make_watchers, args.watchers, run)
    tokens = [str(AccessToken.for_user(u)) for u in users]
    started = time.perf_counter()
    sockets = []
    for batch in range(0, len(tokens), 100):
        sockets += await asyncio.gather(
            *(
                open_socket(args.url[(batch + i) % len(args.url)], token)
                for i, token in enumerate(tokens[batch : batch + 100])
            )
        )
    print(f"{len(sockets)} sockets open over {len(args.url)} process(es) "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    if not args.worker:
        config.celery.app.conf.task_always_eager = True
    answerer = await asyncio.to_thread(
        User.objects.create, username=f"nw-{run}-answerer", email=f"nw-{run}-a@example.org"
    )
    before_rows, before_pg = await asyncio.to_thread(counts), await asyncio.to_thread(pg_stats)
    arrived: list[float] = []
    waiters = [asyncio.create_task(wait_notification(ws, arrived)) for ws in sockets]
    t0 = time.perf_counter()
    await asyncio.to_thread(
        answers.answer_create,
        question_id=question.pk,
        author=answerer,
        content="An answer every watcher hears about, live.",
    )
    committed = time.perf_counter() - t0
    await asyncio.wait_for(asyncio.gather(*waiters), args.timeout)
    last = max(arrived) - t0
    await asyncio.sleep(1.5)
    after_rows, after_pg = await asyncio.to_thread(counts), await asyncio.to_thread(pg_stats)
    latencies = sorted(t - t0 for t in arrived)
    print(f"event committed (and, eager, notified) in {committed * 1000:.0f} ms")
    print(f"frames: {len(arrived)}/{len(sockets)}; to the last frame {last * 1000:.0f} ms; "
          f"p50 {percentile(latencies, 50) * 1000:.0f} ms, "
          f"p95 {percentile(latencies, 95) * 1000:.0f} ms")  # fmt: skip
    print("rows written:", {k: after_rows[k] - before_rows[k] for k in before_rows})
    if before_pg:
        print("pg_stat_database deltas:", {k: after_pg[k] - before_pg[k] for k in before_pg})
    for ws in sockets:
        await ws.close()
    return 0 if len(arrived) == len(sockets) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", action="append", required=True, help="ws:// URL (repeat)")
    parser.add_argument("--watchers", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--worker", action="store_true", help="notify via a running worker")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
