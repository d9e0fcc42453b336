"""Spelling of common ML terms (the curated list in ml_terms_list.py): "pytorch",
"Tensorflow", "back-propogation" are flagged with the spelling to use. Prose only (code
spans, code blocks, math and link addresses are left alone). A warning, never a failure.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .ml_terms_list import MISSPELLINGS, TERMS
from .source import Parsed
from .types import PASS, WARN, CheckContext, CheckResult, Detail, count

NAME = "spelling"
TITLE = "Spelling of ML terms"
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
MAX_DETAILS = 100


def _key(word: str) -> str:
    return re.sub(r"[\s-]", "", word.lower())


@lru_cache(maxsize=1)
def _known() -> dict[str, str]:
    """{normalised form: spelling to use}, plurals included."""
    known: dict[str, str] = {}
    for term in TERMS:
        known.setdefault(_key(term) + "s", term + "s")
    for term in TERMS:
        known[_key(term)] = term
    for wrong, right in MISSPELLINGS.items():
        known[_key(wrong)] = right
    return known


def suggestion(word: str) -> str | None:
    """The spelling to use instead of `word`, or None when `word` is fine or unknown."""
    right = _known().get(_key(word))
    if right is None or word == right:
        return None
    if right == right.lower() and word == right[:1].upper() + right[1:]:
        return None  # a lower-case term starting a sentence or a heading
    return right


def check(parsed: Parsed, context: CheckContext) -> CheckResult:
    details: list[Detail] = []
    total = 0
    for inline in parsed.inlines:
        for line, child in inline.pieces():
            if child.type != "text":
                continue
            for match in _WORD.finditer(child.content):
                right = suggestion(match.group(0))
                if right is None:
                    continue
                total += 1
                if len(details) < MAX_DETAILS:
                    details.append(
                        {"line": line, "message": f"“{match.group(0)}”: write “{right}”."}
                    )
    if total:
        return CheckResult(
            NAME,
            TITLE,
            WARN,
            f"{count(total, 'ML term')} spelled differently from the usual.",
            details,
        )
    return CheckResult(NAME, TITLE, PASS, "ML terms are spelled the usual way.")
