"""Probes, metrics and request ids: what load balancers, orchestrators and Prometheus rely on."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import config.views
from tests.servers import child_environment

BASE_DIR = Path(__file__).resolve().parent.parent

LEARNAI_METRICS = (
    "learnai_websocket_connections",
    "learnai_websocket_messages_total",
    "learnai_operation_commit_seconds",
    "learnai_operations_committed_total",
    "learnai_commit_batch_size",
    "learnai_login_lockouts_total",
    "learnai_celery_queue_length",
    "learnai_celery_tasks_total",
    "learnai_celery_worker_heartbeat_age_seconds",
)


def test_healthz_is_ok_json(client):
    # No `db` fixture on purpose: pytest-django fails the test if liveness touches the database.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_ok_when_the_database_answers(client, worker_seen):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] in ("sqlite", "postgresql")


@pytest.mark.django_db
def test_readyz_503_when_the_database_check_fails(client, monkeypatch):
    monkeypatch.setattr(
        config.views, "_check_database", lambda: "database unreachable: OperationalError"
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "unavailable"
    assert any("database" in problem for problem in body["problems"])


@pytest.mark.django_db
def test_readyz_503_when_redis_is_configured_but_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert any("redis" in problem for problem in body["problems"])


def test_metrics_serves_prometheus_text(client):
    client.get("/healthz")  # at least one request through the middleware
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "django_http_requests_total_by_method_total" in text
    assert "django_http_requests_latency_seconds_by_view_method" in text
    assert "django_http_responses_total_by_status_total" in text


def test_metrics_include_learnai_metrics_from_a_fresh_process():
    """A fresh process, loaded the way daphne loads it, exports every learnai_ metric.

    Run in a subprocess so that no other test's imports can register the metrics for us:
    a scrape right after a deploy must already show them (empty, but present).
    """
    script = textwrap.dedent(
        """
        import django
        django.setup()
        import config.asgi  # what daphne imports: config.asgi:application
        from django.test import Client
        response = Client().get("/metrics")
        assert response.status_code == 200, response.status_code
        print(response.content.decode())
        """
    )
    env = child_environment(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="true")
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    missing = [name for name in LEARNAI_METRICS if f"# TYPE {name}" not in result.stdout]
    assert not missing, f"/metrics lacks {missing}: nothing imports config.metrics at start-up"


def test_every_response_has_a_request_id(client):
    for path in ("/healthz", "/metrics", "/api/no-such-endpoint/"):
        response = client.get(path)
        assert response.get("X-Request-ID"), path


def test_request_ids_differ_between_requests(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert first != second


def test_a_sane_incoming_request_id_is_echoed(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-1234.abcd_EF-56")
    assert response["X-Request-ID"] == "lb-1234.abcd_EF-56"


@pytest.mark.parametrize(
    "malicious",
    [
        "abc\r\nSet-Cookie: pwned=1",
        "trailing-newline\n",  # `$` alone would let this through and crash the header
        "<script>alert(1)</script>",
        "x" * 65,
        "id with spaces",
        "'; DROP TABLE users; --",
        "",
    ],
)
def test_a_malicious_incoming_request_id_is_replaced(client, malicious):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=malicious)
    request_id = response["X-Request-ID"]
    assert request_id != malicious
    assert len(request_id) == 32 and all(c in "0123456789abcdef" for c in request_id)
