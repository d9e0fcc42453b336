"""Check runs under real concurrency: many editors (tabs, processes) asking for a check of
the same document at once get one run, and many sandbox answers arriving at once for one
run are all counted, the run finishing exactly once.

Needs PostgreSQL: the services rely on its row locks, which SQLite does not have.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import close_old_connections, connection

from contributions.checks import service
from contributions.checks.block_runs import block_hash
from contributions.models import CheckRun, CheckRunStatus, CodeBlock

from .factories_checks import MarkdownDocumentFactory

pytestmark = [
    pytest.mark.skipif(
        not settings.USING_POSTGRES,
        reason="needs PostgreSQL: queueing and answers rely on its row locks, which SQLite "
        "does not have (CI runs it with DATABASE_URL set)",
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 12


def _all_at_once(work) -> list:
    start = threading.Barrier(THREADS)

    def one(index: int):
        try:
            start.wait(timeout=30)
            return work(index)
        except Exception as exc:  # reported by the assertions
            return repr(exc)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        outcomes = list(pool.map(one, range(THREADS)))
    close_old_connections()
    return outcomes


def test_many_requests_at_once_queue_one_run():
    document = MarkdownDocumentFactory()
    scheduled: list[int] = []

    def ask(_index: int):
        run, queued = service.queue_document_check(
            document=document,
            user=document.owner,
            schedule=lambda run_id, _d: scheduled.append(run_id),
        )
        return run.pk, queued

    outcomes = _all_at_once(ask)
    assert all(isinstance(outcome, tuple) for outcome in outcomes), outcomes
    assert len({run_id for run_id, _ in outcomes}) == 1
    assert sum(queued for _, queued in outcomes) == 1
    assert len(scheduled) == 1
    assert CheckRun.objects.filter(document=document).count() == 1


def test_answers_arriving_at_once_are_all_counted_and_finish_the_run_once():
    blocks = "".join(
        f"```python run\nprint({n})\n```\n\n```output\n{n}\n```\n\n" for n in range(THREADS)
    )
    document = MarkdownDocumentFactory(content=f"# Many blocks\n\n{blocks}")
    run, _ = service.queue_document_check(
        document=document, user=document.owner, schedule=lambda *args: None
    )
    service.run_document_check(run_id=run.pk, send_block=lambda code, code_hash: None)
    run.refresh_from_db()
    assert run.status == CheckRunStatus.RUNNING and run.pending_blocks == THREADS

    def answer(index: int):
        code_hash = block_hash(f"print({index})\n")
        service.record_block_outcome(
            run_id=run.pk, code_hash=code_hash, outcome={"status": "ok", "stdout": f"{index}\n"}
        )
        return "ok"

    assert _all_at_once(answer) == ["ok"] * THREADS
    run.refresh_from_db()
    assert run.status == CheckRunStatus.DONE and run.pending_blocks == 0
    assert len(run.block_results["answers"]) == THREADS
    code = next(result for result in run.results if result["name"] == "code_output")
    assert code["status"] == "pass", code
    assert CodeBlock.objects.filter(document=document, verdict="passed").count() == THREADS
