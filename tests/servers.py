"""Helpers for tests that start real server processes against the test database."""

import os
import socket
from pathlib import Path

# CI must run every test: there a missing tool fails the tests that need it (loudly),
# while on a developer's machine they skip with the reason.
IN_CI = bool(os.environ.get("CI"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(db: dict) -> str:
    """A DATABASE_URL naming the test database pytest-django set up (for a subprocess)."""
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    auth = db.get("USER") or "postgres"
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"
