"""Choosing the runner (once per process and configuration) and running code with it.

The probe runs a tiny program through each candidate, strongest first, so "works here"
means it really ran, confined, on this machine; the first that does is logged and kept.
"""

from __future__ import annotations

import functools
import logging
import subprocess
from dataclasses import dataclass

from celery import current_task

from contributions.sandbox import bwrap, rlimits
from contributions.sandbox.config import SandboxConfig, current_config
from contributions.sandbox.identity import NoSandboxUser
from contributions.sandbox.outcome import classify
from contributions.sandbox.result import RunResult, not_run

logger = logging.getLogger(__name__)

RUNNERS = {"bwrap": bwrap, "rlimits": rlimits}
SELF_TEST = "import sys\nprint(1 + 1)\nprint(sys.version.split()[0])\n"
PROBE_SECONDS = 20
NO_WORKER = (
    "not_run: no sandbox worker. Celery runs tasks inside the web process here (no "
    "Redis), and code is never run there; start the sandbox worker to run it."
)


@dataclass(frozen=True)
class Probe:
    runner: str
    works: bool
    reason: str = ""
    python_version: str = ""


@dataclass(frozen=True)
class Choice:
    runner: str  # bwrap | rlimits | none
    reason: str  # why none works, for people
    python_version: str
    probes: tuple[Probe, ...]


def probe(name: str, config: SandboxConfig) -> Probe:
    module = RUNNERS[name]
    reason = module.unavailable_reason(config)
    if reason:
        return Probe(name, False, reason)
    try:
        outcome = module.run(SELF_TEST, config=config, timeout_seconds=PROBE_SECONDS)
    except (OSError, subprocess.SubprocessError, NoSandboxUser) as error:
        return Probe(name, False, f"it could not start: {error}")
    lines = outcome.stdout.text().split()
    if outcome.returncode != 0 or lines[:1] != ["2"] or len(lines) != 2:
        detail = outcome.stderr.text().strip().splitlines()[-1:] or ["no output"]
        return Probe(name, False, f"its self-test failed: {detail[0]}")
    return Probe(name, True, python_version=lines[1])


@functools.lru_cache(maxsize=8)
def choose(config: SandboxConfig) -> Choice:
    if config.runner == "off":
        return Choice("none", "The code sandbox is turned off (SANDBOX_RUNNER=off).", "", ())
    names = list(RUNNERS) if config.runner == "auto" else [config.runner]
    probes = []
    for name in names:
        result = probe(name, config)
        probes.append(result)
        if result.works:
            logger.info(
                "code sandbox: using the %s runner (Python %s)", name, result.python_version
            )
            return Choice(name, "", result.python_version, tuple(probes))
        logger.warning("code sandbox: the %s runner does not work here: %s", name, result.reason)
    reason = "No safe way to run code works on this server, so it was not run: " + "; ".join(
        f"{p.runner}: {p.reason}" for p in probes
    )
    logger.error("code sandbox: %s", reason)
    return Choice("none", reason, "", tuple(probes))


def _inside_the_web_process() -> bool:
    """A task run eagerly (no broker) runs where it was sent: in the web process."""
    return bool(current_task) and bool(current_task.request.is_eager)


def run_python(code: str, *, timeout_seconds: float | None = None) -> RunResult:
    """Runs `code` with the chosen runner. Never raises for what the code does; answers
    "not_run" (with the reason) rather than run it unconfined or in the web process."""
    if _inside_the_web_process():
        return not_run(NO_WORKER)
    config = current_config()
    choice = choose(config)
    if choice.runner == "none":
        return not_run(choice.reason)
    seconds = config.wall_seconds if timeout_seconds is None else timeout_seconds
    try:
        outcome = RUNNERS[choice.runner].run(code, config=config, timeout_seconds=seconds)
    except (OSError, subprocess.SubprocessError, NoSandboxUser) as error:
        logger.exception("code sandbox: the %s runner could not start", choice.runner)
        return not_run(f"The sandbox could not start the code ({error}).")
    return classify(
        outcome,
        runner=choice.runner,
        python_version=choice.python_version,
        config=config,
        timeout_seconds=seconds,
    )
