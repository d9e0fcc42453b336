"""A document's Markdown split at its headings, the units search finds and links to.

Every heading starts a section that runs to the next heading of any level; the text before
the first heading is the document's lead (anchor "", titled with the document's title).
Anchors are the ids the document page gives its headings (`markdown.table_of_contents`),
so `/docs/<slug>/#<anchor>` lands on the section. Headings are found by the same kind of
parser the page uses (CommonMark with $$ math), so a `#` line inside a code block or a
math block is not a heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from ..markdown import table_of_contents

MAX_EMBED_CHARS = 2000  # of a section's prose, after the titles; enough for its gist
EXCERPT_CHARS = 240

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
_DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.DOTALL)
_INLINE_MATH = re.compile(r"\$([^$\n]+)\$")
_TABLE_RULE = re.compile(r"^\s*\|?[\s:|-]+\|[\s:|-]*$", re.MULTILINE)
_MARKUP = re.compile(r"[*`>#|]+|(?<!\w)_+|_+(?!\w)")


@dataclass(frozen=True)
class Section:
    anchor: str  # "" for the lead
    title: str
    level: int  # 0 for the lead
    path: tuple[str, ...]  # the titles of the headings above it, outermost first
    start: int  # offset of its first character (the heading line) in the text
    text: str  # its Markdown, heading line excluded

    @property
    def breadcrumb(self) -> str:
        return " > ".join((*self.path, self.title))


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table"]).use(dollarmath_plugin, allow_digits=False)


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for match in re.finditer("\n", text):
        starts.append(match.end())
    return starts


def split_sections(text: str, *, title: str) -> list[Section]:
    """The lead (always, even when empty) and one section per heading, in order."""
    text = text or ""
    headings = [t for t in _parser().parse(text) if t.type == "heading_open" and t.map]
    entries = table_of_contents(text)
    if len(entries) != len(headings):  # cannot happen with the same grammar; stay safe
        return [Section("", title, 0, (), 0, text)]
    lines = _line_starts(text)

    def offset(line: int) -> int:
        return lines[line] if line < len(lines) else len(text)

    sections = []
    first_start = offset(headings[0].map[0]) if headings else len(text)
    sections.append(Section("", title, 0, (), 0, text[:first_start]))
    stack: list[tuple[int, str]] = []  # (level, title) of the open headings
    for index, (token, entry) in enumerate(zip(headings, entries, strict=True)):
        start = offset(token.map[0])
        body_start = offset(token.map[1])
        end = offset(headings[index + 1].map[0]) if index + 1 < len(headings) else len(text)
        level = entry["level"]
        while stack and stack[-1][0] >= level:
            stack.pop()
        heading = entry["title"] or entry["id"]
        sections.append(
            Section(
                anchor=entry["id"],
                title=heading,
                level=level,
                path=tuple(t for _, t in stack),
                start=start,
                text=text[body_start:end],
            )
        )
        stack.append((level, heading))
    return sections


def plain_text(markdown: str) -> str:
    """The prose of a piece of Markdown: code blocks, display math and markup left out,
    inline math kept as its TeX. What is embedded and shown as an excerpt."""
    text = _FENCE.sub(" ", markdown)
    text = _DISPLAY_MATH.sub(" ", text)
    text = _INLINE_MATH.sub(r"\1", text)
    text = _TABLE_RULE.sub(" ", text)
    text = _MARKUP.sub(" ", text)
    return " ".join(text.split())


def embedding_text(section: Section, *, document_title: str) -> str:
    """What is embedded for a section: where it sits (document, headings), then its prose."""
    heading = document_title if not section.anchor else f"{document_title}: {section.breadcrumb}"
    return f"{heading}\n{plain_text(section.text)[:MAX_EMBED_CHARS]}".strip()


def excerpt(markdown: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of the prose, cut at a word, for lists and panels."""
    text = plain_text(markdown)
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"
