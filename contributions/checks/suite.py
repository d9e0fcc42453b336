"""`run_checks`: every check over one Markdown text, in the order a page shows them, with
the score. Pure: no database, no network; code runs only through `context.run_code`."""

from __future__ import annotations

from collections.abc import Callable

from . import code_blocks, katex, links, math_delimiters, ml_terms, readability, structure
from .score import score
from .source import Parsed, parse
from .types import CheckContext, CheckReport, CheckResult

Check = Callable[[Parsed, CheckContext], CheckResult]

CHECKS: list[Check] = [
    structure.check,
    links.check,
    math_delimiters.check,
    katex.check,
    readability.check,
    ml_terms.check,
    code_blocks.syntax_check,
    code_blocks.output_check,
]
TITLES = {
    structure.NAME: structure.TITLE,
    links.NAME: links.TITLE,
    math_delimiters.NAME: math_delimiters.TITLE,
    katex.NAME: katex.TITLE,
    readability.NAME: readability.TITLE,
    ml_terms.NAME: ml_terms.TITLE,
    code_blocks.SYNTAX_NAME: code_blocks.SYNTAX_TITLE,
    code_blocks.OUTPUT_NAME: code_blocks.OUTPUT_TITLE,
}


def run_checks(markdown: str, *, context: CheckContext) -> CheckReport:
    parsed = parse(markdown)
    results = [check(parsed, context) for check in CHECKS]
    return CheckReport(results=results, score=score(results))
