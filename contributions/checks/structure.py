"""Markdown structure: one H1 or none, headings in order without skipping a level, no
empty sections, no two headings with the same anchor (a link can reach only the first)."""

from __future__ import annotations

from mdit_py_plugins.anchors.index import slugify

from .source import Parsed
from .types import FAIL, PASS, WARN, CheckContext, CheckResult, Detail, count

NAME = "structure"
TITLE = "Markdown structure"


def _empty_sections(parsed: Parsed) -> list[Detail]:
    """Headings followed by nothing before the next heading of the same or a higher level."""
    details: list[Detail] = []
    heading_index = -1
    has_content: list[bool] = [False] * len(parsed.headings)
    for token in parsed.tokens:
        if token.type == "heading_open":
            heading_index += 1
        elif token.level == 0 and token.nesting >= 0 and heading_index >= 0:
            has_content[heading_index] = True  # a paragraph, list, fence, table, rule...
    for index, heading in enumerate(parsed.headings):
        following = parsed.headings[index + 1] if index + 1 < len(parsed.headings) else None
        if has_content[index] or (following is not None and following.level > heading.level):
            continue
        details.append(
            {"line": heading.line, "message": f"The section “{heading.title}” has no text."}
        )
    return details


def check(parsed: Parsed, context: CheckContext) -> CheckResult:
    problems: list[Detail] = []
    h1s = [heading for heading in parsed.headings if heading.level == 1]
    for heading in h1s[1:]:
        problems.append(
            {
                "line": heading.line,
                "message": f"A second title (H1) “{heading.title}”: a document has one title; "
                "make this a section (##).",
            }
        )
    previous = None
    for heading in parsed.headings:
        highest = 2 if previous is None else previous.level + 1
        if heading.level > highest:
            after = "the start" if previous is None else f"a level {previous.level} heading"
            problems.append(
                {
                    "line": heading.line,
                    "message": f"“{heading.title}” is a level {heading.level} heading right "
                    f"after {after}: use level {highest} so the outline has no gap.",
                }
            )
        previous = heading
    seen: dict[str, int] = {}
    for heading in parsed.headings:
        anchor = slugify(heading.title)
        if anchor in seen:
            problems.append(
                {
                    "line": heading.line,
                    "message": f"“{heading.title}” repeats the heading on line {seen[anchor]}: "
                    f"links to #{anchor} reach only the first one.",
                }
            )
        else:
            seen[anchor] = heading.line
    empty = _empty_sections(parsed)
    details = sorted(problems + empty, key=lambda d: d["line"] or 0)
    if problems:
        status, summary = FAIL, f"{count(len(problems), 'heading problem')} to fix in the outline."
    elif empty:
        status, summary = (
            WARN,
            f"{count(len(empty), 'empty section')}: add text or remove the heading.",
        )
    else:
        headings = count(len(parsed.headings), "heading")
        status, summary = PASS, f"The outline is in order ({headings})."
    return CheckResult(NAME, TITLE, status, summary, details)
