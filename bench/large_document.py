#!/usr/bin/env python
"""Does a document's size cost anything? A small and a large document under the same edits.

For each size it makes a document of that many code points (straight in the database the
RUNNING server uses: same DATABASE_URL and settings as the server), then:

  join      opens one socket at a time and times authenticate -> the joined snapshot
  edits     N clients x R edits/s for T seconds (collab_load.py's fanout), ack p50/p99
  written   WAL bytes PostgreSQL wrote during the editing phase, per committed edit
            (pg_current_wal_lsn before and after: the whole cluster, so run it on a
            quiet machine), and the CPU seconds PostgreSQL and the server processes used

Example (two processes as in bench/README.md):

  python bench/large_document.py --url ws://127.0.0.1:8101/ws/collab/ \\
      --url ws://127.0.0.1:8102/ws/collab/ --api http://127.0.0.1:8101 \\
      --username bench --password bench-password-123 --sizes 1000 900000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# The WAL position is read between the load generator's coroutines: a blocking query of a
# fraction of a millisecond, from a script that serves nobody else.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Q  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.client import ReplicaClient, percentile  # noqa: E402
from bench.collab_load import login, run_clients  # noqa: E402
from bench.cpu import cpu_between, snapshot  # noqa: E402
from collaboration import services  # noqa: E402

WORDS = [
    "attention",
    "transformer",
    "gradient",
    "embedding",
    "token",
    "layer",
    "softmax",
    "bias",
    "variance",
    "loss",
    "optimizer",
    "learning",
    "rate",
    "batch",
    "epoch",
    "dropout",
    "residual",
    "normalisation",
    "encoder",
    "decoder",
    "vector",
    "matrix",
    "tensor",
    "probability",
    "entropy",
]


def server_patterns(urls: list[str]) -> list[re.Pattern[str]]:
    """Whose CPU is counted (bench/cpu.py): PostgreSQL's processes and the daphne
    processes listening on the ports of `urls`."""
    ports = sorted({urlsplit(url).port for url in urls})
    return [re.compile(r"^postgres")] + [re.compile(rf"daphne .*-p {port}\b") for port in ports]


def make_text(size: int, seed: int = 7) -> str:
    """About `size` code points of Markdown-like prose (headings, paragraphs, some é and ∑)."""
    rng = random.Random(seed)
    parts: list[str] = []
    length = 0
    section = 0
    while length < size:
        if rng.random() < 0.05:
            section += 1
            line = f"\n## Section {section}\n\n"
        else:
            words = [rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
            line = " ".join(words).capitalize() + rng.choice([". ", ", é. ", " ∑. "]) + "\n"
        parts.append(line)
        length += len(line)
    return "".join(parts)[:size]


def wal_lsn() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        return cursor.fetchone()[0]


def wal_bytes(start: str, end: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_wal_lsn_diff(%s, %s)", [end, start])
        return int(cursor.fetchone()[0])


async def join_times(args, token: str, document_id: str, joins: int) -> list[float]:
    """Seconds from opening a socket to holding the document's text, one join at a time."""
    times = []
    for i in range(joins):
        client = ReplicaClient(args.url[i % len(args.url)], token, document_id, name=f"j{i}")
        started = time.perf_counter()
        await client.connect()
        times.append(time.perf_counter() - started)
        await client.close()
    return times


def measure(args, token: str, owner: User, size: int) -> dict:
    document = services.document_create(
        owner=owner, title=f"Size {size} {time.time():.0f}", content=make_text(size)
    )
    document_id = str(document.pk)
    joins = asyncio.run(join_times(args, token, document_id, args.joins))
    marks: dict[str, object] = {}

    def on_start() -> None:
        marks["lsn"] = wal_lsn()
        marks["processes"] = snapshot()
        marks["own"] = time.process_time()
        marks["wall"] = time.perf_counter()

    def on_end() -> None:
        marks["wal"] = wal_bytes(marks["lsn"], wal_lsn())
        patterns = server_patterns(args.url)
        usage = cpu_between(
            marks["processes"], snapshot(), pids=set(), patterns=patterns, self_pid=os.getpid()
        )
        marks["cpu"] = {name: seconds for name, (seconds, _count) in usage.groups.items()}
        # The load generator keeps a replica per client: on a large text its own CPU can
        # be what the latencies measure.
        marks["own_share"] = (time.process_time() - marks["own"]) / (
            time.perf_counter() - marks["wall"]
        )

    result = asyncio.run(
        run_clients(args, token, [document_id], args.clients, on_start=on_start, on_end=on_end)
    )
    return {"size": size, "joins": joins, "result": result, **marks}


def report(row: dict, duration: float) -> None:
    result, stats = row["result"], row["result"]["stats"]
    committed = max(result["committed"], 1)
    acks = stats.ack_latencies
    cpu = row["cpu"]
    print(f"\n== {row['size']:,} code points")
    print(
        f"join ms             median {statistics.median(row['joins']) * 1000:.1f}"
        f"  max {max(row['joins']) * 1000:.1f}  ({len(row['joins'])} joins)"
    )
    print(f"committed ops       {result['committed']}  ({result['committed'] / duration:.1f}/s)")
    print(
        f"ack ms              p50 {percentile(acks, 50) * 1000:.1f}"
        f"  p99 {percentile(acks, 99) * 1000:.1f}"
    )
    print(f"WAL per commit      {row['wal'] / committed:,.0f} bytes  ({row['wal']:,} in all)")
    print(
        "CPU per commit      "
        + "  ".join(f"{name} {seconds / committed * 1000:.2f} ms" for name, seconds in cpu.items())
    )
    print(f"load generator      {row['own_share']:.0%} of a core")
    print(f"errors              {len(stats.errors)}")
    print(f"converged           {'yes' if result['converged'] else 'NO'}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", action="append", required=True)
    parser.add_argument("--api", required=True)
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 900_000])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--rate", type=float, default=5.0, help="edits per second per client")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--joins", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    args.scenario = "fanout"
    if connection.vendor != "postgresql":
        parser.error("run it with the server's PostgreSQL DATABASE_URL")
    token = login(args.api, args.username, args.password)
    owner = User.objects.get(Q(username=args.username) | Q(email=args.username))
    failed = False
    for size in args.sizes:
        row = measure(args, token, owner, size)
        report(row, args.duration)
        failed |= not row["result"]["converged"] or bool(row["result"]["stats"].errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
