"""The Markdown as the checks see it: parsed once, with 1-based line numbers.

The parser is configured like the document renderer's (collaboration/markdown.py:
CommonMark, tables, strikethrough, `$` math without digits, heading anchors), so what a
check calls math, code or a heading is what readers see as such; heading anchors come
from the renderer itself (`table_of_contents`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin

from collaboration.markdown import render_markdown, table_of_contents

PYTHON_LANGUAGES = frozenset({"python", "py", "python3"})
MATH_TOKENS = frozenset({"math_inline", "math_inline_double", "math_block", "math_block_label"})
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
_ELEMENT_ID = re.compile(r'\sid="([^"]+)"')


@dataclass(frozen=True)
class Heading:
    level: int
    title: str
    anchor: str
    line: int


@dataclass(frozen=True)
class Fence:
    language: str  # first word of the info string, lower-cased
    flags: tuple[str, ...]  # the other words (`run`)
    code: str
    line: int  # the opening fence's line
    # The ```output block right after it (what a runnable block must print), if any.
    expected_output: str | None = None
    output_line: int | None = None

    @property
    def is_python(self) -> bool:
        return self.language in PYTHON_LANGUAGES

    @property
    def is_runnable(self) -> bool:
        return self.is_python and "run" in self.flags


@dataclass(frozen=True)
class Inline:
    """One run of inline Markdown (a paragraph, a heading, a table cell) and where it is."""

    token: Token
    line: int  # first line
    container: str  # paragraph | heading | table

    def pieces(self) -> list[tuple[int, Token]]:
        """The inline's children, each with its line (soft and hard breaks move on)."""
        line = self.line
        found = []
        for child in self.token.children or []:
            found.append((line, child))
            if child.type in ("softbreak", "hardbreak"):
                line += 1
        return found

    def raw_without_code(self) -> str:
        """The source of the inline with code spans blanked (same length, same newlines)."""
        return _CODE_SPAN.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), self.token.content)


@dataclass(frozen=True)
class Parsed:
    text: str
    tokens: list[Token]
    headings: list[Heading] = field(default_factory=list)
    fences: list[Fence] = field(default_factory=list)
    inlines: list[Inline] = field(default_factory=list)
    element_ids: frozenset[str] = frozenset()

    def line_text(self, line: int) -> str:
        lines = self.text.splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )
    md.use(dollarmath_plugin, allow_digits=False)
    md.use(anchors_plugin, min_level=1, max_level=6)
    return md


def _line(token: Token) -> int:
    return token.map[0] + 1 if token.map else 1


def _words(token: Token) -> list[str]:
    return (token.info or "").strip().lower().split()


def _fence(tokens: list[Token], index: int) -> Fence:
    token = tokens[index]
    words = _words(token)
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    output = None
    if following is not None and following.type == "fence" and _words(following)[:1] == ["output"]:
        output = following
    return Fence(
        words[0] if words else "",
        tuple(words[1:]),
        token.content,
        _line(token),
        output.content if output is not None else None,
        _line(output) if output is not None else None,
    )


def parse(text: str) -> Parsed:
    tokens = _parser().parse(text or "")
    toc = table_of_contents(text)
    headings: list[Heading] = []
    fences: list[Fence] = []
    inlines: list[Inline] = []
    containers: list[str] = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            entry = toc[len(headings)] if len(headings) < len(toc) else None
            title = entry["title"] if entry else tokens[index + 1].content
            anchor = entry["id"] if entry else str(token.attrGet("id") or "")
            headings.append(Heading(int(token.tag[1]), title, anchor, _line(token)))
        elif token.type == "fence":
            fences.append(_fence(tokens, index))
        if token.nesting == 1:
            containers.append(token.type)
        elif token.nesting == -1 and containers:
            containers.pop()
        if token.type == "inline":
            kind = "heading" if "heading_open" in containers else "paragraph"
            if {"th_open", "td_open"} & set(containers):
                kind = "table"
            inlines.append(Inline(token, _line(token), kind))
    ids = frozenset(_ELEMENT_ID.findall(render_markdown(text))) if text else frozenset()
    return Parsed(text or "", tokens, headings, fences, inlines, ids)
