"""Code blocks: every ```python block parses (ast.parse, nothing runs), and every
```python run block, run by the context's runner (the sandbox worker; never this
process), prints what the ```output block right after it says (trailing whitespace and
blank lines at the end do not count). Without a runner those blocks are "not run"."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from .block_runs import block_hash
from .source import Fence, Parsed
from .types import (
    FAIL,
    NOT_RUN,
    PASS,
    CheckContext,
    CheckResult,
    Detail,
    RunOutcome,
    Status,
    count,
)

SYNTAX_NAME = "code_syntax"
SYNTAX_TITLE = "Python code parses"
OUTPUT_NAME = "code_output"
OUTPUT_TITLE = "Runnable code prints its output"
_TRACEBACK_LINE = re.compile(r'File "[^"]*", line (\d+)')


def syntax_error(fence: Fence) -> tuple[int, str] | None:
    """(document line, message) when the block does not parse, else None."""
    try:
        ast.parse(fence.code)
    except SyntaxError as exc:
        line = fence.line + (exc.lineno or 1)
        return line, f"Python cannot parse this block: {exc.msg} (line {line})."
    except (ValueError, RecursionError, MemoryError):
        return fence.line, "Python cannot parse this block (null bytes or nesting too deep)."
    return None


def syntax_check(parsed: Parsed, context: CheckContext) -> CheckResult:
    blocks = [fence for fence in parsed.fences if fence.is_python]
    details: list[Detail] = []
    for fence in blocks:
        error = syntax_error(fence)
        if error:
            details.append({"line": error[0], "message": error[1]})
    if details:
        summary = f"{len(details)} of {count(len(blocks), 'Python block')} cannot be parsed."
        return CheckResult(SYNTAX_NAME, SYNTAX_TITLE, FAIL, summary, details)
    summary = (
        f"{count(len(blocks), 'Python block')} checked; all parse."
        if blocks
        else "No Python blocks."
    )
    return CheckResult(SYNTAX_NAME, SYNTAX_TITLE, PASS, summary)


def normalise_output(text: str) -> list[str]:
    lines = [line.rstrip() for line in (text or "").splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


@dataclass(frozen=True)
class BlockRun:
    """One runnable block's verdict."""

    fence: Fence
    code_hash: str
    status: Status
    line: int
    message: str
    outcome: RunOutcome | None = None


def _error_line(fence: Fence, stderr: str) -> int:
    found = _TRACEBACK_LINE.findall(stderr or "")
    lines = fence.code.count("\n") or 1
    if found and 0 < int(found[-1]) <= lines:
        return fence.line + int(found[-1])
    return fence.line


def _judge(fence: Fence, outcome: RunOutcome) -> tuple[Status, int, str]:
    status = outcome.get("status")
    stderr = (outcome.get("stderr") or "").strip()
    if status == "not_run":
        return NOT_RUN, fence.line, f"Not run: {outcome.get('reason') or 'no sandbox here.'}"
    if status == "timeout":
        return FAIL, fence.line, "It ran past the time limit and was stopped."
    if status == "limit":
        reason = outcome.get("reason") or "it used more memory, processes or disk than allowed"
        return FAIL, fence.line, f"It was stopped: {reason}"
    if status != "ok":
        last = stderr.splitlines()[-1] if stderr else "it exited with an error"
        return FAIL, _error_line(fence, stderr), f"It raised an error: {last}"
    if fence.expected_output is None:
        return PASS, fence.line, "It runs without error."
    got = normalise_output(outcome.get("stdout") or "")
    want = normalise_output(fence.expected_output)
    if got == want:
        return PASS, fence.line, "It prints the output shown below it."
    for index in range(max(len(got), len(want))):
        mine = got[index] if index < len(got) else "(nothing)"
        theirs = want[index] if index < len(want) else "(nothing)"
        if mine != theirs:
            line = (fence.output_line or fence.line) + 1 + min(index, len(want))
            return FAIL, line, f"Output line {index + 1}: expected “{theirs}”, printed “{mine}”."
    return FAIL, fence.line, "The output differs."  # unreachable: the lists differ somewhere


def run_blocks(parsed: Parsed, context: CheckContext) -> list[BlockRun]:
    runs = []
    for fence in parsed.fences:
        if not fence.is_runnable:
            continue
        code_hash = block_hash(fence.code)
        if syntax_error(fence):
            runs.append(
                BlockRun(fence, code_hash, NOT_RUN, fence.line, "Not run: it does not parse.")
            )
        elif context.run_code is None:
            runs.append(
                BlockRun(
                    fence, code_hash, NOT_RUN, fence.line, f"Not run: {context.not_run_reason}"
                )
            )
        else:
            outcome = context.run_code(fence.code)
            status, line, message = _judge(fence, outcome)
            runs.append(BlockRun(fence, code_hash, status, line, message, outcome))
    return runs


def output_check(parsed: Parsed, context: CheckContext) -> CheckResult:
    runs = run_blocks(parsed, context)
    details: list[Detail] = [{"line": run.line, "message": run.message} for run in runs]
    failed = sum(run.status == FAIL for run in runs)
    passed = sum(run.status == PASS for run in runs)
    if not runs:
        return CheckResult(OUTPUT_NAME, OUTPUT_TITLE, PASS, "No runnable blocks (```python run).")
    if failed:
        summary = f"{failed} of {count(len(runs), 'runnable block')} failed."
        return CheckResult(OUTPUT_NAME, OUTPUT_TITLE, FAIL, summary, details)
    if not passed:
        summary = f"{count(len(runs), 'runnable block')} not run: {context.not_run_reason}"
        if context.run_code is not None:
            summary = f"{count(len(runs), 'runnable block')} could not be run."
        return CheckResult(OUTPUT_NAME, OUTPUT_TITLE, NOT_RUN, summary, details)
    summary = f"{passed} of {count(len(runs), 'runnable block')} ran and printed what they should."
    return CheckResult(OUTPUT_NAME, OUTPUT_TITLE, PASS, summary, details)
