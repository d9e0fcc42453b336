"""Custom Prometheus metrics, exported at /metrics next to django-prometheus' own.

Each process exports its own values; Prometheus sums them over the targets.
"""

from prometheus_client import Counter, Gauge, Histogram

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
