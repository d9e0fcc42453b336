"""Check runs of documents: queueing (idempotent per revision, debounced), running the
checks, gathering the sandbox's answers for runnable blocks, and the blocks' verdicts
("verified", failing, regressed).

Celery stays out of here: callers hand in `schedule(run_id, delay_seconds)` and
`send_block(code, code_hash)` (contributions/tasks/checks.py), so this module is plain
functions over the database. Writes lock the run row (and the document row while
queueing) so concurrent requests and sandbox answers cannot lose each other's updates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from collaboration.history import HistoryError, content_at
from collaboration.locking import take_sqlite_write_lock
from collaboration.models import Document
from collaboration.permissions import can_edit_document
from collaboration.realtime import publish
from collaboration.services.checkpoints import checkpoints_write_lagging

from ..errors import NotAllowed
from ..models import BlockVerdict, CheckRun, CheckRunStatus, CodeBlock
from . import code_blocks
from .block_runs import block_hash, split_versions
from .context import context_for, document_reader
from .score import score
from .source import Fence, Parsed, parse
from .suite import run_checks
from .types import FAIL, PASS, CheckContext, CheckResult, RunOutcome

if TYPE_CHECKING:
    from accounts.models import User

Schedule = Callable[[int, int], None]  # (run id, seconds to wait)
SendBlock = Callable[[str, str], None]  # (code, code hash)
NOT_ANSWERED = "the sandbox worker did not answer in time."
WAITING = "waiting for the sandbox worker."


def queue_document_check(
    *, document: Document, user: User, schedule: Schedule
) -> tuple[CheckRun, bool]:
    """(run, whether it was queued now): a run of the document's current revision,
    queued at most once per CHECKS_DEBOUNCE_SECONDS. The same revision again answers its
    stored run; a request while another run still waits in the queue joins it (it checks
    the newest revision when it starts). Only the document's editors ask for runs."""
    if not can_edit_document(user, document):
        raise NotAllowed("Only the document's editors can run its checks.")
    with transaction.atomic():
        take_sqlite_write_lock(Document, document.pk)
        locked = Document.objects.select_for_update().only("pk", "revision").get(pk=document.pk)
        runs = CheckRun.objects.filter(document_id=document.pk)
        existing = runs.filter(revision=locked.revision).first()
        if existing is not None and existing.status != CheckRunStatus.FAILED:
            return existing, False
        waiting = runs.filter(status=CheckRunStatus.QUEUED).exclude(
            pk=getattr(existing, "pk", None)
        )
        pending = waiting.first()
        if pending is not None and existing is None:
            pending.revision = locked.revision
            pending.save(update_fields=["revision"])
            return pending, False
        last = runs.order_by("-queued_at").values_list("queued_at", flat=True).first()
        now = timezone.now()
        delay = 0
        if last is not None:
            ready_at = last + timedelta(seconds=settings.CHECKS_DEBOUNCE_SECONDS)
            delay = max(0, int((ready_at - now).total_seconds() + 0.999))
        if existing is not None:  # a failed run of this revision: try again
            existing.status = CheckRunStatus.QUEUED
            existing.error = ""
            existing.requested_by = user
            existing.save(update_fields=["status", "error", "requested_by"])
            run = existing
        else:
            try:
                with transaction.atomic():
                    run = CheckRun.objects.create(
                        document_id=document.pk, revision=locked.revision, requested_by=user
                    )
            except IntegrityError:  # another request created it meanwhile
                run = CheckRun.objects.get(document_id=document.pk, revision=locked.revision)
                return run, False
        transaction.on_commit(lambda: schedule(run.pk, delay))
    return run, True


def run_document_check(*, run_id: int, send_block: SendBlock) -> CheckRun | None:
    """The queued run, on the newest text (unless that revision has a run of its own):
    every check but the code's runs now; each runnable block that parses goes to the
    sandbox (`send_block`), and the last answer finishes the run."""
    with transaction.atomic():
        take_sqlite_write_lock(CheckRun, run_id)
        run = (
            CheckRun.objects.select_for_update()
            .select_related("document")
            .filter(pk=run_id)
            .first()
        )
        if run is None or run.status != CheckRunStatus.QUEUED:
            return run  # done already, or taken by another worker: nothing to repeat
        document = run.document
        newest = CheckRun.objects.filter(document_id=document.pk, revision=document.revision)
        if run.revision != document.revision and not newest.exists():
            run.revision = document.revision
        try:
            markdown = content_at(document_id=document.pk, revision=run.revision)
        except HistoryError:
            return _fail(run, "The text of this revision is no longer kept.")
        context = context_for(
            reader=document_reader(document), document=document, not_run_reason=WAITING
        )
        report = run_checks(markdown, context=context)
        fences = [
            fence
            for fence in parse(markdown).fences
            if fence.is_runnable and code_blocks.syntax_error(fence) is None
        ]
        blocks = {block_hash(fence.code): fence.code for fence in fences}
        run.results = [result.as_dict() for result in report.results]
        run.score = report.score
        run.started_at = timezone.now()
        run.pending_blocks = len(blocks)
        run.block_results = {"fences": [asdict(fence) for fence in fences], "answers": {}}
        run.status = CheckRunStatus.RUNNING if blocks else CheckRunStatus.DONE
        if not blocks:
            run.finished_at = run.started_at
        run.save()
        announce_on_commit(run)
        for code_hash, code in blocks.items():
            transaction.on_commit(
                lambda code=code, code_hash=code_hash: send_block(code, code_hash)
            )
    return run


def announce_on_commit(run: CheckRun) -> None:
    """A notice on the document's topic (live only): open pages of the document, and of a
    proposal whose branch it is, show the new score without a reload."""
    frame = {
        "type": "checks",
        "event": run.status,
        "run": {"id": run.pk, "revision": run.revision, "status": run.status, "score": run.score},
    }
    transaction.on_commit(partial(publish.notice_to_document, run.document_id, frame), robust=True)


def fence_from(data: dict) -> Fence:
    return Fence(**{**data, "flags": tuple(data.get("flags") or ())})


def _fail(run: CheckRun, reason: str) -> CheckRun:
    run.status = CheckRunStatus.FAILED
    run.error = reason
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at"])
    return run


def record_block_outcome(*, run_id: int, code_hash: str, outcome: RunOutcome) -> CheckRun | None:
    """One sandbox answer for one block of a running run (a repeated answer changes
    nothing); the last one finishes the run."""
    with transaction.atomic():
        take_sqlite_write_lock(CheckRun, run_id)
        run = CheckRun.objects.select_for_update().filter(pk=run_id).first()
        answers = (run.block_results or {}).get("answers", {}) if run is not None else {}
        if run is None or run.status != CheckRunStatus.RUNNING or code_hash in answers:
            return run
        cleaned, libraries = split_versions(dict(outcome or {}))
        answers = {**answers, code_hash: {**cleaned, "libraries": libraries}}
        run.block_results = {**run.block_results, "answers": answers}
        run.pending_blocks = max(0, run.pending_blocks - 1)
        if run.pending_blocks:
            run.save(update_fields=["block_results", "pending_blocks"])
            return run
        return _finish(run)


def _finish(run: CheckRun) -> CheckRun:
    """Judges the runnable blocks on the answers gathered (missing ones: not run), then
    stores the report, the score, the versions and every block's verdict."""
    answers = run.block_results.get("answers", {})

    def answered(code: str) -> RunOutcome:
        return answers.get(block_hash(code)) or {"status": "not_run", "reason": NOT_ANSWERED}

    context = CheckContext(run_code=answered)
    parsed = Parsed("", [], fences=[fence_from(item) for item in run.block_results["fences"]])
    output = code_blocks.output_check(parsed, context)
    results = [output.as_dict() if item["name"] == output.name else item for item in run.results]
    run.results = results
    run.score = score([CheckResult(**item) for item in results])
    run.versions = _versions(answers)
    run.status = CheckRunStatus.DONE
    run.finished_at = timezone.now()
    run.save()
    announce_on_commit(run)
    for block in code_blocks.run_blocks(parsed, context):
        record_verdict(document_id=run.document_id, block=block, at=run.finished_at)
    return run


def _versions(answers: dict) -> dict:
    ran = [answer for answer in answers.values() if answer.get("status") != "not_run"]
    libraries: dict[str, str] = {}
    for answer in ran:
        libraries.update(answer.get("libraries") or {})
    first = ran[0] if ran else {}
    return {
        "python": first.get("python_version", ""),
        "runner": first.get("runner", ""),
        "libraries": libraries,
    }


def record_verdict(*, document_id: int, block: code_blocks.BlockRun, at) -> CodeBlock | None:
    """The block's verdict: "passed" (the badge), or "failed"; a block that had passed and
    now fails is "regressed" from that moment until it passes again. Not run: unchanged."""
    if block.status not in (PASS, FAIL):
        return None
    outcome = block.outcome or {}
    take_sqlite_write_lock(Document, document_id)
    current = (
        CodeBlock.objects.select_for_update()
        .filter(document_id=document_id, code_hash=block.code_hash)
        .first()
    )
    row = current or CodeBlock(document_id=document_id, code_hash=block.code_hash)
    row.line = block.fence.line
    row.last_run_at = at
    if block.status == PASS:
        row.verdict = BlockVerdict.PASSED
        row.message = ""
        row.verified_at = at
        row.regressed_at = None
        row.python_version = str(outcome.get("python_version") or "")[:40]
        row.runner = str(outcome.get("runner") or "")[:20]
        row.libraries = outcome.get("libraries") or {}
    else:
        was_good = current is not None and current.verdict in (
            BlockVerdict.PASSED,
            BlockVerdict.REGRESSED,
        )
        if was_good and current.verdict == BlockVerdict.PASSED:
            row.regressed_at = at
        row.verdict = BlockVerdict.REGRESSED if was_good else BlockVerdict.FAILED
        row.message = block.message[:500]
    row.save()
    return row


def finish_stalled_runs(*, now=None) -> int:
    """Runs still waiting for the sandbox after CHECKS_CODE_WAIT_MINUTES finish with the
    unanswered blocks "not run"; runs queued that long without starting are marked failed."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.CHECKS_CODE_WAIT_MINUTES)
    finished = 0
    stalled = CheckRun.objects.filter(status=CheckRunStatus.RUNNING, started_at__lt=cutoff)
    for run_id in stalled.values_list("pk", flat=True):
        with transaction.atomic():
            take_sqlite_write_lock(CheckRun, run_id)
            run = CheckRun.objects.select_for_update().get(pk=run_id)
            if run.status == CheckRunStatus.RUNNING:
                _finish(run)
                finished += 1
    lost = CheckRun.objects.filter(status=CheckRunStatus.QUEUED, queued_at__lt=cutoff)
    finished += lost.update(
        status=CheckRunStatus.FAILED,
        error="No worker ran the checks in time; run them again.",
        finished_at=now,
    )
    return finished


def rerun_blocks_of_all_documents(*, send_block: Callable[[int, dict], None]) -> int:
    """Sends every runnable block of every document's current text to the sandbox again
    (`send_block(document_id, fence as a dict)`); answers go to `record_rerun_outcome`.
    Returns how many blocks were sent."""
    sent = 0
    checkpoints_write_lagging()  # the filter reads the stored column
    documents = Document.objects.filter(content_checkpoint__contains=" run").only(
        "pk", "revision", "content_checkpoint", "content_revision"
    )
    for document in documents.iterator(chunk_size=50):
        seen: set[str] = set()
        for fence in parse(document.content).fences:
            if not fence.is_runnable or code_blocks.syntax_error(fence):
                continue
            code_hash = block_hash(fence.code)
            if code_hash not in seen:
                seen.add(code_hash)
                send_block(document.pk, asdict(fence))
                sent += 1
    return sent


def record_rerun_outcome(*, document_id: int, fence: dict, outcome: RunOutcome) -> CodeBlock | None:
    """A weekly re-run's answer for one block: its verdict, a regression if it passed."""
    cleaned, libraries = split_versions(dict(outcome or {}))
    answer = {**cleaned, "libraries": libraries}
    parsed = Parsed("", [], fences=[fence_from(fence)])
    block = code_blocks.run_blocks(parsed, CheckContext(run_code=lambda code: answer))[0]
    with transaction.atomic():
        if not Document.objects.filter(pk=document_id).exists():
            return None
        return record_verdict(document_id=document_id, block=block, at=timezone.now())
