"""Resource limits set in the child between fork and exec (they survive exec and bind
everything the code starts)."""

from __future__ import annotations

import os
import resource

from contributions.sandbox.config import MAX_FILE_BYTES, SandboxConfig


def apply_rlimits(config: SandboxConfig, *, max_processes: int) -> None:
    """Runs in the child. CPU: SIGXCPU at the soft limit, SIGKILL a second later."""
    cpu = config.cpu_seconds
    memory = config.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_NPROC, (max_processes, max_processes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def process_statuses():
    """(pid, fields of /proc/<pid>/status) of every process still there."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status", encoding="ascii", errors="replace") as f:
                yield int(entry.name), dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue  # gone meanwhile


def uid_of(fields: dict[str, str]) -> int:
    return int(fields.get("Uid", "-1").split()[0])


def is_zombie(fields: dict[str, str]) -> bool:
    return fields.get("State", "").strip().startswith("Z")


def tasks_of_uid(uid: int) -> int:
    """Live threads running as `uid` (RLIMIT_NPROC counts threads of the real uid);
    zombies, already dead, are left out."""
    return sum(
        int(fields.get("Threads", "1").strip() or 1)
        for _, fields in process_statuses()
        if uid_of(fields) == uid and not is_zombie(fields)
    )
