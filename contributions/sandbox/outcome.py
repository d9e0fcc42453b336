"""From what the child did to what a person reads: which status, and which limit if any.

A limit shows up in Python as an exception on its last traceback line (a failed fork, a
failed allocation, a too large file) or as a signal (CPU time). The code could print such
a line itself; it would only mislabel its own failure."""

from __future__ import annotations

import signal

from contributions.sandbox.config import MAX_FILE_BYTES, MAX_PROCESSES, SandboxConfig
from contributions.sandbox.process import Outcome
from contributions.sandbox.result import Runner, RunResult

_MB = 1024 * 1024


def _limit_reason(stderr: str, config: SandboxConfig) -> str:
    if "MemoryError" in stderr:
        return f"The code used more than the {config.memory_mb} MB of memory it may use."
    if "[Errno 11] Resource temporarily unavailable" in stderr:
        return f"The code tried to run more than {MAX_PROCESSES} processes at once."
    if "[Errno 27] File too large" in stderr:
        return f"The code wrote a file larger than {MAX_FILE_BYTES // _MB} MB."
    if "[Errno 28] No space left on device" in stderr:
        return "The code filled the disk space it may use."
    return ""


def _signal_of(code: int | None, runner: Runner) -> int:
    """The signal that ended the program; bubblewrap reports one as 128 + its number."""
    if code is None:
        return 0
    if code < 0:
        return -code
    return code - 128 if runner == "bwrap" and code > 128 else 0


def classify(
    outcome: Outcome,
    *,
    runner: Runner,
    python_version: str,
    config: SandboxConfig,
    timeout_seconds: float,
) -> RunResult:
    stderr = outcome.stderr.text()
    code = outcome.returncode
    limit = _limit_reason(stderr, config) if code != 0 else ""
    if limit:
        status, reason = "limit", limit
    elif outcome.timed_out:
        status = "timeout"
        reason = f"The code was stopped after {timeout_seconds:g} seconds."
    elif _signal_of(code, runner) in (signal.SIGXCPU, signal.SIGKILL):
        status = "timeout"
        reason = f"The code used more than {config.cpu_seconds} seconds of processor time."
    else:
        status, reason = ("ok", "") if code == 0 else ("error", "")
    return RunResult(
        status=status,
        stdout=outcome.stdout.text(),
        stderr=stderr,
        stdout_truncated=outcome.stdout.truncated,
        stderr_truncated=outcome.stderr.truncated,
        exit_code=None if outcome.timed_out else code,
        duration_ms=outcome.duration_ms,
        runner=runner,
        python_version=python_version,
        reason=reason,
    )
