"""Celery workers seen from the web: the heartbeat behind /readyz and the queue and task
figures behind /metrics (config/celery.py, config/metrics.py)."""

import json
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from celery.signals import task_failure, task_retry, task_success
from django.conf import settings

import config.celery
from collaboration.tasks import prune_operations_task
from config.celery import WorkerHeartbeat, app, worker_heartbeat_age, worker_heartbeat_write
from tests.servers import IN_CI

# Redis holds what the workers report. CI sets REDIS_URL (see .ci/run), so these never
# skip there: without Redis they fail loudly instead.
NEEDS_REDIS = [
    pytest.mark.services,
    pytest.mark.skipif(
        not settings.REDIS_URL and not IN_CI,
        reason="needs Redis (REDIS_URL): workers report to it (CI runs it with REDIS_URL set)",
    ),
]


def _write_heartbeat_seconds_ago(client, seconds: float) -> None:
    worker_heartbeat_write(client=client, worker="celery@test")
    value = json.loads(client.get(config.celery.HEARTBEAT_KEY))
    value["at"] -= seconds
    client.set(config.celery.HEARTBEAT_KEY, json.dumps(value))


# --- /readyz --------------------------------------------------------------------------


@pytest.mark.django_db
def test_readyz_skips_the_worker_when_celery_runs_tasks_inline(client, settings, celery_keys):
    # No heartbeat at all: with eager Celery (no Redis) there is no worker to wait for.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["worker_seen_seconds_ago"] is None


class TestReadyzWithWorkers:
    pytestmark = [*NEEDS_REDIS, pytest.mark.django_db]

    def test_200_with_a_fresh_heartbeat(self, client, worker_seen):
        response = client.get("/readyz")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["status"] == "ok" and body["redis"] is True
        assert 0 <= body["worker_seen_seconds_ago"] < 5

    def test_503_when_no_worker_was_ever_seen(self, client, celery_keys):
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response["Content-Type"].startswith("application/json")
        body = response.json()
        assert body["status"] == "unavailable"
        assert body["problems"] == ["no celery worker seen (none has written a heartbeat to Redis)"]

    def test_503_when_the_heartbeat_is_older_than_a_minute(self, client, celery_keys):
        _write_heartbeat_seconds_ago(celery_keys, 125)
        response = client.get("/readyz")
        assert response.status_code == 503
        (problem,) = response.json()["problems"]
        assert problem.startswith("celery worker not seen for 12"), problem
        assert "(limit 60 s)" in problem

    def test_200_just_inside_the_minute(self, client, celery_keys):
        _write_heartbeat_seconds_ago(celery_keys, 50)
        response = client.get("/readyz")
        assert response.status_code == 200, response.content
        assert 50 <= response.json()["worker_seen_seconds_ago"] < 55

    def test_unreachable_redis_is_one_problem_not_two(self, client, settings, celery_keys):
        settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
        response = client.get("/readyz")
        assert response.status_code == 503
        (problem,) = response.json()["problems"]
        assert problem.startswith("redis unreachable"), problem


# --- The worker's heartbeat step ------------------------------------------------------


class _Timer:
    def __init__(self):
        self.calls = []

    def call_repeatedly(self, secs, fun, args=(), priority=0):
        self.calls.append((secs, fun, args))
        return SimpleNamespace(cancel=lambda: self.calls.append("cancelled"))


class TestHeartbeatStep:
    pytestmark = NEEDS_REDIS

    def test_writes_at_once_then_every_15_seconds_until_stopped(self, celery_keys):
        timer = _Timer()
        consumer = SimpleNamespace(hostname="celery@unit", timer=timer)
        step = WorkerHeartbeat(consumer)
        step.start(consumer)
        assert worker_heartbeat_age(client=celery_keys) < 5
        ((secs, fun, args),) = timer.calls
        assert secs == 15
        celery_keys.delete(config.celery.HEARTBEAT_KEY)
        fun(*args)  # what the worker's timer does every 15 s
        assert worker_heartbeat_age(client=celery_keys) < 5
        step.stop(consumer)
        assert timer.calls[-1] == "cancelled"


def test_the_heartbeat_step_is_part_of_every_worker():
    assert WorkerHeartbeat in app.steps["consumer"]


# --- /metrics -------------------------------------------------------------------------


def _samples(client, name: str) -> list[str]:
    text = client.get("/metrics").content.decode()
    return [line for line in text.splitlines() if line.startswith((f"{name}{{", f"{name} "))]


class _TaskRunByAWorker:
    """What the task signals get as sender in a worker (hashable, as Celery requires)."""

    name = "tests.example"
    request = SimpleNamespace(is_eager=False)


class TestCeleryMetrics:
    pytestmark = NEEDS_REDIS

    def test_queue_length_counts_the_waiting_messages(self, client, celery_keys, monkeypatch):
        queue = f"test-queue-{uuid.uuid4().hex}"
        monkeypatch.setitem(app.conf, "task_default_queue", queue)
        broker = config.celery._client(app.conf.broker_url)
        broker.rpush(queue, "a", "b", "c")
        try:
            samples = _samples(client, "learnai_celery_queue_length")
        finally:
            broker.delete(queue)
        assert samples == [f'learnai_celery_queue_length{{queue="{queue}"}} 3.0']

    def test_task_outcomes_counted_by_the_workers(self, client, celery_keys):
        task = _TaskRunByAWorker()
        task_success.send(sender=task)
        task_success.send(sender=task)
        task_failure.send(sender=task)
        task_retry.send(sender=task)
        samples = _samples(client, "learnai_celery_tasks_total")
        assert sorted(samples) == [
            'learnai_celery_tasks_total{outcome="failed",task="tests.example"} 1.0',
            'learnai_celery_tasks_total{outcome="retried",task="tests.example"} 1.0',
            'learnai_celery_tasks_total{outcome="succeeded",task="tests.example"} 2.0',
        ]

    def test_tasks_run_inline_are_not_counted(self, celery_keys):
        prune_operations_task.apply(kwargs={"keep": 0})  # eager: not a worker's task
        assert celery_keys.hgetall(config.celery.TASK_OUTCOMES_KEY) == {}

    def test_heartbeat_age_is_exported(self, client, worker_seen):
        (sample,) = _samples(client, "learnai_celery_worker_heartbeat_age_seconds")
        assert 0 <= float(sample.split()[-1]) < 5


def test_metrics_answer_when_redis_is_unreachable(client, settings, monkeypatch):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert "# TYPE learnai_celery_queue_length gauge" in text
    assert "learnai_celery_queue_length{" not in text


def test_metrics_without_redis_show_the_families_empty(client, settings, monkeypatch):
    settings.REDIS_URL = ""
    monkeypatch.setitem(app.conf, "broker_url", "memory://")
    text = client.get("/metrics").content.decode()
    for name in ("learnai_celery_queue_length", "learnai_celery_tasks_total"):
        assert f"# TYPE {name}" in text
        assert not _samples(client, name)


def test_workers_import_every_task_module_and_know_every_beat_task():
    """A task module missing from CELERY_IMPORTS would leave its tasks unknown to workers
    (they would drop its messages), and a beat entry naming no task would never run."""
    root = Path(settings.BASE_DIR)
    modules = {
        f"{app_dir.name}.tasks.{path.stem}"
        for app_dir in root.iterdir()
        if (app_dir / "tasks" / "__init__.py").exists()
        for path in (app_dir / "tasks").glob("*.py")
        if path.stem != "__init__"
    }
    assert modules <= set(settings.CELERY_IMPORTS), modules - set(settings.CELERY_IMPORTS)
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled <= set(app.tasks), scheduled - set(app.tasks)
