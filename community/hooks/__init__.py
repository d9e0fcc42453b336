"""Registrations with the platform's seams, one module per concern."""

from . import (  # noqa: F401
    amas,
    comment_panels,
    comments,
    demo,
    groups,
    moderation,
    notifications,
    questions,
    rooms,
    users,
    votes,
)
