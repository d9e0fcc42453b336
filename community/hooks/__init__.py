"""Registrations with the platform's seams, one module per concern."""

from . import comment_panels, comments, demo, moderation, questions, users, votes  # noqa: F401
