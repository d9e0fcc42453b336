"""Which uid the code runs as. A worker running as root hands the code to SANDBOX_USER; any
other worker can only lend its own uid, which the rlimits runner refuses (the code could
signal the worker, read its /proc/<pid>/environ and use up its process limit) and
bubblewrap accepts (its user and PID namespaces keep the worker out of reach)."""

from __future__ import annotations

import os
import pwd

from contributions.sandbox.config import SandboxConfig
from contributions.sandbox.process import Identity


class NoSandboxUser(Exception):
    """The worker cannot switch to a distinct unprivileged uid; the message says why."""


def sandbox_user(config: SandboxConfig) -> Identity:
    """The dedicated user, when this worker may switch to it."""
    if os.geteuid() != 0:
        raise NoSandboxUser(
            f"the worker runs as uid {os.geteuid()}, not root, so it cannot switch to "
            f"the sandbox user {config.user!r}"
        )
    try:
        entry = pwd.getpwnam(config.user)
    except KeyError:
        raise NoSandboxUser(f"the sandbox user {config.user!r} does not exist") from None
    if entry.pw_uid == 0 or entry.pw_gid == 0:
        raise NoSandboxUser(f"the sandbox user {config.user!r} is root")
    return Identity(uid=entry.pw_uid, gid=entry.pw_gid, own=False)


def own_user() -> Identity:
    return Identity(uid=os.getuid(), gid=os.getgid(), own=True)
