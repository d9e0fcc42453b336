"""Math delimiters balance: `$…$`, `$$…$$`, `\\(…\\)` and `\\[…\\]`.

Pure Python, on the source of each paragraph with code spans, escaped dollars and the
math the renderer found blanked out: a `$` still there that is not a price (`$5`) opens
math that never closes, and a line still starting with `$$` opens a display block that
never closes (the reader sees the dollar signs and raw TeX).
"""

from __future__ import annotations

import re

from .source import MATH_TOKENS, Parsed
from .types import FAIL, PASS, CheckContext, CheckResult, Detail, count

NAME = "math"
TITLE = "Math delimiters"
_PAIRS = ((r"\(", r"\)"), (r"\[", r"\]"))


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


def _clean(raw: str, maths: list[str]) -> str:
    raw = re.sub(r"\\\$", "  ", raw)
    cursor = 0
    for tex in maths:
        for fence in ("$$", "$"):
            at = raw.find(f"{fence}{tex}{fence}", cursor)
            if at >= 0:
                end = at + len(tex) + 2 * len(fence)
                raw = _blank(raw, at, end)
                cursor = end
                break
    return raw


def check(parsed: Parsed, context: CheckContext) -> CheckResult:
    details: list[Detail] = []
    formulas = sum(1 for token in parsed.tokens if token.type in MATH_TOKENS)
    for inline in parsed.inlines:
        maths = [c.content for c in inline.token.children or [] if c.type in MATH_TOKENS]
        formulas += len(maths)
        raw = _clean(inline.raw_without_code(), maths)
        for offset, line_text in enumerate(raw.split("\n")):
            line = inline.line + offset
            if line_text.lstrip().startswith("$$"):
                details.append(
                    {"line": line, "message": "$$ opens display math that is never closed."}
                )
                continue
            if re.search(r"\$(?!\d)", line_text):
                details.append(
                    {
                        "line": line,
                        "message": "A $ that opens math never closes (write \\$ for a dollar "
                        "sign; a closing $ must follow the formula directly).",
                    }
                )
        for opening, closing in _PAIRS:
            opened, closed = raw.count(opening), raw.count(closing)
            if opened != closed:
                details.append(
                    {
                        "line": inline.line,
                        "message": f"{opened} {opening} but {closed} {closing} in this paragraph.",
                    }
                )
    if details:
        return CheckResult(
            NAME, TITLE, FAIL, f"{count(len(details), 'unbalanced math delimiter')}.", details
        )
    summary = (
        f"Delimiters balance in {count(formulas, 'formula')}." if formulas else "No math to check."
    )
    return CheckResult(NAME, TITLE, PASS, summary)
