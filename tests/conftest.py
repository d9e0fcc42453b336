"""Fixtures for the cross-app tests: Celery's keys in Redis, kept apart per test."""

import uuid

import pytest

import config.celery


@pytest.fixture
def celery_keys(monkeypatch):
    """Points the heartbeat and the task counters at keys of this test alone (a worker of
    `make run` may share the Redis) and removes them afterwards. Without Redis, nothing."""
    suffix = uuid.uuid4().hex
    monkeypatch.setattr(config.celery, "HEARTBEAT_KEY", f"test:heartbeat:{suffix}")
    monkeypatch.setattr(config.celery, "TASK_OUTCOMES_KEY", f"test:task-outcomes:{suffix}")
    client = config.celery.redis_client()
    yield client
    if client is not None:
        client.delete(config.celery.HEARTBEAT_KEY, config.celery.TASK_OUTCOMES_KEY)


@pytest.fixture
def worker_seen(celery_keys):
    """A worker wrote its heartbeat just now (when there is a Redis to write it to)."""
    if celery_keys is not None:
        config.celery.worker_heartbeat_write(client=celery_keys, worker="celery@test")
    return celery_keys
