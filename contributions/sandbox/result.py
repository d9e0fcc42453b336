"""What a run answers: a plain frozen value that crosses Celery as a dict."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Status = Literal["ok", "error", "timeout", "limit", "not_run"]
Runner = Literal["bwrap", "rlimits", "none"]


@dataclass(frozen=True)
class RunResult:
    status: Status
    stdout: str = ""
    stderr: str = ""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    exit_code: int | None = None
    duration_ms: int = 0
    runner: Runner = "none"
    python_version: str = ""
    # For people: why the code did not run, or which limit stopped it.
    reason: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> RunResult:
        return cls(**data)


def not_run(reason: str) -> RunResult:
    return RunResult(status="not_run", reason=reason)
