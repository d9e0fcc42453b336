"""Runs untrusted Python (runnable code blocks) confined, on the sandbox queue's worker.

`run_python(code)` picks, once per process, the strongest runner this machine offers
(bubblewrap, else a dedicated user with rlimits, Landlock and seccomp, else none: the code
is reported "not_run", never run unconfined) and answers a `RunResult`.
"""

from contributions.sandbox.result import RunResult
from contributions.sandbox.runners import run_python

__all__ = ["RunResult", "run_python"]
