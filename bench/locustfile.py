"""HTTP load on the site (locust): pages, search, API reads and API writes.

The socket side has its own benchmarks (collab_load.py and the others in this folder);
this drives what browsers and scripts do over HTTP. Run it against running servers, set up
as bench/README.md shows (its "HTTP load" section has the command and the figures):

    LOCUST_HOSTS=http://127.0.0.1:8101,http://127.0.0.1:8102 \\
    BENCH_USERNAME=bench BENCH_PASSWORD=bench-password-123 \\
    .venv/bin/locust -f bench/locustfile.py --headless -u 40 -r 10 -t 60s --only-summary

Users are spread over the LOCUST_HOSTS round-robin, as a load balancer would. Requests are
named by endpoint group ("page: ...", "search: ...", "api read: ...", "api write: ..."); at
the end, before locust's own tables, a table per group (requests/s, p50/p95/p99, failures) is
printed. Readers are anonymous; writers sign in as BENCH_USERNAME
(they need an email address: the API signs in by email or username) and each edits a
document of their own through the REST API.
"""

from __future__ import annotations

import itertools
import os
import random
import time
import uuid
from collections import defaultdict

from locust import HttpUser, between, events, task

HOSTS = [h.strip().rstrip("/") for h in os.environ.get("LOCUST_HOSTS", "").split(",") if h.strip()]
SEARCH_TERMS = ["attention", "gradient", "transformer", "learning rate", "embedding", "loss"]
_next_host = itertools.count()
# Response times (ms) and failures per endpoint group, for the table printed at the end.
_times: dict[str, list[float]] = defaultdict(list)
_failures: dict[str, int] = defaultdict(int)
_started = time.monotonic()


@events.test_start.add_listener
def _start(**_kwargs) -> None:
    global _started
    _started = time.monotonic()


@events.request.add_listener
def _record(name: str, response_time: float, exception, **_kwargs) -> None:
    group = name.split(":")[0]
    _times[group].append(response_time)
    if exception is not None:
        _failures[group] += 1


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@events.quitting.add_listener
def _report(**_kwargs) -> None:
    seconds = time.monotonic() - _started
    print(f"\nPer endpoint group over {seconds:.0f} s:")
    print(f"{'group':<11} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'failures':>9}")
    for group, times in sorted(_times.items()):
        print(
            f"{group:<11} {len(times) / seconds:>7.1f} {_percentile(times, 50):>7.0f}"
            f" {_percentile(times, 95):>7.0f} {_percentile(times, 99):>7.0f}"
            f" {_failures[group]:>9}"
        )


class SpreadUser(HttpUser):
    """Each new user takes the next of LOCUST_HOSTS (else locust's --host)."""

    abstract = True

    def __init__(self, environment):
        if HOSTS:
            self.host = HOSTS[next(_next_host) % len(HOSTS)]
        super().__init__(environment)


class Reader(SpreadUser):
    """Someone reading: the home page, documents, their history, questions, search."""

    weight = 4
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        listed = self.client.get("/api/documents/?page_size=50", name="api read: document list")
        results = listed.json().get("results", []) if listed.ok else []
        self.slugs = [d["slug"] for d in results] or ["missing"]

    @task(4)
    def document_page(self) -> None:
        self.client.get(f"/docs/{random.choice(self.slugs)}/", name="page: document")

    @task(2)
    def home(self) -> None:
        self.client.get("/", name="page: home")

    @task(1)
    def history(self) -> None:
        self.client.get(f"/docs/{random.choice(self.slugs)}/history/", name="page: history")

    @task(1)
    def questions(self) -> None:
        self.client.get("/questions/", name="page: questions")

    @task(2)
    def search_page(self) -> None:
        self.client.get("/search/", params={"q": random.choice(SEARCH_TERMS)}, name="search: page")

    @task(2)
    def search_api(self) -> None:
        self.client.get(
            "/api/search", params={"q": random.choice(SEARCH_TERMS)}, name="search: api"
        )

    @task(3)
    def document_api(self) -> None:
        self.client.get(f"/api/documents/{random.choice(self.slugs)}/", name="api read: document")

    @task(1)
    def revisions_api(self) -> None:
        self.client.get(
            f"/api/documents/{random.choice(self.slugs)}/revisions", name="api read: revisions"
        )


class Writer(SpreadUser):
    """A script editing through the API: reads its document, appends edits, renames it."""

    weight = 1
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        signed_in = self.client.post(
            "/api/auth/login",
            json={
                "email": os.environ.get("BENCH_USERNAME", "bench"),
                "password": os.environ.get("BENCH_PASSWORD", "bench-password-123"),
            },
            name="setup: sign in",
        )
        signed_in.raise_for_status()
        self.client.headers["Authorization"] = f"Bearer {signed_in.json()['access']}"
        created = self.client.post(
            "/api/documents/",
            json={
                "title": f"Load test {uuid.uuid4().hex[:8]}",
                "content": "# Notes\n\nAttention weighs every token against the others.\n",
                "visibility": "private",
            },
            name="setup: create document",
        )
        created.raise_for_status()
        self.document = created.json()["id"]

    @task(5)
    def edit(self) -> None:
        current = self.client.get(f"/api/documents/{self.document}/", name="api read: own document")
        if not current.ok:
            return
        self.client.post(
            f"/api/documents/{self.document}/operations",
            json={
                "revision": current.json()["revision"],
                "client_op_id": uuid.uuid4().hex,
                "operation": "insert",
                "position": 0,
                "text": random.choice(SEARCH_TERMS) + " ",
            },
            name="api write: operation",
        )

    @task(1)
    def rename(self) -> None:
        self.client.patch(
            f"/api/documents/{self.document}/",
            json={"title": f"Load test {uuid.uuid4().hex[:8]}"},
            name="api write: rename",
        )
