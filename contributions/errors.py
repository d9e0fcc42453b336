"""Errors of the contributions services, shared by every concern (add yours below).

Each carries a message written for the person who caused it and a stable `code`; the API
maps them to 4xx answers in the project's error format (contributions/api/errors.py),
pages show the message.
"""

from __future__ import annotations


class ContributionsError(Exception):
    """Base class: `message` for people, `code` for machines, `field` if one input is wrong."""

    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.field = field


class InvalidInput(ContributionsError):
    """Bad input (400): nothing changed."""


class NotAllowed(ContributionsError):
    """The person may not do this (403)."""

    code = "permission_denied"


class NotFound(ContributionsError):
    """Nothing there, or nothing the person may see (404)."""

    code = "not_found"


class Conflict(ContributionsError):
    """The current state forbids it (409), e.g. a release name already taken."""

    code = "conflict"


# --- Git (contributions/git) -----------------------------------------------------------------


class ImportRefused(InvalidInput):
    """An upload that cannot become documents (not UTF-8 Markdown, too large, unsafe zip)."""

    code = "import_refused"
