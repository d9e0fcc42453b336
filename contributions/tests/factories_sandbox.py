"""Helpers for the sandbox tests: a runner forced by settings, and what it left behind."""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass

from contributions.sandbox import RunResult, run_python
from contributions.sandbox.config import SandboxConfig, current_config
from contributions.sandbox.limits import tasks_of_uid
from contributions.sandbox.runners import Choice, choose


@dataclass(frozen=True)
class Sandbox:
    name: str
    config: SandboxConfig
    choice: Choice

    @classmethod
    def forced(cls, name: str) -> Sandbox:
        """The runner SANDBOX_RUNNER names (set by the caller), probed on this machine."""
        config = current_config()
        assert config.runner == name
        return cls(name=name, config=config, choice=choose(config))

    def run(self, code: str, **options) -> RunResult:
        return run_python(code, **options)

    def unavailable_here(self, result: RunResult) -> bool:
        """True when this runner does not work on this machine; the code must then have been
        refused with a reason naming the runner and what it lacks, and nothing ran."""
        if self.choice.runner != "none":
            assert result.runner == self.name, result
            return False
        assert result.status == "not_run", result
        assert result.runner == "none" and not result.stdout and result.exit_code is None
        assert f"{self.name}: " in result.reason and "not run" in result.reason, result.reason
        return True


def leftover_processes(config: SandboxConfig) -> int:
    """Processes of the sandbox user still alive (0 where the worker cannot tell: not root)."""
    if os.geteuid() != 0:
        return 0
    return tasks_of_uid(pwd.getpwnam(config.user).pw_uid)
