"""The community admin, one module per concern: the moderation queue, posts, the ledger."""

from . import moderation, posts, reputation  # noqa: F401
