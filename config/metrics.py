"""Custom Prometheus metrics, exported at /metrics next to django-prometheus' own.

Each process exports its own values; Prometheus sums them over the targets. The Celery
figures are the exception: they are the whole site's, read from Redis at each scrape, so
every web process reports the same values (the dashboard takes their max, not their sum).
"""

import logging

import redis
from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from .celery import queue_lengths, redis_client, task_outcome_counts, worker_heartbeat_age

logger = logging.getLogger(__name__)

websocket_connections = Gauge(
    "learnai_websocket_connections", "Open WebSocket connections in this process", ["route"]
)
websocket_messages = Counter(
    "learnai_websocket_messages_total",
    "WebSocket frames by direction and type",
    ["direction", "type"],
)
operation_commit_seconds = Histogram(
    "learnai_operation_commit_seconds",
    "Time from an edit frame's arrival to its commit in the database",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
operations_committed = Counter(
    "learnai_operations_committed_total", "Operations committed to the log", ["source"]
)
commit_batch_size = Histogram(
    "learnai_commit_batch_size",
    "Operations committed in one transaction",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)
login_lockouts = Counter("learnai_login_lockouts_total", "Sign-in attempts refused by lock-out")
commit_rounds = Counter(
    "learnai_commit_rounds_total",
    "Socket commit attempts per document: 'fast' stored in one round trip, 'moved' found "
    "the document changed by another process (planned again), 'locked' under the row lock",
    ["outcome"],
)


class CeleryCollector(Collector):
    """The Celery queue and workers, as seen in Redis when /metrics is scraped.

    Workers cannot be scraped themselves, so they count their task outcomes in Redis
    (config/celery.py). Without Redis, tasks run inline and every family stays empty.
    """

    def describe(self):
        # Names only: registering must not reach Redis.
        return list(self._families())

    def collect(self):
        queue_length, tasks, heartbeat_age = self._families()
        try:
            for queue, length in queue_lengths().items():
                queue_length.add_metric([queue], length)
            if (client := redis_client()) is not None:
                for (task, outcome), count in sorted(task_outcome_counts(client=client).items()):
                    tasks.add_metric([task, outcome], count)
                if (age := worker_heartbeat_age(client=client)) is not None:
                    heartbeat_age.add_metric([], age)
        except redis.RedisError as exc:
            # The scrape still answers; /readyz reports Redis itself.
            logger.warning("could not read the Celery metrics from Redis: %s", exc)
        return [queue_length, tasks, heartbeat_age]

    @staticmethod
    def _families():
        return (
            GaugeMetricFamily(
                "learnai_celery_queue_length",
                "Tasks waiting in the Celery queue (whole site)",
                labels=["queue"],
            ),
            CounterMetricFamily(
                "learnai_celery_tasks",
                "Celery tasks finished by every worker, by outcome: succeeded, failed, "
                "retried (whole site; resets when Redis is emptied)",
                labels=["task", "outcome"],
            ),
            GaugeMetricFamily(
                "learnai_celery_worker_heartbeat_age_seconds",
                "Seconds since a Celery worker was last seen consuming (whole site)",
            ),
        )


REGISTRY.register(CeleryCollector())
