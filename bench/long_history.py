#!/usr/bin/env python
"""Does a long history slow a document down? Compares a 100,000-revision document with a new one.

It writes the long history straight into the database the server uses (same
DATABASE_URL and settings as the server), then drives the RUNNING server:
join time, edit ack latency, and history reads at an old revision. Example:

  DATABASE_URL=... REDIS_URL=... SECRET_KEY=... python bench/long_history.py \\
      --url ws://127.0.0.1:8101/ws/collab/ --api http://127.0.0.1:8101 \\
      --username bench --password bench-password-123 --revisions 100000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.client import ReplicaClient, percentile  # noqa: E402
from bench.collab_load import api_call, create_document, login  # noqa: E402
from collaboration import ot  # noqa: E402
from collaboration.models import Document, Operation, Snapshot  # noqa: E402


def build_history(document_id: int, user_id: int, revisions: int) -> None:
    """Appends `revisions` small edits to a document, with snapshots as the server makes them."""
    rng = random.Random(3)
    document = Document.objects.get(pk=document_id)
    text, revision = document.content, document.revision
    every = settings.SNAPSHOT_EVERY
    rows, snapshots = [], []
    started = time.perf_counter()
    for _ in range(revisions):
        n = len(text)
        if n > 200 and rng.random() < 0.4:
            pos = rng.randrange(n - 3)
            ops = ot.normalize([pos, -3, n - pos - 3])
        else:
            pos = rng.randint(0, n)
            ops = ot.normalize([pos, rng.choice(["a", "b ", "😀", "xyz"]), n - pos])
        text = ot.apply(text, ops)
        revision += 1
        inserted, deleted = ot.changed_length(ops)
        rows.append(
            Operation(
                document_id=document_id, revision=revision, base_revision=revision - 1,
                ops=ops, client_op_id=f"hist-{document_id}-{revision}", user_id=user_id,
                source="api", chars_inserted=inserted, chars_deleted=deleted,
            )
        )  # fmt: skip
        if revision % every == 0:
            snapshots.append(Snapshot(document_id=document_id, revision=revision, content=text))
        if len(rows) >= 5000:
            Operation.objects.bulk_create(rows)
            Snapshot.objects.bulk_create(snapshots)
            rows, snapshots = [], []
            print(f"  history: {revision} revisions written", end="\r", flush=True)
    with transaction.atomic():
        Operation.objects.bulk_create(rows)
        Snapshot.objects.bulk_create(snapshots)
        Document.objects.filter(pk=document_id).update(
            content_checkpoint=text, content_revision=revision, revision=revision
        )
    print(f"  history: {revisions} revisions in {time.perf_counter() - started:.0f} s        ")


async def measure(args, token: str, document_id: str, edits: int) -> dict:
    joins = []
    for i in range(5):
        client = ReplicaClient(args.url, token, document_id, name=f"lh{time.time():.0f}-{i}")
        started = time.perf_counter()
        await client.connect()
        joins.append(time.perf_counter() - started)
        await client.close()
    client = ReplicaClient(args.url, token, document_id, name=f"lh{time.time():.0f}-e")
    await client.connect()
    rng = random.Random(5)
    for _ in range(edits):
        await client.edit(client.random_edit(rng))
        await client.idle.wait()
    await client.close()
    return {"join": joins, "ack": client.stats.ack_latencies}


def timed_get(api: str, token: str, path: str) -> float:
    started = time.perf_counter()
    request = urllib.request.Request(api.rstrip("/") + path)
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--api", required=True)
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--revisions", type=int, default=100_000)
    parser.add_argument("--edits", type=int, default=300)
    args = parser.parse_args()

    token = login(args.api, args.username, args.password)
    user = User.objects.get(username=args.username)
    fresh = create_document(args.api, token, f"Fresh {time.time():.0f}")
    long = create_document(args.api, token, f"Long history {time.time():.0f}")
    build_history(int(long), user.pk, args.revisions)

    for label, document_id in (("new document", fresh), (f"{args.revisions} revisions", long)):
        result = asyncio.run(measure(args, token, document_id, args.edits))
        doc = api_call(args.api, f"/api/documents/{document_id}/", token=token)
        old = max(1, doc["revision"] // 3)
        history = [timed_get(args.api, token, f"/api/documents/{document_id}/revisions/{old}")]
        history += [timed_get(args.api, token, f"/api/documents/{document_id}/revisions?page=1")]
        print(f"{label:>20}: join median {statistics.median(result['join']) * 1000:6.1f} ms, "
              f"edit ack p50 {percentile(result['ack'], 50) * 1000:5.1f} ms "
              f"p99 {percentile(result['ack'], 99) * 1000:5.1f} ms, "
              f"content at revision {old} {history[0] * 1000:6.1f} ms, "
              f"revision list {history[1] * 1000:6.1f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
