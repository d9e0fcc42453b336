"""The Celery application (cookiecutter-django's recipe): settings come from Django's.

Also what the web processes know about the workers. A worker cannot be scraped, and
asking it (`inspect ping`) costs a broadcast and a timeout, so the workers write to Redis
and the web reads from there: a heartbeat every HEARTBEAT_SECONDS while a worker consumes
the queue (for /readyz) and a count of task outcomes (for /metrics, config/metrics.py).
Without Redis, Celery runs tasks inline in the web process and none of this applies.
"""

from __future__ import annotations

import functools
import json
import logging
import os

import redis
from celery import Celery, bootsteps
from celery.signals import task_failure, task_retry, task_success
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

HEARTBEAT_KEY = "learnai:celery:heartbeat"
TASK_OUTCOMES_KEY = "learnai:celery:task-outcomes"
HEARTBEAT_SECONDS = 15
# /readyz reports the workers missing after four missed heartbeats.
WORKER_STALE_SECONDS = 60


@functools.cache
def _client(url: str) -> redis.Redis:
    # One connection pool per process and URL (redis-py resets it in forked pool
    # children). Short timeouts: a probe or a scrape must never hang on Redis.
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def redis_client() -> redis.Redis | None:
    """The site's Redis (REDIS_URL), or None when there is none."""
    return _client(settings.REDIS_URL) if settings.REDIS_URL else None


# --- Worker heartbeat ------------------------------------------------------------------


def worker_heartbeat_write(*, client: redis.Redis, worker: str) -> None:
    """Records that `worker` is consuming now. The time is Redis' own clock, so a web
    process on another host compares it with the same clock (no skew)."""
    seconds, microseconds = client.time()
    value = json.dumps({"worker": worker, "at": seconds + microseconds / 1e6})
    # The key outlives a stopped worker long enough for /readyz to say how long ago it
    # was seen, and then goes away on its own.
    client.set(HEARTBEAT_KEY, value, ex=86400)


def worker_heartbeat_age(*, client: redis.Redis) -> float | None:
    """Seconds since a worker last wrote its heartbeat; None if none ever did."""
    pipe = client.pipeline(transaction=False)
    pipe.time()
    pipe.get(HEARTBEAT_KEY)
    (seconds, microseconds), raw = pipe.execute()
    if raw is None:
        return None
    return max(0.0, seconds + microseconds / 1e6 - json.loads(raw)["at"])


class WorkerHeartbeat(bootsteps.StartStopStep):
    """A consumer step: it starts once the worker consumes the task queue and stops when
    the broker connection is lost, so a heartbeat means tasks are being taken. It runs
    in the worker's main process, so a pool busy with long tasks does not silence it."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, c, **kwargs):
        self.tref = None
        super().__init__(c, **kwargs)

    def start(self, c) -> None:
        client = redis_client()
        if client is None:  # a broker other than the site's Redis: nowhere to report
            return
        self._beat(client, c.hostname)  # at once: /readyz turns ready without waiting
        self.tref = c.timer.call_repeatedly(
            HEARTBEAT_SECONDS, self._beat, (client, c.hostname), priority=10
        )

    def stop(self, c) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    shutdown = stop

    @staticmethod
    def _beat(client: redis.Redis, worker: str) -> None:
        try:
            worker_heartbeat_write(client=client, worker=worker)
        except redis.RedisError as exc:
            # The next beat tries again; /readyz says so if they keep failing.
            logger.warning("could not write the worker heartbeat: %s", exc)


app.steps["consumer"].add(WorkerHeartbeat)


# --- Task outcomes -----------------------------------------------------------------------


def task_outcome_counts(*, client: redis.Redis) -> dict[tuple[str, str], int]:
    """Tasks finished by every worker since Redis was emptied: {(task, outcome): count}."""
    counts = {}
    for field, value in client.hgetall(TASK_OUTCOMES_KEY).items():
        outcome, _, task = field.decode().partition(":")
        counts[(task, outcome)] = int(value)
    return counts


def _count_task_outcome(task, outcome: str) -> None:
    client = redis_client()
    if client is None or task.request.is_eager:
        return  # run inline (no Redis, or a test's apply()): no worker to account for
    try:
        client.hincrby(TASK_OUTCOMES_KEY, f"{outcome}:{task.name}", 1)
    except redis.RedisError as exc:
        logger.warning("could not count a %s task (%s): %s", outcome, task.name, exc)


@task_success.connect
def _on_task_success(sender=None, **kwargs) -> None:
    _count_task_outcome(sender, "succeeded")


@task_failure.connect
def _on_task_failure(sender=None, **kwargs) -> None:
    _count_task_outcome(sender, "failed")


@task_retry.connect
def _on_task_retry(sender=None, **kwargs) -> None:
    _count_task_outcome(sender, "retried")


# --- Queues ------------------------------------------------------------------------------


def queue_lengths() -> dict[str, int]:
    """Messages waiting in each queue the workers consume; empty unless the broker is Redis.

    Celery's Redis transport keeps a queue as a list named after it (tasks sent with a
    priority go to sibling lists, which the site does not use).
    """
    url = app.conf.broker_url or ""
    if not url.startswith(("redis://", "rediss://")):
        return {}
    names = list(
        dict.fromkeys([app.conf.task_default_queue, *(q.name for q in app.conf.task_queues or ())])
    )
    pipe = _client(url).pipeline(transaction=False)
    for name in names:
        pipe.llen(name)
    return dict(zip(names, pipe.execute(), strict=True))
