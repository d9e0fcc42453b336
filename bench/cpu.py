#!/usr/bin/env python
"""CPU seconds that server processes use while a benchmark runs, read from /proc (Linux).

Issue 15 compares "server CPU per committed operation (our processes or ShareDB's, plus
PostgreSQL and Redis)". Latency and throughput alone hide a server that is fast only
because it burns both cores; this counts what the servers spent, whoever they are:

  # which processes would be counted
  python bench/cpu.py list --pid 1234 --match '^redis-server'

  # CPU used while a command runs, and per committed op (parsed from its output)
  python bench/cpu.py run --pid "$(pgrep -d, -f 'daphne .*-p 810[12] ')" \\
      --pid "$(head -1 /var/lib/postgresql/15/main/postmaster.pid)" --match '^redis-server' \\
      -- .venv/bin/python bench/collab_load.py $ARGS saturate --clients 10 --duration 20

Rules (bench/sharedb/proccpu.js follows the same ones, so ShareDB is counted alike):
- a process is watched when its pid is given, with its descendants (PostgreSQL starts one
  backend per connection, and pools open connections during a run), or when its command
  line matches a --match regular expression (anchor it with ^: command lines that hold
  the pattern as an argument would match too);
- this process, its ancestors and its descendants (the command run) are never watched;
- a watched process counts the utime + stime it gained in the window, all of it if it
  started in the window; one that ended in the window is counted through its watched
  parent's cutime + cstime (the kernel adds it when the parent reaps it). One reaped by an
  unwatched parent is missed.
Every process on the machine shares its cores: take the figures as relative comparisons.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
# collab_load.py and bench/sharedb/load.js both print "committed ops       N  (...)".
DEFAULT_OPS_PATTERN = r"^committed ops\s+(\d+)"


@dataclass(frozen=True)
class Process:
    pid: int
    ppid: int
    comm: str
    cmdline: str
    ticks: int  # utime + stime, all threads
    child_ticks: int  # cutime + cstime: reaped children
    key: str  # pid:starttime, one process even if its pid is reused


@dataclass
class Group:
    ticks: int = 0
    processes: set[str] = field(default_factory=set)


@dataclass
class Usage:
    seconds: float
    groups: dict[str, tuple[float, int]]  # process name -> (seconds, processes)


def read_process(pid: int) -> Process | None:
    """One process from /proc, or None if it ended between the listing and the read."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
        raw_cmdline = (PROC / str(pid) / "cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The name in parentheses may hold spaces and parentheses: fields start after the last ')'.
    close = stat.rindex(")")
    comm = stat[stat.index("(") + 1 : close]
    # fields[0] is field 3 (state) of proc(5): ppid 4, utime 14, stime 15, cutime 16,
    # cstime 17, starttime 22.
    fields = stat[close + 2 :].split()
    cmdline = raw_cmdline.replace(b"\0", b" ").decode(errors="replace").strip()
    return Process(
        pid=pid,
        ppid=int(fields[1]),
        comm=comm,
        cmdline=cmdline or f"[{comm}]",
        ticks=int(fields[11]) + int(fields[12]),
        child_ticks=int(fields[13]) + int(fields[14]),
        key=f"{pid}:{fields[19]}",
    )


def snapshot() -> dict[str, Process]:
    """Every process now, keyed by pid:starttime."""
    processes = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (process := read_process(int(entry.name))) is not None:
            processes[process.key] = process
    return processes


def _descendants(processes: dict[str, Process], roots: set[int]) -> set[int]:
    children: dict[int, list[int]] = {}
    for process in processes.values():
        children.setdefault(process.ppid, []).append(process.pid)
    found = set(roots)
    stack = list(roots)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _ancestors(processes: dict[str, Process], pid: int) -> set[int]:
    by_pid = {process.pid: process for process in processes.values()}
    found: set[int] = set()
    process = by_pid.get(pid)
    while process is not None and process.pid not in found:
        found.add(process.pid)
        process = by_pid.get(process.ppid)
    return found


def watched(
    processes: dict[str, Process],
    *,
    pids: set[int],
    patterns: list[re.Pattern[str]],
    self_pid: int,
) -> set[str]:
    """The keys of the processes counted in one snapshot."""
    excluded = _ancestors(processes, self_pid) | _descendants(processes, {self_pid})
    given = _descendants(processes, pids)
    return {
        process.key
        for process in processes.values()
        if process.pid not in excluded
        and (process.pid in given or any(p.search(process.cmdline) for p in patterns))
    }


def cpu_between(
    before: dict[str, Process],
    after: dict[str, Process],
    *,
    pids: set[int],
    patterns: list[re.Pattern[str]],
    self_pid: int,
) -> Usage:
    """CPU seconds the watched processes used between two snapshots, by process name."""
    watched_before = watched(before, pids=pids, patterns=patterns, self_pid=self_pid)
    watched_after = watched(after, pids=pids, patterns=patterns, self_pid=self_pid)
    groups: dict[str, Group] = {}

    def add(name: str, ticks: int, key: str | None = None) -> None:
        group = groups.setdefault(name, Group())
        group.ticks += ticks
        if key is not None:
            group.processes.add(key)

    for key in watched_after:
        now, then = after[key], before.get(key)
        # A process that started in the window used all its time (and its reaped
        # children's) in the window.
        add(now.comm, now.ticks - (then.ticks if then else 0), key)
        add(now.comm, now.child_ticks - (then.child_ticks if then else 0))
    # A watched process that ended is in its parent's child_ticks with its whole life: take
    # off what it had used before the window.
    parents = {after[key].pid for key in watched_after}
    for key in watched_before:
        then = before[key]
        if key not in after and then.ppid in parents:
            add(then.comm, -then.ticks, key)
    ordered = sorted(groups.items(), key=lambda item: -item[1].ticks)
    return Usage(
        seconds=sum(group.ticks for _, group in ordered) / TICKS_PER_SECOND,
        groups={
            name: (group.ticks / TICKS_PER_SECOND, len(group.processes)) for name, group in ordered
        },
    )


def run_measured(
    command: list[str], *, pids: set[int], patterns: list[re.Pattern[str]]
) -> tuple[int, Usage, float, str]:
    """Runs the command (its output passed through) and returns (exit code, usage, wall
    seconds, output)."""
    before = snapshot()
    started = time.perf_counter()
    lines = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, bufsize=1) as child:
        for line in child.stdout:
            sys.stdout.write(line)
            lines.append(line)
    wall = time.perf_counter() - started
    usage = cpu_between(before, snapshot(), pids=pids, patterns=patterns, self_pid=os.getpid())
    return child.returncode, usage, wall, "".join(lines)


def format_usage(usage: Usage, wall: float) -> str:
    parts = ", ".join(
        f"{name} {seconds:.2f} s/{count}" for name, (seconds, count) in usage.groups.items()
    )
    return (
        f"server cpu          {usage.seconds:.2f} s over {wall:.1f} s "
        f"({parts or 'no process matched'})"
    )


def _pid_list(values: list[str]) -> set[int]:
    """--pid 12 --pid 13,14 (what `pgrep -d,` prints); an empty value adds nothing."""
    return {int(pid) for value in values for pid in value.split(",") if pid.strip()}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    selection = argparse.ArgumentParser(add_help=False)
    selection.add_argument(
        "--pid", action="append", default=[], help="pid(s), comma-separated; with descendants"
    )
    selection.add_argument(
        "--match", action="append", default=[], help="regular expression on the command line"
    )
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser(
        "list", parents=[selection], help="print the processes that would be counted now"
    )
    run = sub.add_parser(
        "run", parents=[selection], help="run a command and print the CPU the processes used"
    )
    run.add_argument("--ops", type=int, help="committed operations (else read from the output)")
    run.add_argument("--ops-regex", default=DEFAULT_OPS_PATTERN, help="first group = op count")
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- command and arguments")
    args = parser.parse_args()
    pids = _pid_list(args.pid)
    patterns = [re.compile(pattern) for pattern in args.match]

    if args.action == "list":
        processes = snapshot()
        keys = watched(processes, pids=pids, patterns=patterns, self_pid=os.getpid())
        for process in sorted((processes[key] for key in keys), key=lambda p: p.pid):
            print(f"{process.pid:>8} {process.comm:<16} {process.cmdline[:100]}")
        return 0

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("run needs a command after --")
    returncode, usage, wall, output = run_measured(command, pids=pids, patterns=patterns)
    print(format_usage(usage, wall))
    ops = args.ops
    if ops is None and (found := re.search(args.ops_regex, output, re.MULTILINE)):
        ops = int(found.group(1))
    if ops:
        print(f"cpu per op          {usage.seconds * 1000 / ops:.3f} ms ({ops} committed ops)")
    else:
        print("cpu per op          n/a (no op count: pass --ops N or --ops-regex)")
    return returncode


if __name__ == "__main__":
    sys.exit(main())
