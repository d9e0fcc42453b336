"""Readability of the prose (textstat): Flesch reading ease and Flesch-Kincaid grade of the
paragraphs only, with code, math, headings and tables left out. A warning, never a
failure: technical writing is allowed to be hard, but a reader should know.

Thresholds are settings (CHECKS_READABILITY_MIN_EASE, CHECKS_READABILITY_MAX_GRADE), read
into the CheckContext. Below MIN_WORDS words the figures mean little, so nothing is said.
"""

from __future__ import annotations

import textstat

from .source import Parsed
from .types import NOT_RUN, PASS, WARN, CheckContext, CheckResult, Detail

NAME = "readability"
TITLE = "Readability"
MIN_WORDS = 100
PARAGRAPH_MIN_WORDS = 25
HARDEST_SHOWN = 3
_PROSE = ("text", "softbreak", "hardbreak")


def paragraphs(parsed: Parsed) -> list[tuple[int, str]]:
    """(line, text) of each paragraph, code and math left out."""
    found = []
    for inline in parsed.inlines:
        if inline.container != "paragraph":
            continue
        words = [
            " " if child.type != "text" else child.content
            for child in inline.token.children or []
            if child.type in _PROSE
        ]
        text = " ".join("".join(words).split())
        if text:
            found.append((inline.line, text))
    return found


def _word_count(text: str) -> int:
    return textstat.lexicon_count(text, removepunct=True)


def check(parsed: Parsed, context: CheckContext) -> CheckResult:
    prose = paragraphs(parsed)
    text = "\n\n".join(paragraph for _, paragraph in prose)
    words = _word_count(text) if text else 0
    if words < MIN_WORDS:
        return CheckResult(
            NAME,
            TITLE,
            NOT_RUN,
            f"Too little prose to measure ({words} words; {MIN_WORDS} needed).",
        )
    ease = float(textstat.flesch_reading_ease(text))
    grade = float(textstat.flesch_kincaid_grade(text))
    figures = f"reading ease {ease:.0f} (0-100, higher is easier), grade {grade:.1f}"
    hard = ease < context.readability_min_ease or grade > context.readability_max_grade
    if not hard:
        return CheckResult(NAME, TITLE, PASS, f"Readable: {figures}.")
    graded = [
        (float(textstat.flesch_kincaid_grade(paragraph)), line)
        for line, paragraph in prose
        if _word_count(paragraph) >= PARAGRAPH_MIN_WORDS
    ]
    details: list[Detail] = [
        {
            "line": line,
            "message": f"A hard paragraph (grade {paragraph_grade:.1f}): shorter sentences "
            "and plainer words would help.",
        }
        for paragraph_grade, line in sorted(graded, reverse=True)[:HARDEST_SHOWN]
    ]
    limits = (
        f"aim for ease {context.readability_min_ease:.0f}+ and grade "
        f"{context.readability_max_grade:.0f} or lower"
    )
    return CheckResult(NAME, TITLE, WARN, f"Hard to read: {figures}; {limits}.", details)
