#!/usr/bin/env python
"""Where an edit's time and the server's CPU go during a load run: reads /metrics before and after.

Drives nothing by itself: it runs the load command given after `--` (usually
`bench/collab_load.py`), scrapes every process's /metrics while it runs, and takes the
window from just before the first edit is committed to the last one, so joining and
the final convergence check are left out. Start the server processes with
`REALTIME_TIMINGS=true` for the stage figures (config/metrics.py says what each stage
covers); without it only the CPU and commit figures are printed.

  python bench/latency_breakdown.py --metrics http://127.0.0.1:8101/metrics \\
      --metrics http://127.0.0.1:8102/metrics -- \\
      python bench/collab_load.py $ARGS fanout --clients 50 --rate 5 --duration 20

Percentiles come from histogram buckets (1-1.5-2-3-5-7 per decade), interpolated inside a
bucket as Prometheus' histogram_quantile does: good to about a bucket's width.

CPU is read from /proc, so it only sees processes on this machine: the server processes
(found from the ports of the --metrics addresses, or named with --pid), PostgreSQL (the
backends connected to --database, and every PostgreSQL process; backends that exit during
the window are only in the second figure, through the postmaster's reaped-children time)
and redis-server (everything it does, for every client).
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from prometheus_client.parser import text_string_to_metric_families

COMMITTED = "learnai_operations_committed"
STAGES = ("parse", "queued", "commit", "settle", "write", "total")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- /metrics -------------------------------------------------------------------------------


@dataclass
class Histogram:
    buckets: dict[float, float] = field(default_factory=dict)  # upper bound -> cumulative
    count: float = 0.0
    total: float = 0.0

    def minus(self, other: Histogram) -> Histogram:
        return Histogram(
            {le: n - other.buckets.get(le, 0.0) for le, n in self.buckets.items()},
            self.count - other.count,
            self.total - other.total,
        )

    def quantile(self, q: float) -> float:
        """Like PromQL's histogram_quantile: linear inside the bucket holding the rank."""
        if self.count <= 0:
            return math.nan
        rank = q * self.count
        lower, below = 0.0, 0.0
        for le in sorted(self.buckets):
            cumulative = self.buckets[le]
            if cumulative >= rank:
                if math.isinf(le):
                    return lower  # beyond the last finite bound: the bound is all we know
                inside = cumulative - below
                return lower + (le - lower) * ((rank - below) / inside if inside else 1.0)
            lower, below = le, cumulative
        return lower

    def mean(self) -> float:
        return self.total / self.count if self.count > 0 else math.nan


@dataclass
class Scrape:
    counters: dict[tuple, float] = field(default_factory=dict)  # (name, labels) -> value
    histograms: dict[tuple, Histogram] = field(default_factory=dict)

    def add(self, other: Scrape) -> None:
        """Sums another process's figures into these."""
        for key, value in other.counters.items():
            self.counters[key] = self.counters.get(key, 0.0) + value
        for key, hist in other.histograms.items():
            mine = self.histograms.setdefault(key, Histogram())
            for le, n in hist.buckets.items():
                mine.buckets[le] = mine.buckets.get(le, 0.0) + n
            mine.count += hist.count
            mine.total += hist.total

    def counter(self, name: str, **labels: str) -> float:
        return sum(
            value
            for (metric, frozen), value in self.counters.items()
            if metric == name and all(dict(frozen).get(k) == v for k, v in labels.items())
        )

    def histogram(self, name: str, **labels: str) -> Histogram:
        for (metric, frozen), hist in self.histograms.items():
            if metric == name and dict(frozen) == labels:
                return hist
        return Histogram()


def parse(text: str) -> Scrape:
    scrape = Scrape()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = {k: v for k, v in sample.labels.items() if k != "le"}
            key = (family.name, frozenset(labels.items()))
            if family.type == "histogram":
                hist = scrape.histograms.setdefault(key, Histogram())
                if sample.name.endswith("_bucket"):
                    hist.buckets[float(sample.labels["le"])] = sample.value
                elif sample.name.endswith("_count"):
                    hist.count = sample.value
                elif sample.name.endswith("_sum"):
                    hist.total = sample.value
            elif family.type == "counter" and sample.name.endswith("_total"):
                scrape.counters[key] = sample.value
    return scrape


def scrape_all(urls: list[str]) -> Scrape:
    combined = Scrape()
    for url in urls:
        with urllib.request.urlopen(url, timeout=10) as response:
            combined.add(parse(response.read().decode()))
    return combined


def difference(after: Scrape, before: Scrape) -> Scrape:
    delta = Scrape()
    for key, value in after.counters.items():
        delta.counters[key] = value - before.counters.get(key, 0.0)
    for key, hist in after.histograms.items():
        delta.histograms[key] = hist.minus(before.histograms.get(key, Histogram()))
    return delta


# --- CPU from /proc ---------------------------------------------------------------------------


def _stat(pid: int | str) -> tuple[float, float] | None:
    """(own CPU seconds, CPU seconds of reaped children) of a process, None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
    return (utime + stime) / CLOCK_TICKS, (cutime + cstime) / CLOCK_TICKS


def _cmdline(pid: str) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def listening_pids(port: int) -> list[int]:
    """Processes holding a listening TCP socket on `port` (needs to see their /proc/*/fd)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{parts[9]}]")
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in inodes for fd in (proc / "fd").iterdir()):
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def cpu_snapshot(server_pids: list[int], database: str) -> dict[str, float]:
    figures = {"server": 0.0, "postgres_db": 0.0, "postgres_all": 0.0, "redis": 0.0}
    for pid in server_pids:
        if (stat := _stat(pid)) is not None:
            figures["server"] += stat[0]
    marker = f" {database} " if database else None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        command = _cmdline(proc.name)
        if command.startswith("postgres:"):  # a backend or an auxiliary process
            if (stat := _stat(proc.name)) is not None:
                figures["postgres_all"] += stat[0]
                if marker and marker in command:
                    figures["postgres_db"] += stat[0]
        elif "/postgres " in command or command.startswith("postgres "):  # the postmaster
            if (stat := _stat(proc.name)) is not None:
                figures["postgres_all"] += stat[0] + stat[1]
        elif command.startswith("redis-server") and (stat := _stat(proc.name)) is not None:
            figures["redis"] += stat[0]
    return figures


# --- the run ------------------------------------------------------------------------------------


@dataclass
class Point:
    at: float
    scrape: Scrape
    cpu: dict[str, float]

    @property
    def committed(self) -> float:
        return self.scrape.counter(COMMITTED)


def measure(args, command: list[str]) -> tuple[Point, Point, int]:
    """Runs the command; the points just before the first and at the last commit."""

    def point() -> Point:
        return Point(time.monotonic(), scrape_all(args.metrics), cpu_snapshot(args.pid, args.db))

    before = last = point()
    start_count = before.committed
    first: Point | None = None
    end: Point | None = None
    process = subprocess.Popen(command)
    while True:
        time.sleep(args.poll)
        running = process.poll() is None
        now = point()
        if first is None:
            if now.committed > start_count:
                first = last  # the last point before any commit of this run
            else:
                last = now
        if first is not None:
            if end is None or now.committed != end.committed:
                end = now
            elif now.at - end.at >= args.quiet:
                break  # nothing committed for a while: the edits are over
        if not running:
            break
    code = process.wait()
    if first is None or end is None:
        return before, before, code
    return first, end, code


# --- printing -----------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return "      -" if math.isnan(value) else f"{value * 1000:7.2f}"


def report(first: Point, end: Point, note: str) -> None:
    delta = difference(end.scrape, first.scrape)
    seconds = end.at - first.at
    committed = delta.counter(COMMITTED)
    print()
    print(f"window              {seconds:.1f} s (first to last commit, {note})")
    rate = committed / seconds if seconds > 0 else 0.0
    print(f"committed ops       {committed:.0f}  ({rate:.1f} ops/s)")
    rounds = {
        o: delta.counter("learnai_commit_rounds", outcome=o) for o in ("fast", "moved", "locked")
    }
    print(
        "commit rounds       "
        + ", ".join(f"{name} {count:.0f}" for name, count in rounds.items())
        + f"; ops per document {delta.histogram('learnai_commit_batch_size').mean():.2f}"
        + f", documents per round {delta.histogram('learnai_commit_group_documents').mean():.2f}"
    )
    hooks = {o: delta.counter("learnai_hook_deliveries", outcome=o) for o in ("delivered", "left")}
    print(
        f"hook deliveries     delivered {hooks['delivered']:.0f}, left to a later committer "
        f"{hooks['left']:.0f}"
    )
    stages = {s: delta.histogram("learnai_realtime_edit_stage_seconds", stage=s) for s in STAGES}
    if stages["total"].count <= 0:
        print("stages              none timed (start the servers with REALTIME_TIMINGS=true)")
    else:
        print(f"frame -> ack, ms    (server side, {stages['total'].count:.0f} edits timed)")
        print("  stage         p50      p99     mean")
        for name, hist in stages.items():
            p50, p99 = hist.quantile(0.5), hist.quantile(0.99)
            print(f"  {name:8s} {_ms(p50)}  {_ms(p99)}  {_ms(hist.mean())}")
        for label, metric in (
            ("event-loop lag", "learnai_event_loop_lag_seconds"),
            ("bus transit", "learnai_realtime_bus_transit_seconds"),
            ("flusher pass", "learnai_realtime_flush_pass_seconds"),
        ):
            hist = delta.histogram(metric)
            print(
                f"  {label:15s} p50 {_ms(hist.quantile(0.5))}  p99 {_ms(hist.quantile(0.99))}"
                f"  mean {_ms(hist.mean())}  ({hist.count:.0f} samples)"
            )
    print("CPU                 seconds   ms per committed op")
    labels = {
        "server": "server processes",
        "postgres_db": "PostgreSQL (db)",
        "postgres_all": "PostgreSQL (all)",
        "redis": "Redis",
    }
    for key, label in labels.items():
        used = end.cpu[key] - first.cpu[key]
        per_op = used / committed * 1000 if committed else math.nan
        print(f"  {label:17s} {used:8.2f}   {per_op:8.3f}")
    total = sum(end.cpu[k] - first.cpu[k] for k in ("server", "postgres_all", "redis"))
    print(
        f"  {'total':17s} {total:8.2f}   {total / committed * 1000 if committed else math.nan:8.3f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--metrics", action="append", required=True, help="a process's /metrics")
    parser.add_argument(
        "--pid", action="append", type=int, default=[], help="server process (default: the "
        "processes listening on the --metrics ports)",
    )  # fmt: skip
    parser.add_argument(
        "--db", default=urlsplit(os.environ.get("DATABASE_URL", "")).path.lstrip("/"),
        help="PostgreSQL database whose backends are counted (default: from DATABASE_URL)",
    )  # fmt: skip
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between scrapes")
    parser.add_argument(
        "--quiet", type=float, default=1.5, help="seconds without a commit that end the window"
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- the load command")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the load command after --")
    if not args.pid:
        for url in args.metrics:
            args.pid.extend(listening_pids(urlsplit(url).port or 80))
    note = f"to within {args.poll:g} s; server pids {' '.join(map(str, args.pid))}"
    first, end, code = measure(args, command)
    report(first, end, note)
    return code


if __name__ == "__main__":
    sys.exit(main())
