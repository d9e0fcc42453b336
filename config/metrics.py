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
commit_group_documents = Histogram(
    "learnai_commit_group_documents",
    "Documents committed together in one round trip of the socket committer",
    buckets=(1, 2, 4, 8, 16, 32),
)
hook_deliveries = Counter(
    "learnai_hook_deliveries_total",
    "Post-commit hook deliveries a socket process started ('delivered') or left to the "
    "process that committed the document after it ('left')",
    ["outcome"],
)
login_lockouts = Counter("learnai_login_lockouts_total", "Sign-in attempts refused by lock-out")
commit_rounds = Counter(
    "learnai_commit_rounds_total",
    "Socket commit attempts per document: 'fast' stored in one round trip, 'moved' found "
    "the document changed by another process (planned again), 'locked' under the row lock",
    ["outcome"],
)

# --- Where an edit's time goes (REALTIME_TIMINGS) ------------------------------------------
# Off by default: they cost a few clock reads per edit. bench/latency_breakdown.py reads them
# before and after a run. Fine buckets (1-1.5-2-3-5-7 per decade) so that p50 and p99 can be
# interpolated from the counts to within a bucket.
TIMING_BUCKETS = (
    *(
        round(mantissa * 10.0**exponent, 7)
        for exponent in range(-5, 1)
        for mantissa in (1, 1.5, 2, 3, 5, 7)
    ),
    10.0,
)
# Each edit's stages, in order; they add up to "total":
# parse: frame handed to the consumer -> queued on its document's hub (JSON, checks);
# queued: -> the committer takes it (the batching delay: waiting for the round in flight);
# commit: -> its document's outcome reaches the hub (planning, the database round trip,
#   and settling the documents before it in the same round);
# settle: -> its ack is queued on the socket (acks and broadcasts of the batch before it);
# write: -> the ack is written to the socket's transport (the flusher's turn).
EDIT_STAGES = ("parse", "queued", "commit", "settle", "write", "total")
edit_stage_seconds = Histogram(
    "learnai_realtime_edit_stage_seconds",
    "Time an edit spends in each stage from its frame to its ack (REALTIME_TIMINGS)",
    ["stage"],
    buckets=TIMING_BUCKETS,
)
_EDIT_STAGE = {stage: edit_stage_seconds.labels(stage) for stage in EDIT_STAGES}
bus_transit_seconds = Histogram(
    "learnai_realtime_bus_transit_seconds",
    "From a commit's publish on the bus to its handling by another process (REALTIME_TIMINGS)",
    buckets=TIMING_BUCKETS,
)
flush_pass_seconds = Histogram(
    "learnai_realtime_flush_pass_seconds",
    "One pass of the socket flusher: every queued frame of every socket written (REALTIME_TIMINGS)",
    buckets=TIMING_BUCKETS,
)
event_loop_lag_seconds = Histogram(
    "learnai_event_loop_lag_seconds",
    "How late the event loop wakes a timer: time other work held the loop (REALTIME_TIMINGS)",
    buckets=TIMING_BUCKETS,
)


class EditTimer:
    """The clock readings of one edit on its way from frame to ack (perf_counter seconds).

    Made only when timings are on; each stage is observed once the ack is written."""

    __slots__ = ("acked", "batched", "committed", "received", "submitted")

    def __init__(self, received: float):
        self.received = received
        self.submitted = self.batched = self.committed = self.acked = received

    def written(self, now: float) -> None:
        """The ack left for the socket: every stage of this edit is known."""
        marks = (self.received, self.submitted, self.batched, self.committed, self.acked, now)
        # EDIT_STAGES[:-1] are the steps between consecutive marks; the last is "total".
        for stage, start, end in zip(EDIT_STAGES[:-1], marks[:-1], marks[1:], strict=True):
            _EDIT_STAGE[stage].observe(max(0.0, end - start))
        _EDIT_STAGE["total"].observe(max(0.0, now - self.received))


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
