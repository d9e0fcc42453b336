"""Everything people write here is Markdown, rendered and sanitised exactly as documents."""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe

from collaboration.markdown import render_markdown


def render_post(text: str) -> SafeString:
    """Sanitised HTML (markdown-it with raw HTML off, then nh3), safe to insert in a page."""
    return mark_safe(render_markdown(text or ""))
