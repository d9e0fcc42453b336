#!/usr/bin/env python
"""Load generator for the editing socket: drives a RUNNING server, prints figures.

It starts nothing by itself. Point it at one or more daphne processes (clients
are spread over them round-robin), give it an account, and pick a scenario:

  fanout    N clients on one document, each sending R edits/s for T seconds
  saturate  N clients on one document, each sending its next edit as soon as
            the previous one is acknowledged
  multi     M documents with K clients each, R edits/s per client

Every client keeps an exact OT replica; at the end the script checks that all
replicas equal the server's text and that the log holds every acknowledged
edit exactly once. Example (two processes, PostgreSQL + Redis):

  python bench/collab_load.py --url ws://127.0.0.1:8001/ws/collab/ \\
      --url ws://127.0.0.1:8002/ws/collab/ --api http://127.0.0.1:8001 \\
      --username admin --password learnai-demo-admin fanout --clients 50 --rate 5 --duration 20
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.client import ReplicaClient, Stats, percentile
from bench.cpu import cpu_between, format_usage, snapshot


def api_call(api: str, path: str, *, token: str | None = None, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        api.rstrip("/") + path, data=data, method="POST" if data else "GET"
    )
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def login(api: str, username: str, password: str) -> str:
    return api_call(api, "/api/auth/login", body={"email": username, "password": password})[
        "access"
    ]


def create_document(api: str, token: str, title: str) -> str:
    created = api_call(
        api,
        "/api/documents/",
        token=token,
        body={"title": title, "content": "", "visibility": "public", "edit_policy": "open"},
    )
    return str(created["id"])


def server_state(api: str, token: str, document_id: str) -> tuple[str, int]:
    doc = api_call(api, f"/api/documents/{document_id}/", token=token)
    return doc["content"], doc["revision"]


async def run_clients(
    args, token: str, documents: list[str], per_document: int, *, on_start=None, on_end=None
) -> dict:
    """Runs the scenario; `on_start()` / `on_end()` are called right before the first edit
    and once every edit is acknowledged (to measure the editing phase alone)."""
    stats = Stats()
    sent_at: dict[str, float] = {}
    clients: list[ReplicaClient] = []
    run_id = f"{int(time.time()) % 100000}"
    for d, document_id in enumerate(documents):
        for c in range(per_document):
            url = args.url[len(clients) % len(args.url)]
            clients.append(
                ReplicaClient(
                    url, token, document_id, name=f"b{run_id}-{d}-{c}", stats=stats, sent_at=sent_at
                )
            )
    # Connect in small waves so the join burst is not what gets measured.
    for i in range(0, len(clients), 20):
        await asyncio.gather(*(c.connect() for c in clients[i : i + 20]))
    await asyncio.sleep(0.5)
    start_revisions = {d: server_state(args.api, token, d)[1] for d in documents}

    rng = random.Random(args.seed)
    if on_start is not None:
        on_start()
    deadline = time.perf_counter() + args.duration
    started = time.perf_counter()

    async def paced(client: ReplicaClient, offset: float) -> None:
        interval = 1.0 / args.rate
        next_at = started + offset
        while True:
            now = time.perf_counter()
            if next_at > now:
                await asyncio.sleep(next_at - now)
            if time.perf_counter() >= deadline:
                return
            await client.edit(client.random_edit(rng))
            next_at += interval

    async def closed_loop(client: ReplicaClient) -> None:
        while time.perf_counter() < deadline:
            await client.edit(client.random_edit(rng))
            # An edit that is never acknowledged must show up as an unfinished client
            # in the report, not hang the run.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(client.idle.wait(), max(1.0, deadline - time.perf_counter()))
            if not client.idle.is_set():
                return

    if args.scenario == "saturate":
        await asyncio.gather(*(closed_loop(c) for c in clients))
    else:
        await asyncio.gather(
            *(paced(c, (i / len(clients)) / args.rate) for i, c in enumerate(clients))
        )
    elapsed = time.perf_counter() - started
    # Let in-flight and buffered edits drain, then let fan-out settle.
    drain_deadline = time.perf_counter() + 30
    while time.perf_counter() < drain_deadline and not all(c.idle.is_set() for c in clients):
        await asyncio.sleep(0.05)
    if on_end is not None:
        on_end()
    settle_deadline = time.perf_counter() + 10
    finals = {}
    converged = False
    while time.perf_counter() < settle_deadline:
        finals = {d: server_state(args.api, token, d) for d in documents}
        converged = all(
            c.text == finals[c.document_id][0] and c.revision == finals[c.document_id][1]
            for c in clients
        )
        if converged:
            break
        await asyncio.sleep(0.25)
    committed = sum(finals[d][1] - start_revisions[d] for d in documents)
    for client in clients:
        await client.close()
    return {
        "stats": stats,
        "elapsed": elapsed,
        "committed": committed,
        "converged": converged,
        "clients": len(clients),
        "pending": sum(1 for c in clients if not c.idle.is_set()),
    }


def report(args, result: dict) -> None:
    stats: Stats = result["stats"]
    rate = result["committed"] / result["elapsed"]
    processes = len(args.url)
    print(
        f"scenario            {args.scenario}: {result['clients']} clients, {processes} process(es)"
    )
    print(f"duration            {result['elapsed']:.1f} s")
    print(f"edits sent          {stats.sent}  (acked {stats.acked})")
    offered = ""
    if args.scenario != "saturate":
        offered = f"; offered {result['clients'] * args.rate:.0f} ops/s"
    print(f"committed ops       {result['committed']}  ({rate:.1f} ops/s{offered})")
    for label, values in (
        ("ack latency ms    ", stats.ack_latencies),
        ("fan-out latency ms", stats.fanout_latencies),
    ):
        p50, p95, p99 = (f"{percentile(values, p) * 1000:7.1f}" for p in (50, 95, 99))
        print(f"{label}  p50 {p50}  p95 {p95}  p99 {p99}")
    first = f"  first: {stats.errors[0]}" if stats.errors else ""
    print(f"errors              {len(stats.errors)}{first}")
    print(f"rate limited        {stats.rate_limited}  (sent again, as the contract allows)")
    print(f"unfinished clients  {result['pending']}")
    print(f"converged           {'yes' if result['converged'] else 'NO'}")
    if "cpu" in result:
        usage, wall = result["cpu"]
        print(format_usage(usage, wall))
        if result["committed"]:
            print(f"cpu per op          {usage.seconds * 1000 / result['committed']:.3f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--url", action="append", required=True, help="ws://host:port/ws/collab/ (repeatable)"
    )
    parser.add_argument(
        "--api", required=True, help="http://host:port of one server, for login and checks"
    )
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--cpu-pid", action="append", default=[], help="server pid(s) whose CPU to count"
    )
    parser.add_argument(
        "--cpu-match",
        action="append",
        default=[],
        help="regular expression on command lines whose CPU to count (bench/cpu.py), e.g. "
        "'daphne .*-p 810[12]' and '^postgres: .* learnai_bench ' and '^redis-server'",
    )
    sub = parser.add_subparsers(dest="scenario", required=True)
    for name in ("fanout", "saturate", "multi"):
        p = sub.add_parser(name)
        p.add_argument("--clients", type=int, default=10, help="clients per document")
        p.add_argument("--documents", type=int, default=1)
        p.add_argument("--rate", type=float, default=5.0, help="edits per second per client")
        p.add_argument("--duration", type=float, default=20.0, help="seconds")
    args = parser.parse_args()
    if args.scenario != "multi":
        args.documents = 1
    token = login(args.api, args.username, args.password)
    documents = [
        create_document(args.api, token, f"Load test {time.time():.0f}-{i}")
        for i in range(args.documents)
    ]
    marks: dict = {}
    pids = {int(p) for value in args.cpu_pid for p in value.split(",") if p.strip()}
    patterns = [re.compile(pattern) for pattern in args.cpu_match]

    def cpu_start() -> None:
        marks["before"], marks["at"] = snapshot(), time.perf_counter()

    def cpu_end() -> None:
        # From the first edit to the last acknowledgement, like bench/sharedb/load.js.
        usage = cpu_between(
            marks["before"], snapshot(), pids=pids, patterns=patterns, self_pid=os.getpid()
        )
        marks["cpu"] = (usage, time.perf_counter() - marks["at"])

    counting = bool(pids or patterns)
    result = asyncio.run(
        run_clients(
            args, token, documents, args.clients,
            on_start=cpu_start if counting else None, on_end=cpu_end if counting else None,
        )
    )  # fmt: skip
    if "cpu" in marks:
        result["cpu"] = marks["cpu"]
    report(args, result)
    return 0 if result["converged"] and not result["stats"].errors else 1


if __name__ == "__main__":
    sys.exit(main())
