"""The sandbox's settings as one hashable value, so the runner probe can be cached per
configuration (tests that change a setting get a fresh probe)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

# Fixed by the issue rather than settings: raising them weakens the containment.
MAX_PROCESSES = 32
MAX_FILE_BYTES = 10 * 1024 * 1024
# Each of stdout and stderr keeps this much; the rest is read and dropped.
OUTPUT_CAP_BYTES = 64 * 1024
# The private /tmp of the bubblewrap runner lives in memory: bounded.
TMPFS_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class SandboxConfig:
    runner: str  # auto | bwrap | rlimits | off
    user: str
    wall_seconds: float
    cpu_seconds: int
    memory_mb: int
    python: str


def current_config() -> SandboxConfig:
    return SandboxConfig(
        runner=settings.SANDBOX_RUNNER,
        user=settings.SANDBOX_USER,
        wall_seconds=float(settings.SANDBOX_WALL_SECONDS),
        cpu_seconds=int(settings.SANDBOX_CPU_SECONDS),
        memory_mb=int(settings.SANDBOX_MEMORY_MB),
        python=settings.SANDBOX_PYTHON,
    )
