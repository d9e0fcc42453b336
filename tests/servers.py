"""Real server processes for tests: daphne against pytest-django's test database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
# CI must run every test: there a missing tool fails the tests that need it (loudly),
# while on a developer's machine they skip with the reason.
IN_CI = bool(os.environ.get("CI"))

# Marks for tests that run several server processes: they share one PostgreSQL and one
# Redis. CI sets DATABASE_URL and REDIS_URL (see .ci/run), so these always run there.
SEVERAL_PROCESSES = [
    pytest.mark.services,
    pytest.mark.skipif(
        not (settings.USING_POSTGRES and settings.REDIS_URL),
        reason="needs PostgreSQL and Redis: several server processes cannot share SQLite "
        "and the in-process bus (CI runs it with DATABASE_URL and REDIS_URL set)",
    ),
    pytest.mark.django_db(transaction=True),
]


def start_servers(count: int, *, log_name: str, env: dict[str, str] | None = None):
    """`count` daphne processes (logs test-output/<log_name>-<i>.log)."""
    return [DaphneServer(log_name=f"{log_name}-{i}.log", env=env) for i in range(count)]


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


# pytest's own variables: with them a child process's settings would believe they run under
# pytest (and a parallel worker's adjustments would be made twice, see config/settings.py).
PYTEST_VARIABLES = ("PYTEST_VERSION", "PYTEST_XDIST_WORKER", "PYTEST_CURRENT_TEST")


def child_environment(**overrides: str) -> dict[str, str]:
    """The environment for a process the tests start (a server, a worker): this one's,
    on the test database, this worker's Redis database and real-time prefix."""
    environment = {k: v for k, v in os.environ.items() if k not in PYTEST_VARIABLES}
    environment.update(
        DATABASE_URL=database_url(connection.settings_dict),
        SECRET_KEY=settings.SECRET_KEY,
        REALTIME_PREFIX=settings.REALTIME_PREFIX,
    )
    if settings.REDIS_URL:
        environment["REDIS_URL"] = settings.REDIS_URL
    else:
        environment.pop("REDIS_URL", None)
    environment.update(overrides)
    return environment


class DaphneServer:
    """`daphne config.asgi:application` in a subprocess, started exactly as the Channels
    documentation shows (no size or timeout flags), on a free port.

    It shares the test database (call it once that exists) and Redis when configured.
    `log_name` names its log under test-output/, overwritten each run.
    """

    def __init__(self, *, log_name: str | None = None, env: dict[str, str] | None = None):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.url = f"ws://127.0.0.1:{self.port}/ws/collab/"
        environment = child_environment(DEBUG="true", LOG_LEVEL="WARNING")
        environment.update(env or {})
        (ROOT / "test-output").mkdir(exist_ok=True)
        self.log_path = ROOT / "test-output" / (log_name or f"daphne-{self.port}.log")
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()/kill()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
             "config.asgi:application"],
            cwd=ROOT, env=environment, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.15)
        self.kill()
        raise RuntimeError(f"daphne did not start; see {self.log_path}")

    def stop(self) -> None:
        """A graceful stop (SIGTERM), then SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()

    def kill(self) -> None:
        """What a crash does: SIGKILL, no goodbye."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.log.close()
