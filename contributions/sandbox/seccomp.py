"""The system-call filter of the rlimits runner (libseccomp through pyseccomp, a ctypes
binding). The filter is built in the parent and loaded in the child just before exec;
refused calls fail with EPERM, so Python raises PermissionError the code can report."""

from __future__ import annotations

import errno

try:
    import pyseccomp
except (ImportError, OSError, RuntimeError) as error:  # libseccomp missing or unloadable
    pyseccomp = None
    UNAVAILABLE_REASON = f"libseccomp cannot be loaded ({error})"
else:
    UNAVAILABLE_REASON = ""

# Network, debugging other processes, the kernel keyring, BPF and perf, and everything that
# builds or enters namespaces or mounts. io_uring can open sockets without socket(2).
REFUSED = (
    "socket",
    "socketpair",
    "connect",
    "bind",
    "listen",
    "accept",
    "accept4",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "userfaultfd",
    "kexec_load",
    "init_module",
    "finit_module",
)
# clone(2)'s namespace flags (CLONE_NEWTIME ... CLONE_NEWNET), refused one bit at a time.
CLONE_NAMESPACE_FLAGS = (
    0x00000080,
    0x00020000,
    0x02000000,
    0x04000000,
    0x08000000,
    0x10000000,
    0x20000000,
    0x40000000,
)


def available() -> bool:
    return pyseccomp is not None


def build_filter():
    """A filter that allows everything but REFUSED (and clone into namespaces). clone3
    passes its flags in memory a filter cannot read: it answers ENOSYS, so the C library
    falls back to clone, whose flags are checked."""
    refuse = pyseccomp.ERRNO(errno.EPERM)
    rules = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
    for name in REFUSED:
        rules.add_rule(refuse, name)
    for flag in CLONE_NAMESPACE_FLAGS:
        rules.add_rule(refuse, "clone", pyseccomp.Arg(0, pyseccomp.MASKED_EQ, flag, flag))
    rules.add_rule(pyseccomp.ERRNO(errno.ENOSYS), "clone3")
    return rules
