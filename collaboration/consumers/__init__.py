"""WebSocket consumers: `collab` (the one live socket), with `outbox` (writing frames)
and `limits` (rate limits, frame checks)."""

from .collab import DocumentConsumer

__all__ = ["DocumentConsumer"]
