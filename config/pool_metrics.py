"""The PostgreSQL connection pools of this process at /metrics (psycopg_pool's own counts).

Each process has one pool per database alias ("default", and "replica" when configured),
DB_POOL_MAX_SIZE connections at most; a request that finds none free waits up to
DB_POOL_TIMEOUT seconds, then fails. These figures feed the "pool exhausted" alerts
(deploy/prometheus/alerts.yml). On SQLite there is no pool and the families stay empty.
Registered by config/asgi.py: only web processes are scraped.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connections
from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector


def _pools():
    """(alias, pool) for every database configured with a pool."""
    for alias, database in settings.DATABASES.items():
        if database.get("OPTIONS", {}).get("pool"):
            pool = connections[alias].pool
            if pool is not None:
                yield alias, pool


class DatabasePoolCollector(Collector):
    def describe(self):
        return list(self._families())  # names only: describing must not open a pool

    def collect(self):
        size, available, maximum, waiting, errors, wait_seconds = families = self._families()
        for alias, pool in _pools():
            stats = pool.get_stats()
            size.add_metric([alias], stats.get("pool_size", 0))
            available.add_metric([alias], stats.get("pool_available", 0))
            maximum.add_metric([alias], stats.get("pool_max", pool.max_size))
            waiting.add_metric([alias], stats.get("requests_waiting", 0))
            errors.add_metric([alias], stats.get("requests_errors", 0))
            wait_seconds.add_metric([alias], stats.get("requests_wait_ms", 0) / 1000)
        return list(families)

    @staticmethod
    def _families():
        labels = ["database"]
        return (
            GaugeMetricFamily(
                "learnai_db_pool_size",
                "Connections the pool holds open (busy or idle)",
                labels=labels,
            ),
            GaugeMetricFamily(
                "learnai_db_pool_available", "Idle connections ready in the pool", labels=labels
            ),
            GaugeMetricFamily(
                "learnai_db_pool_max",
                "Most connections the pool opens (DB_POOL_MAX_SIZE)",
                labels=labels,
            ),
            GaugeMetricFamily(
                "learnai_db_pool_waiting",
                "Requests waiting for a free connection right now",
                labels=labels,
            ),
            CounterMetricFamily(
                "learnai_db_pool_errors",
                "Requests for a connection that failed (DB_POOL_TIMEOUT passed, or the pool "
                "could not connect)",
                labels=labels,
            ),
            CounterMetricFamily(
                "learnai_db_pool_wait_seconds",
                "Time requests spent waiting for a connection, summed",
                labels=labels,
            ),
        )


def register() -> None:
    REGISTRY.register(DatabasePoolCollector())
