"""Markdown to safe HTML for document pages: CommonMark, tables, math, code and heading ids.

The pipeline is markdown-it-py (raw HTML off, so `<script>` in a document shows as text)
followed by nh3 as a second line of defence: whatever the parser emits, only the tags and
attributes listed here reach the browser. Math is not typeset here; it is left as escaped
TeX in `<span class="math inline">` / `<div class="math block">` for a client-side renderer.
"""

from __future__ import annotations

import hashlib
import html
from functools import lru_cache
from typing import TypedDict

import nh3
from django.core.cache import cache
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

# Pygments wraps tokens in <span class="k">…</span>; the colours live in static/css/pygments.css
# (generated with `HtmlFormatter(style="default").get_style_defs(".highlight")`).
_FORMATTER = HtmlFormatter(nowrap=True)
HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_ALLOWED_TAGS = {
    *HEADING_TAGS,
    "p", "br", "hr", "em", "strong", "s", "del", "blockquote",
    "ul", "ol", "li",
    "code", "pre", "span", "div",
    "table", "thead", "tbody", "tr", "th", "td",
    "a", "img",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    **{tag: {"id"} for tag in HEADING_TAGS},
    "code": {"class"},
    "pre": {"class"},
    "span": {"class"},
    "div": {"class", "id"},  # id: labelled equations, $$...$$ (eq1)
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style"},  # column alignment: style="text-align:right"
    "td": {"style"},
}
_RENDER_CACHE_SECONDS = 60 * 60


class TocEntry(TypedDict):
    level: int
    id: str
    title: str


def _highlight(code: str, lang: str, _attrs: str) -> str:
    """Highlight a fenced block; unknown or missing languages are shown escaped, uncoloured."""
    language = (lang or "").strip().split()[0] if lang and lang.strip() else ""
    lexer = None
    if language:
        try:
            lexer = get_lexer_by_name(language)
        except ClassNotFound:
            lexer = None
    body = highlight(code, lexer, _FORMATTER) if lexer else html.escape(code)
    code_class = f' class="language-{html.escape(language, quote=True)}"' if language else ""
    # Starting with "<pre" tells markdown-it to use this markup as is, without another wrapper.
    return f'<pre class="highlight"><code{code_class}>{body}</code></pre>\n'


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )
    md.options["highlight"] = _highlight
    # allow_digits=False keeps prices ("costs $5 and $10") from turning into math.
    md.use(dollarmath_plugin, allow_digits=False)
    md.use(anchors_plugin, min_level=1, max_level=6)
    return md


@lru_cache(maxsize=1)
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=_ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener nofollow",
        filter_style_properties={"text-align"},
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """Render Markdown to sanitised HTML, safe to mark_safe() into a page."""
    return _cleaner().clean(_parser().render(text or ""))


def table_of_contents(text: str) -> list[TocEntry]:
    """The document's headings in order, with the ids render_markdown() gives them."""
    tokens = _parser().parse(text or "")
    entries: list[TocEntry] = []
    for index, token in enumerate(tokens):
        if token.type != "heading_open" or index + 1 >= len(tokens):
            continue
        inline = tokens[index + 1]
        title = "".join(
            child.content
            for child in inline.children or []
            if child.type in ("text", "code_inline", "math_inline")
        ).strip()
        entries.append(
            {"level": int(token.tag[1]), "id": str(token.attrGet("id") or ""), "title": title}
        )
    return entries


def render_document(text: str) -> tuple[str, list[TocEntry]]:
    """HTML and table of contents together, cached by content so big pages render once."""
    digest = hashlib.sha256((text or "").encode()).hexdigest()
    key = f"markdown:v1:{digest}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    result = (render_markdown(text), table_of_contents(text))
    cache.set(key, result, _RENDER_CACHE_SECONDS)
    return result
