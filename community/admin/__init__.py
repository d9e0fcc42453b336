"""The community admin, one module per concern: the moderation queue, posts, the ledger."""
