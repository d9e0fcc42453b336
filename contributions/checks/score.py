"""The quality score, 0-100, and its weighting: the one place both live (the checks page
shows this table).

Each check has a weight; a pass earns all of it, a warning half, a failure nothing; a check
that did not run is left out (the score is over the checks that ran). The weights add up
to 100, so with every check run a weight is also the points it can cost.
"""

from __future__ import annotations

from .types import FAIL, NOT_RUN, PASS, WARN, CheckResult

WEIGHTS: dict[str, int] = {
    "structure": 20,
    "links": 15,
    "math": 10,
    "katex": 10,
    "readability": 10,
    "spelling": 5,
    "code_syntax": 15,
    "code_output": 15,
}
CREDIT = {PASS: 1.0, WARN: 0.5, FAIL: 0.0}


def score(results: list[CheckResult]) -> int | None:
    """The weighted share of the checks that ran, as 0-100; None when none ran."""
    earned = possible = 0.0
    for result in results:
        if result.status == NOT_RUN:
            continue
        weight = WEIGHTS.get(result.name, 0)
        earned += weight * CREDIT[result.status]
        possible += weight
    if not possible:
        return None
    return round(100 * earned / possible)
