"""What a caller of the sandbox sees: results, refusals with reasons, the Celery task on
its own queue (refused in the web process), and the operators' `sandbox_check`."""

from __future__ import annotations

import io
import json
import logging
import os
import uuid

import pytest
from django.core.management import CommandError, call_command

import config.celery
from contributions.sandbox import RunResult, run_python
from contributions.sandbox.config import current_config
from contributions.sandbox.runners import choose
from contributions.tasks.sandbox import run_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def chosen():
    """The runner this machine gives (auto); "none" where nothing safe works."""
    return choose(current_config())


def _refused_for_lack_of_a_runner(result: RunResult, chosen) -> bool:
    if chosen.runner != "none":
        return False
    assert result.status == "not_run" and "not run" in result.reason, result
    return True


def test_code_runs_and_says_with_what(chosen):
    result = run_python("print('héllo', 6 * 7)\n")
    if _refused_for_lack_of_a_runner(result, chosen):
        return
    assert (result.status, result.stdout, result.exit_code) == ("ok", "héllo 42\n", 0)
    assert result.runner == chosen.runner in ("bwrap", "rlimits")
    assert result.python_version.startswith("3.")
    assert not result.stdout_truncated and result.reason == ""


def test_an_exception_is_an_error_with_its_traceback(chosen):
    result = run_python("def broken(:\n")
    if _refused_for_lack_of_a_runner(result, chosen):
        return
    assert result.status == "error" and result.exit_code == 1
    assert "SyntaxError" in result.stderr and result.reason == ""


def test_the_result_crosses_celery_as_json(chosen):
    result = run_python("import sys; print('out'); print('err', file=sys.stderr)")
    assert RunResult.from_dict(json.loads(json.dumps(result.as_dict()))) == result


def test_turned_off_nothing_runs(settings):
    settings.SANDBOX_RUNNER = "off"
    result = run_python("print(1)")
    assert result.status == "not_run" and result.runner == "none"
    assert "turned off (SANDBOX_RUNNER=off)" in result.reason


def test_a_missing_sandbox_user_keeps_the_rlimits_runner_from_running(settings):
    settings.SANDBOX_RUNNER = "rlimits"
    settings.SANDBOX_USER = f"no-such-user-{uuid.uuid4().hex[:8]}"
    result = run_python("print(1)")
    assert result.status == "not_run" and not result.stdout
    assert "rlimits: " in result.reason
    assert settings.SANDBOX_USER in result.reason or "not root" in result.reason


def test_without_bubblewrap_auto_falls_back_and_never_runs_unconfined(settings, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    settings.SANDBOX_RUNNER = "auto"
    settings.SANDBOX_WALL_SECONDS = 9  # a configuration of its own: probed afresh
    choice = choose(current_config())
    assert choice.probes[0].reason == "bubblewrap (bwrap) is not installed"
    result = run_python("print(1)")
    if choice.runner == "none":
        assert result.status == "not_run" and "bwrap: bubblewrap" in result.reason
    else:
        assert (choice.runner, result.runner, result.stdout) == ("rlimits", "rlimits", "1\n")


def test_the_choice_is_probed_and_logged_once_per_process(caplog):
    choose.cache_clear()
    with caplog.at_level(logging.INFO, logger="contributions.sandbox.runners"):
        first, second = run_python("print(1)"), run_python("print(1)")
    messages = [r.getMessage() for r in caplog.records]
    decisions = [m for m in messages if "using the" in m or "No safe way" in m]
    assert len(decisions) == 1, messages
    assert first.runner == second.runner


def test_run_code_goes_to_the_sandbox_queue_only():
    route = config.celery.app.amqp.router.route({}, "contributions.run_code", args=(), kwargs={})
    assert route["queue"].name == "sandbox"
    assert config.celery.app.conf.task_default_queue != "sandbox"


def test_run_inline_in_the_web_process_the_task_refuses(eager_tasks):
    marker = f"/tmp/sandbox-web-{uuid.uuid4().hex}"
    code = f"open({marker!r}, 'w').write('ran'); print('ran')"
    answer = run_code.delay(code).get()
    assert answer["status"] == "not_run" and answer["stdout"] == ""
    assert answer["reason"].startswith("not_run: no sandbox worker")
    assert not os.path.exists(marker)


def test_on_the_sandbox_worker_the_task_runs_the_code(chosen):
    answer = run_code.run("print(1 + 1)")  # what the worker calls: not inline
    if chosen.runner == "none":
        assert answer["status"] == "not_run"
        return
    assert (answer["status"], answer["stdout"], answer["runner"]) == ("ok", "2\n", chosen.runner)


def test_sandbox_check_tells_operators_what_works(chosen):
    out = io.StringIO()
    if chosen.runner == "none":
        with pytest.raises(CommandError, match="cannot run code here"):
            call_command("sandbox_check", stdout=out)
        return
    call_command("sandbox_check", stdout=out)
    text = out.getvalue()
    assert f"Chosen runner: {chosen.runner}" in text
    assert "Self-test print(1 + 1): ok '2'" in text and "The code sandbox works." in text


def test_sandbox_check_fails_loudly_when_turned_off(settings):
    settings.SANDBOX_RUNNER = "off"
    with pytest.raises(CommandError, match=r"turned off \(SANDBOX_RUNNER=off\)"):
        call_command("sandbox_check", stdout=io.StringIO())
