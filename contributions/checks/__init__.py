"""Automated checks of a document's Markdown and its quality score.

The library: `run_checks(markdown, context=CheckContext(...)) -> CheckReport` (suite.py),
one module per check, the weighting in score.py. Storing runs and sending runnable
blocks to the sandbox worker: service.py (writes), selectors.py (reads), dispatch.py.
"""

from .score import WEIGHTS, score
from .suite import CHECKS, TITLES, run_checks
from .types import CheckContext, CheckReport, CheckResult, RunOutcome

__all__ = [
    "CHECKS",
    "TITLES",
    "WEIGHTS",
    "CheckContext",
    "CheckReport",
    "CheckResult",
    "RunOutcome",
    "run_checks",
    "score",
]
