"""The shapes every check shares: what a check is told (CheckContext), what it answers
(CheckResult) and the report of all of them (CheckReport, with the score)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TypedDict

Status = Literal["pass", "warn", "fail", "not_run"]
PASS: Status = "pass"
WARN: Status = "warn"
FAIL: Status = "fail"
NOT_RUN: Status = "not_run"


class Detail(TypedDict):
    line: int | None  # 1-based line of the Markdown, None for the whole document
    message: str


class RunOutcome(TypedDict, total=False):
    """What running a code block answered: the sandbox's RunResult as a dict."""

    status: str  # ok | error | timeout | limit | not_run
    stdout: str
    stderr: str
    reason: str
    runner: str
    python_version: str


# Runs one block's code and answers its outcome. The web process never has one: code runs
# on the sandbox worker only (contributions.run_code), and tests plug in a fake.
CodeRunner = Callable[[str], RunOutcome]
# The heading anchors of another document by slug, or None when there is no such document
# (or the writer may not read it).
AnchorLookup = Callable[[str], set[str] | None]


@dataclass(frozen=True)
class CheckContext:
    """Which document the text is (for relative links) and how to run code.

    `run_code` None: runnable blocks are reported not_run with `not_run_reason`.
    """

    document_slug: str | None = None
    anchors_of: AnchorLookup | None = None
    run_code: CodeRunner | None = None
    not_run_reason: str = "Code runs on the sandbox worker, not here."
    readability_min_ease: float = 30.0
    readability_max_grade: float = 14.0
    node_binary: str | None = "node"


@dataclass(frozen=True)
class CheckResult:
    name: str
    title: str
    status: Status
    summary: str
    details: list[Detail] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CheckReport:
    results: list[CheckResult]
    score: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"score": self.score, "results": [result.as_dict() for result in self.results]}


def count(number: int, noun: str) -> str:
    """ "1 link", "3 links": summaries are read by people."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
