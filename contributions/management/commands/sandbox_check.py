"""For operators: which code sandbox runner works on this machine, and a self-test.

Run it as the user the sandbox worker runs as (root in the Docker image's sandbox service):
what works depends on that user, the kernel and the installed packages."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from contributions.sandbox import run_python
from contributions.sandbox.config import current_config
from contributions.sandbox.runners import RUNNERS, choose, probe


class Command(BaseCommand):
    help = "Says which code sandbox runner works here and runs print(1+1) with it."

    def handle(self, *args, **options) -> None:
        config = current_config()
        self.stdout.write(
            f"SANDBOX_RUNNER={config.runner} SANDBOX_USER={config.user} "
            f"SANDBOX_PYTHON={config.python}"
        )
        for name in RUNNERS:
            result = probe(name, config)
            verdict = "works" if result.works else f"does not work: {result.reason}"
            self.stdout.write(f"  {name}: {verdict}")
        choice = choose(config)
        self.stdout.write(f"Chosen runner: {choice.runner}")
        result = run_python("print(1 + 1)")
        self.stdout.write(
            f"Self-test print(1 + 1): {result.status} {result.stdout.strip()!r} "
            f"({result.runner}, Python {result.python_version or '?'}, {result.duration_ms} ms)"
        )
        if result.status != "ok" or result.stdout.strip() != "2":
            raise CommandError(f"The sandbox cannot run code here: {result.reason}")
        self.stdout.write(self.style.SUCCESS("The code sandbox works."))
