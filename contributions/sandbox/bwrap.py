"""Runner 1: bubblewrap. New user, PID, network, IPC, UTS and mount namespaces; the system
directories read-only; a private in-memory /tmp as the only writable place and working
directory; no project directory, no environment; the rlimits; and, when libseccomp loads,
the rlimits runner's seccomp filter too (inside its PID namespace the code could otherwise
ptrace bubblewrap's own init). Started as SANDBOX_USER when the worker is root (so the
rlimits count against that uid), else as the worker's own uid."""

from __future__ import annotations

import os
import shutil
import tempfile

from contributions.sandbox import seccomp
from contributions.sandbox.config import MAX_PROCESSES, TMPFS_BYTES, SandboxConfig
from contributions.sandbox.identity import NoSandboxUser, own_user, sandbox_user
from contributions.sandbox.limits import apply_rlimits, tasks_of_uid
from contributions.sandbox.process import Identity, Outcome, run_confined

SYSTEM_DIRS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/localtime")
NOBODY = "65534"
INNER_ENV = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8"}


def unavailable_reason(config: SandboxConfig) -> str:
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    if not os.access(config.python, os.X_OK):
        return f"the sandbox interpreter {config.python} does not exist"
    try:
        identity(config)
    except NoSandboxUser as error:
        return str(error)
    return ""


def python_prefix(python: str) -> str:
    """The installation the interpreter lives in (/usr for Debian's python3)."""
    return os.path.dirname(os.path.dirname(os.path.realpath(python)))


def argv(config: SandboxConfig, *, seccomp_fd: int | None = None) -> list[str]:
    args = [
        "bwrap",
        "--unshare-all",
        "--unshare-user",
        "--unshare-net",
        "--die-with-parent",
        "--new-session",
    ]
    args += ["--uid", NOBODY, "--gid", NOBODY, "--hostname", "sandbox", "--disable-userns"]
    args += ["--cap-drop", "ALL", "--ro-bind", "/usr", "/usr"]
    for path in SYSTEM_DIRS:
        if os.path.islink(path):  # merged /usr: /lib -> usr/lib
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in SYSTEM_FILES:
        args += ["--ro-bind-try", path, path]
    prefix = python_prefix(config.python)
    if prefix != "/usr":
        args += ["--ro-bind", prefix, prefix]
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(TMPFS_BYTES), "--tmpfs", "/tmp"]
    args += ["--chdir", "/tmp", "--clearenv"]
    for name, value in INNER_ENV.items():
        args += ["--setenv", name, value]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    return [*args, "--", config.python, "-I", "-S", "-"]


def identity(config: SandboxConfig) -> Identity:
    """Raises NoSandboxUser when the worker is root and SANDBOX_USER is unusable."""
    return sandbox_user(config) if os.geteuid() == 0 else own_user()


def run(code: str, *, config: SandboxConfig, timeout_seconds: float) -> Outcome:
    who = identity(config)
    # On a shared uid the limit counts the worker's own threads too: allow that many more.
    processes = MAX_PROCESSES + (tasks_of_uid(who.uid) if who.own else 0)
    with tempfile.TemporaryFile() as bpf:  # bubblewrap reads the compiled filter from a fd
        fds: tuple[int, ...] = ()
        if seccomp.available():
            seccomp.build_filter().export_bpf(bpf)
            bpf.seek(0)
            fds = (bpf.fileno(),)
        return run_confined(
            argv(config, seccomp_fd=fds[0] if fds else None),
            stdin=code.encode("utf-8", errors="replace"),
            identity=who,
            cwd="/",
            env={"PATH": "/usr/bin:/bin"},
            preexec=lambda: apply_rlimits(config, max_processes=processes),
            timeout_seconds=timeout_seconds,
            pass_fds=fds,
        )
