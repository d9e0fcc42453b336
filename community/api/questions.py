"""API routes of this concern (filled in by its issue work)."""

ROUTES: list = []
