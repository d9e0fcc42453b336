"""Registrations with the platform's seams, one module per concern."""

from . import comments, questions, users  # noqa: F401
