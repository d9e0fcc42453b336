"""The sandbox queue's task: runs code confined and answers the RunResult as a dict.

Routed to SANDBOX_QUEUE (CELERY_TASK_ROUTES), which only the `sandbox` worker consumes
(Procfile). Run eagerly (no Redis) it would run in the web process: `run_python` refuses
there and answers "not_run: no sandbox worker". Safe to repeat: it changes nothing.
"""

from __future__ import annotations

from celery import shared_task

from contributions.sandbox import run_python


@shared_task(name="contributions.run_code", acks_late=False)
def run_code(code: str, timeout_seconds: float | None = None) -> dict:
    # acks_late off: a run that killed its worker must not be handed to the next one.
    return run_python(code, timeout_seconds=timeout_seconds).as_dict()
