"""`make run` with services, for real: honcho starts the Procfile's web, worker, beat and
sandbox worker on the test database; /readyz turns 200 once the worker is seen; one SIGINT
(Ctrl-C) stops them all."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings

from config.celery import _client
from tests.servers import ROOT, SEVERAL_PROCESSES, child_environment, free_port

pytestmark = SEVERAL_PROCESSES

# The key the processes use (tests elsewhere patch it in this process only).
HEARTBEAT_KEY = "learnai:celery:heartbeat"


def _readyz(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def _started_pids(output: str) -> list[int]:
    return [int(pid) for pid in re.findall(r"started \(pid=(\d+)\)", output)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # An exited process nobody reaped yet (a container's PID 1 may be slow to) is gone too.
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def test_honcho_runs_web_worker_and_beat_and_one_sigint_stops_them(tmp_path):
    port = free_port()
    env = child_environment(
        DEBUG="true",
        HOST="127.0.0.1",
        PYTHONUNBUFFERED="1",
        # As `make run` does: the virtualenv's daphne and celery come first.
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        # The processes run in tmp_path, so beat's var/ is this test's own.
        PYTHONPATH=str(ROOT),
    )
    # /readyz must turn 200 thanks to the worker started here, not an earlier heartbeat.
    _client(settings.REDIS_URL).delete(HEARTBEAT_KEY)
    (ROOT / "test-output").mkdir(exist_ok=True)
    log_path = ROOT / "test-output" / "honcho.log"
    command = [sys.executable, "-m", "honcho", "start", "--procfile", str(ROOT / "Procfile"),
               "--env", "/dev/null", "--port", str(port)]  # fmt: skip
    with open(log_path, "w") as log:
        honcho = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=log)
    try:
        status, body = 0, {}
        deadline = time.monotonic() + 30
        while status != 200 and time.monotonic() < deadline and honcho.poll() is None:
            time.sleep(0.5)
            with contextlib.suppress(OSError):  # daphne is not listening yet
                status, body = _readyz(f"http://127.0.0.1:{port}/readyz")
        output = log_path.read_text()
        assert status == 200, f"/readyz: {status} {body}\n{output}"
        assert body["worker_seen_seconds_ago"] is not None
        for name in ("web.1", "worker.1", "beat.1", "sandbox.1"):  # interleaved, each named
            assert re.search(rf"^\S+ {re.escape(name)}\s+\| ", output, re.MULTILINE), name
        assert len(_started_pids(output)) == 4, output
        assert (tmp_path / "var").is_dir(), "beat keeps its schedule in var/"

        honcho.send_signal(signal.SIGINT)  # what Ctrl-C sends
        honcho.wait(15)
        children = _started_pids(log_path.read_text())
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in children if _alive(pid)], log_path.read_text()
        assert "SIGINT received" in log_path.read_text()
    finally:
        if honcho.poll() is None:
            honcho.kill()
            honcho.wait(5)
        for pid in _started_pids(log_path.read_text()):  # each leads a session of its own
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
