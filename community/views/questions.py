"""Pages of this concern (filled in by its issue work)."""

PAGES: list = []
