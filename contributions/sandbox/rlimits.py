"""Runner 2, where bubblewrap does not work: the code runs as SANDBOX_USER (a uid of its
own, so the worker can sweep its leftovers and the code cannot touch the worker), in a fresh
0700 working directory that is also its HOME, with an empty environment, Python's isolated
mode, rlimits, Landlock (when the kernel has it: only the system's files readable, only the
working directory writable) and a seccomp filter (no sockets, ptrace, mounts, namespaces,
keyring, BPF or perf). Unavailable unless the worker is root and libseccomp loads."""

from __future__ import annotations

import os
import shutil
import tempfile

from contributions.sandbox import landlock, seccomp
from contributions.sandbox.bwrap import SYSTEM_DIRS, SYSTEM_FILES, python_prefix
from contributions.sandbox.config import MAX_PROCESSES, SandboxConfig
from contributions.sandbox.identity import NoSandboxUser, sandbox_user
from contributions.sandbox.limits import apply_rlimits
from contributions.sandbox.process import Outcome, run_confined

DEVICES_READABLE = ("/dev/urandom", "/dev/zero")
DEVICES_WRITABLE = ("/dev/null",)


def unavailable_reason(config: SandboxConfig) -> str:
    if not seccomp.available():
        return seccomp.UNAVAILABLE_REASON
    if not os.access(config.python, os.X_OK):
        return f"the sandbox interpreter {config.python} does not exist"
    try:
        sandbox_user(config)
    except NoSandboxUser as error:
        return str(error)
    return ""


def run(code: str, *, config: SandboxConfig, timeout_seconds: float) -> Outcome:
    who = sandbox_user(config)
    workdir = tempfile.mkdtemp(prefix="sandbox-")
    os.chown(workdir, who.uid, who.gid)
    os.chmod(workdir, 0o700)
    rules = seccomp.build_filter()
    ruleset = landlock.Ruleset.build(
        readable=[
            "/usr",
            *SYSTEM_DIRS,
            *SYSTEM_FILES,
            *DEVICES_READABLE,
            python_prefix(config.python),
        ],
        writable=[workdir, *DEVICES_WRITABLE],
    )

    def confine() -> None:  # in the child, after the switch to the sandbox user
        apply_rlimits(config, max_processes=MAX_PROCESSES)
        if ruleset is not None:
            ruleset.enforce()
        rules.load()

    try:
        return run_confined(
            [config.python, "-I", "-S", "-"],
            stdin=code.encode("utf-8", errors="replace"),
            identity=who,
            cwd=workdir,
            env={"PATH": "/usr/bin:/bin", "HOME": workdir, "LANG": "C.UTF-8"},
            preexec=confine,
            timeout_seconds=timeout_seconds,
        )
    finally:
        if ruleset is not None:
            ruleset.close()
        shutil.rmtree(workdir, ignore_errors=True)
