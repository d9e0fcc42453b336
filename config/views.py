"""Site-wide views: health probes and error pages (JSON under /api/, HTML elsewhere)."""

import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token

from .api import is_api_request, json_error_response

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


@never_cache
def readyz(request):
    """Readiness: the database and (when configured) Redis answer."""
    problems = [p for p in (_check_database(), _check_redis()) if p]
    if problems:
        logger.warning("not ready: %s", "; ".join(problems))
        return JsonResponse({"status": "unavailable", "problems": problems}, status=503)
    return JsonResponse(
        {"status": "ok", "database": connection.vendor, "redis": bool(settings.REDIS_URL)}
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
