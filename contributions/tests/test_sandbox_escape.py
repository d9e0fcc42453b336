"""Code that tries to escape the sandbox, run with each runner this machine has.

Every test runs once per runner. Where a runner does not work here, its run must answer
"not_run" with a reason a person can act on (the code never runs unconfined), and the test
checks exactly that. Where it works, the escape fails and the harm did not happen.
"""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest
from django.conf import settings
from django.db import connection

from contributions.sandbox.config import OUTPUT_CAP_BYTES
from contributions.tests.factories_sandbox import Sandbox, leftover_processes

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["bwrap", "rlimits"])
def sandbox(request, settings):
    settings.SANDBOX_RUNNER = request.param
    return Sandbox.forced(request.param)


def test_network_is_refused_locally_and_outside(sandbox):
    code = """
import socket
for host, port in (("127.0.0.1", 5432), ("127.0.0.1", 6379), ("1.1.1.1", 53)):
    try:
        socket.create_connection((host, port), timeout=3).close()
        print("connected", host)
    except OSError as error:
        print("refused", host, type(error).__name__)
"""
    result = sandbox.run(code)
    if sandbox.unavailable_here(result):
        return
    assert result.status == "ok", result
    assert "connected" not in result.stdout
    assert result.stdout.count("refused") == 3


def test_project_settings_database_and_worker_environment_are_out_of_reach(sandbox):
    database = connection.settings_dict["NAME"] if connection.vendor == "sqlite" else ""
    targets = [
        settings.BASE_DIR / ".env",
        settings.BASE_DIR / "config" / "settings.py",
        settings.BASE_DIR / "manage.py",
        database,
        f"/proc/{os.getpid()}/environ",
        "/etc/shadow",
    ]
    code = f"""
for path in {[str(t) for t in targets if t]!r}:
    try:
        with open(path, "rb") as f:
            print("READ", path, len(f.read()))
    except OSError as error:
        print("denied", path, type(error).__name__)
"""
    result = sandbox.run(code)
    if sandbox.unavailable_here(result):
        return
    assert result.status == "ok", result
    assert "READ" not in result.stdout, result.stdout
    assert result.stdout.count("denied") == len([t for t in targets if t])


def test_the_workers_secrets_are_not_in_the_environment(sandbox, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "do-not-leak-this-key")
    monkeypatch.setenv("DATABASE_URL", "postgres://secret@db/learnai")
    code = """
import os
print(sorted(os.environ))
print(os.environ.get("SECRET_KEY"), os.environ.get("DATABASE_URL"))
"""
    result = sandbox.run(code)
    if sandbox.unavailable_here(result):
        return
    assert result.status == "ok", result
    assert "do-not-leak" not in result.stdout and "secret@db" not in result.stdout
    assert "None None" in result.stdout


def test_writes_land_only_in_its_own_directory(sandbox):
    name = f"sandbox-escape-{uuid.uuid4().hex}"
    host_tmp = f"/tmp/{name}"
    in_project = settings.BASE_DIR / name
    code = f"""
import os
for path in ({host_tmp!r}, {str(in_project)!r}, "/usr/{name}"):
    try:
        with open(path, "w") as f:
            f.write("escaped")
        print("WROTE", path)
    except OSError as error:
        print("denied", type(error).__name__)
with open("own.txt", "w") as f:
    f.write("fine")
print("own", open("own.txt").read())
"""
    result = sandbox.run(code)
    if sandbox.unavailable_here(result):
        return
    # bubblewrap's /tmp is private: a write there succeeds and vanishes with the run.
    assert result.status == "ok", result
    assert "own fine" in result.stdout
    assert not os.path.exists(host_tmp), "the host's /tmp was written"
    assert not in_project.exists(), "the project directory was written"
    assert not os.path.exists(f"/usr/{name}")


def test_fork_bomb_is_contained_and_leaves_nothing_behind(sandbox):
    code = """
import os
while True:
    os.fork()
"""
    result = sandbox.run(code, timeout_seconds=5)
    if sandbox.unavailable_here(result):
        return
    assert result.status in ("limit", "timeout"), result
    assert result.reason
    assert leftover_processes(sandbox.config) == 0
    # The worker and the machine still start processes, and the sandbox still runs code.
    assert subprocess.run(["true"], check=False).returncode == 0
    assert sandbox.run("print(6 * 7)").stdout == "42\n"


def test_memory_bomb_stops_at_the_memory_limit(sandbox):
    code = """
blocks = []
while True:
    blocks.append(bytearray(50 * 1024 * 1024))
"""
    result = sandbox.run(code)
    if sandbox.unavailable_here(result):
        return
    assert result.status == "limit", result
    assert f"{sandbox.config.memory_mb} MB of memory" in result.reason


def test_infinite_loop_times_out_and_its_process_group_is_gone(sandbox):
    code = """
import os, subprocess, sys
child = subprocess.Popen([sys.executable, "-c", "while True: pass"])
print(os.getpid(), child.pid, flush=True)
while True:
    pass
"""
    result = sandbox.run(code, timeout_seconds=3)
    if sandbox.unavailable_here(result):
        return
    assert result.status == "timeout", result
    assert "stopped after 3 seconds" in result.reason
    assert result.exit_code is None
    assert leftover_processes(sandbox.config) == 0
    if sandbox.name == "rlimits":  # its pids are the host's (bubblewrap has its own)
        for pid in map(int, result.stdout.split()):
            assert not os.path.exists(f"/proc/{pid}") or _zombie(pid)


def test_processor_time_is_limited(sandbox):
    result = sandbox.run("while True:\n    pass\n", timeout_seconds=30)
    if sandbox.unavailable_here(result):
        return
    assert result.status == "timeout", result
    assert f"{sandbox.config.cpu_seconds} seconds of processor time" in result.reason


def test_huge_output_is_truncated(sandbox):
    code = """
import sys
for _ in range(20000):
    sys.stdout.write("x" * 1000)
sys.stderr.write("e" * 200000)
"""
    result = sandbox.run(code)
    if sandbox.unavailable_here(result):
        return
    assert result.status == "ok", result
    assert result.stdout_truncated and len(result.stdout) == OUTPUT_CAP_BYTES
    assert result.stderr_truncated and len(result.stderr) == OUTPUT_CAP_BYTES


def test_root_ptrace_mount_and_namespaces_are_refused(sandbox):
    code = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
try:
    os.setuid(0)
    print("ROOT")
except OSError:  # EPERM; EINVAL in bubblewrap's user namespace, where no uid 0 exists
    print("setuid refused")
attempts = {
    "ptrace": lambda: libc.ptrace(16, 1, 0, 0),
    "mount": lambda: libc.mount(b"none", b"/tmp", b"tmpfs", 0, None),
    "unshare": lambda: libc.unshare(0x10000000),
}
for name, attempt in attempts.items():
    print(name, "refused" if attempt() == -1 else "ALLOWED", ctypes.get_errno())
print("uid", os.getuid())
"""
    result = sandbox.run(code)
    if sandbox.unavailable_here(result):
        return
    assert result.status == "ok", result
    assert "ROOT" not in result.stdout and "ALLOWED" not in result.stdout, result.stdout
    assert result.stdout.count("refused") == 4
    assert "uid 0" not in result.stdout


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
