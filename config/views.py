"""Site-wide views: health probes and error pages (JSON under /api/, HTML elsewhere)."""

import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token

from .api import is_api_request, json_error_response
from .celery import WORKER_STALE_SECONDS, redis_client, worker_heartbeat_age

logger = logging.getLogger(__name__)


@never_cache
def healthz(request):
    """Liveness: the process answers. Never touches the database."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        return f"database unreachable: {exc.__class__.__name__}"
    return None


def _check_redis() -> str | None:
    if not settings.REDIS_URL:
        return None
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1
        )
        client.ping()
        client.close()
    except Exception as exc:
        return f"redis unreachable: {exc.__class__.__name__}"
    return None


def _check_worker() -> tuple[str | None, float | None]:
    """A Celery worker wrote its heartbeat lately (config/celery.py): one Redis round
    trip, where `inspect ping` would broadcast and wait. Returns (problem, age)."""
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.REDIS_URL:
        return None, None  # tasks run inline (or report nowhere): no worker to wait for
    try:
        age = worker_heartbeat_age(client=redis_client())
    except Exception as exc:  # as in _check_redis: any error means "not ready"
        return f"celery worker heartbeat unreadable: {exc.__class__.__name__}", None
    if age is None:
        return "no celery worker seen (none has written a heartbeat to Redis)", None
    if age > WORKER_STALE_SECONDS:
        return f"celery worker not seen for {age:.0f} s (limit {WORKER_STALE_SECONDS} s)", age
    return None, age


@never_cache
def readyz(request):
    """Readiness: the database and (when configured) Redis answer, and with Redis a
    Celery worker was seen within WORKER_STALE_SECONDS."""
    database_problem, redis_problem = _check_database(), _check_redis()
    # An unreachable Redis hides the heartbeat too: one problem is reported, not two.
    worker_problem, worker_age = _check_worker() if redis_problem is None else (None, None)
    problems = [p for p in (database_problem, redis_problem, worker_problem) if p]
    if problems:
        logger.warning("not ready: %s", "; ".join(problems))
        return JsonResponse({"status": "unavailable", "problems": problems}, status=503)
    return JsonResponse(
        {
            "status": "ok",
            "database": connection.vendor,
            "redis": bool(settings.REDIS_URL),
            "worker_seen_seconds_ago": None if worker_age is None else round(worker_age, 1),
        }
    )


def _error(request, status: int, message: str, template: str):
    if is_api_request(request):
        return json_error_response(request, status, message)
    return render(request, template, {"status": status, "message": message}, status=status)


def bad_request(request, exception=None):
    return _error(request, 400, "The request could not be understood.", "errors/error.html")


def permission_denied(request, exception=None):
    return _error(request, 403, "You do not have permission to do this.", "errors/error.html")


def page_not_found(request, exception=None):
    return _error(request, 404, "There is nothing at this address.", "errors/error.html")


@requires_csrf_token
def server_error(request):
    return _error(
        request, 500, "Something went wrong on our side. Please try again.", "errors/error.html"
    )


def csrf_failure(request, reason=""):
    return _error(
        request,
        403,
        "Your form expired or came from another site. Reload the page and try again.",
        "errors/error.html",
    )
