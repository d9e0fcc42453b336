"""Reads that tolerate a little lag go to the PostgreSQL read replica (DATABASE_REPLICA_URL).

Installed only when the replica is configured (config/settings.py). The rule is opt-in:
a read goes to "replica" only inside an HTTP request that `ReplicaReadsMiddleware` marked
as lag-tolerant, and only while nothing in that request must see the primary. Everything
else reads the primary ("default"):

- outside HTTP requests: the live edit path and every socket (collaboration/realtime),
  Celery tasks, management commands;
- requests that write (any method but GET, HEAD, OPTIONS), and the rest of a GET request
  once it wrote something;
- the next REPLICA_PIN_SECONDS of a browser that wrote (a cookie), so people read their
  own last writes back, whichever process serves them;
- accounts, sessions and tokens (sign-in, sign-out everywhere, suspensions must hold at
  once), and the admin;
- anything inside a transaction (`atomic`), which may have locked or written rows.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

from django.conf import settings
from django.db import connections

REPLICA = "replica"
PRIMARY = "default"
PIN_COOKIE = "learnai_read_primary"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Apps whose rows decide who someone is and what they may do: never read with lag.
PRIMARY_APPS = frozenset(
    {"accounts", "auth", "sessions", "token_blacklist", "contenttypes", "admin"}
)
PRIMARY_PATHS = ("/admin/", "/accounts/", "/api/auth/", "/readyz", "/healthz", "/metrics")


@dataclass
class RequestReads:
    """Where one request's reads may go; shared by reference with the threads it uses."""

    replica_allowed: bool
    wrote: bool = False


_request_reads: contextvars.ContextVar[RequestReads | None] = contextvars.ContextVar(
    "request_reads", default=None
)


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        reads = _request_reads.get()
        if (
            reads is None
            or not reads.replica_allowed
            or model._meta.app_label in PRIMARY_APPS
            or connections[PRIMARY].in_atomic_block
        ):
            return PRIMARY
        return REPLICA

    def db_for_write(self, model, **hints) -> str:
        reads = _request_reads.get()
        if reads is not None:
            # From here on this request reads what it wrote; the response pins the browser.
            reads.replica_allowed = False
            reads.wrote = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # The replica holds the same rows as the primary: objects from both relate.
        if {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == PRIMARY  # the replica follows the primary's schema by replication


class ReplicaReadsMiddleware:
    """Marks a request's reads as lag-tolerant or not, and pins a browser that wrote."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        reads = RequestReads(replica_allowed=self.tolerates_lag(request))
        token = _request_reads.set(reads)
        try:
            response = self.get_response(request)
        finally:
            _request_reads.reset(token)
        if reads.wrote or request.method not in SAFE_METHODS:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    @staticmethod
    def tolerates_lag(request) -> bool:
        return (
            request.method in SAFE_METHODS
            and PIN_COOKIE not in request.COOKIES
            and not request.path.startswith(PRIMARY_PATHS)
        )
