"""Whether the writing assistant is on, and how to reach its endpoint (settings:
ENABLE_CONTENT_SUGGESTIONS, OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL)."""

from __future__ import annotations

from django.conf import settings


def enabled() -> bool:
    """On only when asked for and given a key: without configuration the buttons and the
    endpoint do not exist."""
    return bool(settings.ENABLE_CONTENT_SUGGESTIONS and settings.OPENAI_API_KEY)
