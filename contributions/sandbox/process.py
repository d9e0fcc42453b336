"""Starting the confined child and collecting what it prints, within the wall clock.

Output is read as it comes and anything past OUTPUT_CAP_BYTES is dropped, so a program
printing gigabytes costs neither memory here nor a stuck pipe. At the deadline, or as soon
as the program ends, its whole process group is killed, and when it ran under a uid of its
own every process left with that uid too (a fork bomb's children may leave the group).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import selectors
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

from contributions.sandbox.config import OUTPUT_CAP_BYTES
from contributions.sandbox.limits import is_zombie, process_statuses, tasks_of_uid, uid_of

_READ_CHUNK = 65536
_SWEEP_ROUNDS = 50
_PR_SET_CHILD_SUBREAPER = 36
_libc = ctypes.CDLL(None, use_errno=True)


@dataclass(frozen=True)
class Identity:
    """Who the child runs as; `own=True` means the worker's own uid (no sweep possible)."""

    uid: int
    gid: int
    own: bool


@dataclass
class Captured:
    data: bytearray
    truncated: bool = False

    def add(self, chunk: bytes) -> None:
        room = OUTPUT_CAP_BYTES - len(self.data)
        if len(chunk) > room:
            self.truncated = True
        self.data += chunk[: max(room, 0)]

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Outcome:
    returncode: int | None
    stdout: Captured
    stderr: Captured
    timed_out: bool
    duration_ms: int


@contextlib.contextmanager
def _one_run_per_uid(identity: Identity):
    """Runs under one uid take turns across processes on this machine (several workers,
    parallel tests): the sweep after a run kills every process of that uid."""
    if identity.own:
        yield
        return
    path = os.path.join(tempfile.gettempdir(), f"learnai-sandbox-{identity.uid}.lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def run_confined(
    argv: list[str],
    *,
    stdin: bytes,
    identity: Identity,
    cwd: str,
    env: dict[str, str],
    preexec: Callable[[], None],
    timeout_seconds: float,
    pass_fds: tuple[int, ...] = (),
) -> Outcome:
    with _one_run_per_uid(identity):
        return _run(argv, stdin, identity, cwd, env, preexec, timeout_seconds, pass_fds)


def _run(argv, stdin, identity, cwd, env, preexec, timeout_seconds, pass_fds) -> Outcome:
    started = time.monotonic()
    deadline = started + timeout_seconds
    drop_user = (
        {} if identity.own else {"user": identity.uid, "group": identity.gid, "extra_groups": []}
    )
    if not identity.own:
        # Orphans of the code (a fork bomb's children) come back to this process rather
        # than to PID 1, which in some containers never reaps them: their zombies would
        # count against the sandbox user's process limit for good.
        _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    child = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=env,
        start_new_session=True,
        preexec_fn=preexec,
        pass_fds=pass_fds,
        **drop_user,
    )
    stdout, stderr = Captured(bytearray()), Captured(bytearray())
    try:
        timed_out = _pump(child, stdin, stdout, stderr, deadline, identity)
    finally:
        _kill_everything(child, identity)
        child.wait()
        for pipe in (child.stdin, child.stdout, child.stderr):
            pipe.close()
    duration_ms = int((time.monotonic() - started) * 1000)
    return Outcome(child.returncode, stdout, stderr, timed_out, duration_ms)


def _pump(child, stdin: bytes, stdout, stderr, deadline: float, identity: Identity) -> bool:
    """Feeds the program and reads its output until both pipes close; True at the deadline."""
    pending = memoryview(stdin)
    with selectors.DefaultSelector() as selector:
        for pipe, sink in ((child.stdout, stdout), (child.stderr, stderr)):
            os.set_blocking(pipe.fileno(), False)
            selector.register(pipe, selectors.EVENT_READ, sink)
        os.set_blocking(child.stdin.fileno(), False)
        selector.register(child.stdin, selectors.EVENT_WRITE, None)
        open_pipes, ended = 2, False
        while open_pipes:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            if not ended and child.poll() is not None:
                # The program ended: whatever it left behind goes now, so the pipes close.
                ended = True
                _kill_everything(child, identity)
            for key, _ in selector.select(timeout=min(remaining, 0.25)):
                if key.data is None:
                    pending = _feed(selector, key.fileobj, pending)
                    continue
                try:
                    chunk = os.read(key.fd, _READ_CHUNK)
                except BlockingIOError:
                    continue
                if chunk:
                    key.data.add(chunk)
                else:
                    selector.unregister(key.fileobj)
                    open_pipes -= 1
    return False


def _feed(selector, pipe, pending: memoryview) -> memoryview:
    try:
        written = os.write(pipe.fileno(), pending[:_READ_CHUNK])
    except BlockingIOError:
        return pending
    except BrokenPipeError:  # the program stopped reading: the rest is not wanted
        written = len(pending)
    pending = pending[written:]
    if not pending:
        selector.unregister(pipe)
        pipe.close()
    return pending


def _kill_everything(child: subprocess.Popen, identity: Identity) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)
    if not identity.own:
        sweep_uid(identity, child=child.pid)


def sweep_uid(identity: Identity, *, child: int) -> None:
    """Kills every process of the sandbox's uid. kill(-1) from a process with that uid
    reaches all of them at once (a fork bomb cannot outrun it); the helper is forked from
    here (root) so the uid's process limit cannot stop it from starting."""
    for _ in range(_SWEEP_ROUNDS):
        _reap_orphans(identity.uid, child=child)
        if tasks_of_uid(identity.uid) == 0:
            return
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the forked helper
            try:
                os.setgroups([])
                os.setresgid(identity.gid, identity.gid, identity.gid)
                os.setresuid(identity.uid, identity.uid, identity.uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)


def _reap_orphans(uid: int, *, child: int) -> None:
    """Collects the dead orphans of `uid` handed to this process (only those: `child`'s
    exit status is Popen's to read, other children's belong to whoever started them)."""
    me = str(os.getpid())
    for pid, fields in process_statuses():
        if (
            pid != child
            and is_zombie(fields)
            and uid_of(fields) == uid
            and fields.get("PPid", "").strip() == me
        ):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
