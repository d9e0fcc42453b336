"""The community admin, one module per concern: the moderation queue, posts, the ledger."""

from . import (  # noqa: F401
    amas,
    groups,
    moderation,
    notifications,
    posts,
    reputation,
)
