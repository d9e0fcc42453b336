"""Stored check runs of documents: a run checks the text and sends its runnable blocks to
the sandbox task (a fake sandbox here, through the real Celery tasks run eagerly), runs
are idempotent per revision and debounced, blocks earn "verified" badges and regressions
are recorded by the weekly re-run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from accounts.tests.factories import UserFactory
from collaboration.models import Document
from contributions.checks import service
from contributions.checks.block_runs import VERSIONS_MARKER
from contributions.errors import NotAllowed
from contributions.models import BlockVerdict, CheckRun, CheckRunStatus, CodeBlock
from contributions.sandbox.result import RunResult
from contributions.tasks import checks as check_tasks
from contributions.tasks import sandbox as sandbox_tasks

from .factories_checks import FakeSandbox, MarkdownDocumentFactory

pytestmark = pytest.mark.django_db

SUM_BLOCK = "print(sum([1, 2, 3]))"


@pytest.fixture
def sandbox(monkeypatch, eager_tasks):
    fake = FakeSandbox(
        default_stdout="hello\n",
        answers={SUM_BLOCK: RunResult(status="ok", stdout="6\n", python_version="3.11.2")},
        libraries={"numpy": "1.26.4"},
    )
    monkeypatch.setattr(sandbox_tasks, "run_python", fake)
    return fake


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run


def _new_revision(document: Document, content: str) -> None:
    Document.objects.filter(pk=document.pk).update(
        content_checkpoint=content,
        content_revision=F("revision") + 1,
        revision=F("revision") + 1,
    )
    document.refresh_from_db()


def _result(run: CheckRun, name: str) -> dict:
    return next(result for result in run.results if result["name"] == name)


def test_a_run_checks_the_text_and_runs_its_blocks_on_the_sandbox(sandbox, committed):
    document = MarkdownDocumentFactory()
    run, queued = committed(
        check_tasks.request_document_check, document=document, user=document.owner
    )
    assert queued
    run.refresh_from_db()
    assert run.status == CheckRunStatus.DONE
    assert run.revision == document.revision
    code = _result(run, "code_output")
    assert code["status"] == "pass", code
    assert run.score == 100
    assert run.versions["python"] == "3.11.2"
    assert run.versions["libraries"] == {"numpy": "1.26.4"}
    assert len(sandbox.sent) == 2
    assert all(VERSIONS_MARKER in sent for sent in sandbox.sent)
    blocks = list(CodeBlock.objects.filter(document=document).order_by("line"))
    assert [block.verdict for block in blocks] == [BlockVerdict.PASSED, BlockVerdict.PASSED]
    assert blocks[0].verified_at is not None and blocks[0].python_version == "3.11.2"


def test_a_wrong_output_fails_the_run_and_the_block(sandbox, committed):
    sandbox.answers[SUM_BLOCK] = RunResult(status="ok", stdout="7\n")
    document = MarkdownDocumentFactory()
    run, _ = committed(check_tasks.request_document_check, document=document, user=document.owner)
    run.refresh_from_db()
    code = _result(run, "code_output")
    assert code["status"] == "fail"
    assert code["details"][0] == {
        "line": 12,
        "message": "Output line 1: expected “6”, printed “7”.",
    }
    assert run.score < 100
    assert CodeBlock.objects.get(document=document, line=7).verdict == BlockVerdict.FAILED


def test_the_same_revision_answers_the_stored_run(sandbox, committed):
    document = MarkdownDocumentFactory()
    first, _ = committed(check_tasks.request_document_check, document=document, user=document.owner)
    again, queued = committed(
        check_tasks.request_document_check, document=document, user=document.owner
    )
    assert again.pk == first.pk and not queued
    assert CheckRun.objects.filter(document=document).count() == 1
    assert len(sandbox.sent) == 2  # nothing ran twice


def test_runs_are_debounced_and_a_later_request_joins_the_queued_run(settings):
    settings.CHECKS_DEBOUNCE_SECONDS = 30
    document = MarkdownDocumentFactory()
    scheduled: list[tuple[int, int]] = []

    def schedule(run_id, delay):
        scheduled.append((run_id, delay))

    first, _ = service.queue_document_check(
        document=document, user=document.owner, schedule=schedule
    )
    CheckRun.objects.filter(pk=first.pk).update(status=CheckRunStatus.DONE)
    _new_revision(document, document.content + "\nMore text.\n")
    second, queued = service.queue_document_check(
        document=document, user=document.owner, schedule=schedule
    )
    assert queued and second.pk != first.pk
    _new_revision(document, document.content + "\nEven more.\n")
    joined, queued_again = service.queue_document_check(
        document=document, user=document.owner, schedule=schedule
    )
    assert joined.pk == second.pk and not queued_again
    assert joined.revision == document.revision  # it will check the newest text
    # on_commit callbacks do not run in this test's transaction: nothing was scheduled
    # yet; what matters is that one run waits for the newest text.
    assert CheckRun.objects.filter(document=document, status=CheckRunStatus.QUEUED).count() == 1


def test_a_second_run_waits_out_the_debounce_window(settings, django_capture_on_commit_callbacks):
    settings.CHECKS_DEBOUNCE_SECONDS = 30
    document = MarkdownDocumentFactory()
    delays: list[int] = []
    with django_capture_on_commit_callbacks(execute=True):
        service.queue_document_check(
            document=document,
            user=document.owner,
            schedule=lambda _run, delay: delays.append(delay),
        )
    CheckRun.objects.filter(document=document).update(status=CheckRunStatus.DONE)
    _new_revision(document, "# Changed\n\nText.\n")
    with django_capture_on_commit_callbacks(execute=True):
        service.queue_document_check(
            document=document,
            user=document.owner,
            schedule=lambda _run, delay: delays.append(delay),
        )
    assert delays[0] == 0
    assert 0 < delays[1] <= 30


def test_only_editors_queue_runs():
    document = MarkdownDocumentFactory(edit_policy="members")
    with pytest.raises(NotAllowed):
        service.queue_document_check(
            document=document, user=UserFactory(), schedule=lambda *args: None
        )
    assert not CheckRun.objects.exists()


def test_a_failed_run_of_the_revision_is_tried_again(sandbox, committed):
    document = MarkdownDocumentFactory()
    CheckRun.objects.create(
        document=document, revision=document.revision, status=CheckRunStatus.FAILED, error="x"
    )
    run, queued = committed(
        check_tasks.request_document_check, document=document, user=document.owner
    )
    run.refresh_from_db()
    assert queued and run.status == CheckRunStatus.DONE and run.error == ""


def test_a_run_whose_sandbox_never_answers_finishes_with_blocks_not_run(
    sandbox, committed, monkeypatch
):
    monkeypatch.setattr(sandbox_tasks.run_code, "apply_async", lambda *args, **kwargs: None)
    document = MarkdownDocumentFactory()
    run, _ = committed(check_tasks.request_document_check, document=document, user=document.owner)
    run.refresh_from_db()
    assert run.status == CheckRunStatus.RUNNING and run.pending_blocks == 2
    assert service.finish_stalled_runs(now=timezone.now() + timedelta(minutes=5)) == 0
    assert service.finish_stalled_runs(now=timezone.now() + timedelta(hours=1)) == 1
    run.refresh_from_db()
    assert run.status == CheckRunStatus.DONE
    code = _result(run, "code_output")
    assert code["status"] == "not_run"
    assert "did not answer" in code["details"][0]["message"]
    assert run.score == 100  # not run: left out of the score, not counted against it


def test_a_late_or_repeated_answer_changes_nothing(sandbox, committed):
    document = MarkdownDocumentFactory()
    run, _ = committed(check_tasks.request_document_check, document=document, user=document.owner)
    run.refresh_from_db()
    before = (run.score, run.results, run.finished_at)
    code_hash = next(iter(run.block_results["answers"]))
    service.record_block_outcome(run_id=run.pk, code_hash=code_hash, outcome={"status": "error"})
    run.refresh_from_db()
    assert (run.score, run.results, run.finished_at) == before


def test_the_weekly_rerun_flags_a_block_that_passed_and_now_fails(sandbox, committed):
    document = MarkdownDocumentFactory()
    committed(check_tasks.request_document_check, document=document, user=document.owner)
    assert CodeBlock.objects.get(document=document, line=7).verdict == BlockVerdict.PASSED
    sandbox.answers[SUM_BLOCK] = RunResult(
        status="error", stderr="Traceback...\nImportError: no module named numpy\n"
    )
    sent = check_tasks.rerun_code_blocks.delay().get()
    assert sent == 2
    regressed = CodeBlock.objects.get(document=document, line=7)
    assert regressed.verdict == BlockVerdict.REGRESSED
    assert regressed.regressed_at is not None
    assert "ImportError" in regressed.message
    assert regressed.verified_at is not None  # when it last passed, kept
    assert CodeBlock.objects.get(document=document, line=17).verdict == BlockVerdict.PASSED
    # Passing again clears the regression.
    sandbox.answers[SUM_BLOCK] = RunResult(status="ok", stdout="6\n")
    check_tasks.rerun_code_blocks.delay()
    assert CodeBlock.objects.get(document=document, line=7).verdict == BlockVerdict.PASSED
