"""Landlock (Linux 5.13+) for the rlimits runner: the code may read and execute only the
system's libraries and interpreter and write only its own working directory, so the
project's files, the database file and the host's /tmp are out of reach even where their
permissions would let the sandbox user in. Plain system calls through ctypes.

The ruleset is built in the parent (`Ruleset.build`) and enforced in the child just before
exec (`Ruleset.enforce`). Where the kernel has no Landlock the runner goes on without it
(the sandbox user's file permissions are then the limit) and says so in its log line.
"""

from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

# The same numbers on every architecture (added after the system call tables merged).
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
_ABI1_ALL = (1 << 13) - 1  # EXECUTE ... MAKE_SYM
_REFER, _TRUNCATE, _IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_FILE_ONLY = EXECUTE | WRITE_FILE | READ_FILE | _TRUNCATE | _IOCTL_DEV

READ = EXECUTE | READ_FILE | READ_DIR


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def abi_version() -> int:
    """0 when the kernel has no Landlock (or a filter refuses it)."""
    version = _libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION)
    return max(0, int(version))


def _handled(abi: int) -> int:
    rights = _ABI1_ALL
    if abi >= 2:
        rights |= _REFER
    if abi >= 3:
        rights |= _TRUNCATE
    if abi >= 5:
        rights |= _IOCTL_DEV
    return rights


@dataclass
class Ruleset:
    fd: int

    @classmethod
    def build(cls, *, readable: list[str], writable: list[str]) -> Ruleset | None:
        """None without Landlock. Paths that do not exist are left out."""
        abi = abi_version()
        if abi == 0:
            return None
        handled = _handled(abi)
        attr = _RulesetAttr(handled_access_fs=handled)
        fd = _libc.syscall(_CREATE_RULESET, ctypes.byref(attr), ctypes.sizeof(attr), 0)
        if fd < 0:
            return None
        ruleset = cls(fd=int(fd))
        for paths, access in ((readable, READ), (writable, handled)):
            for path in paths:
                ruleset._allow(path, access & handled)
        return ruleset

    def _allow(self, path: str, access: int) -> None:
        try:
            path_fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return
        try:
            if not os.path.isdir(path):
                access &= _FILE_ONLY
            rule = _PathBeneathAttr(allowed_access=access, parent_fd=path_fd)
            if _libc.syscall(_ADD_RULE, self.fd, _RULE_PATH_BENEATH, ctypes.byref(rule), 0) < 0:
                raise OSError(ctypes.get_errno(), f"landlock_add_rule({path})")
        finally:
            os.close(path_fd)

    def enforce(self) -> None:
        """In the child, before exec: from here on only the allowed paths exist for it."""
        if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
        if _libc.syscall(_RESTRICT_SELF, self.fd, 0) < 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")

    def close(self) -> None:
        os.close(self.fd)
