"""Celery tasks of the checks: thin wrappers over contributions.checks.service.

How code reaches the sandbox: `check_document` (default worker) runs every other check at
once, then sends each runnable block to `contributions.run_code` on the sandbox queue with
a link to `record_check_block` (default worker), which stores the answer; the last answer
finishes the run. Nothing waits: there is no result backend and a default worker blocked
on the sandbox would starve the queue; `finish_stalled_check_runs` (beat) closes runs
whose answers never came. Every task is idempotent: a repeated one changes nothing.
"""

from __future__ import annotations

from celery import shared_task

from collaboration.models import Document

from ..checks import service
from ..checks.block_runs import with_versions_trailer
from ..models import CheckRun
from .sandbox import run_code


def request_document_check(*, document: Document, user) -> tuple[CheckRun, bool]:
    """Queue a check of the document's current revision: (run, whether it was queued now;
    see service.queue_document_check). The one function pages, the API and proposals call."""
    return service.queue_document_check(
        document=document,
        user=user,
        schedule=lambda run_id, delay: check_document.apply_async(args=[run_id], countdown=delay),
    )


@shared_task(name="contributions.check_document")
def check_document(run_id: int) -> None:
    def send(code: str, code_hash: str) -> None:
        run_code.apply_async(
            args=[with_versions_trailer(code)], link=record_check_block.s(run_id, code_hash)
        )

    service.run_document_check(run_id=run_id, send_block=send)


@shared_task(name="contributions.record_check_block")
def record_check_block(outcome: dict, run_id: int, code_hash: str) -> None:
    service.record_block_outcome(run_id=run_id, code_hash=code_hash, outcome=outcome)


@shared_task(name="contributions.finish_stalled_check_runs")
def finish_stalled_check_runs() -> int:
    return service.finish_stalled_runs()


@shared_task(name="contributions.rerun_code_blocks")
def rerun_code_blocks() -> int:
    def send(document_id: int, fence: dict) -> None:
        run_code.apply_async(
            args=[with_versions_trailer(fence["code"])],
            link=record_block_rerun.s(document_id, fence),
        )

    return service.rerun_blocks_of_all_documents(send_block=send)


@shared_task(name="contributions.record_block_rerun")
def record_block_rerun(outcome: dict, document_id: int, fence: dict) -> None:
    service.record_rerun_outcome(document_id=document_id, fence=fence, outcome=outcome)
