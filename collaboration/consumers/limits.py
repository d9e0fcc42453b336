"""Rate limits and small checks for frames from clients."""

from __future__ import annotations

import time
from typing import Any


class TokenBucket:
    """Allows `rate` events per second on average, bursts up to `rate`."""

    def __init__(self, rate: float):
        self.rate = float(rate)
        self.tokens = float(rate)
        self.updated = time.monotonic()

    def take(self) -> int:
        """0 if allowed, else milliseconds until the next event would be."""
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0
        return max(1, int((1 - self.tokens) / self.rate * 1000))


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def op_id_of(text: str | None, max_chars: int) -> dict:
    """Best effort for oversized edits: their client_op_id, without parsing it all."""
    if not text:
        return {}
    head = text[:400]
    marker = '"client_op_id"'
    at = head.find(marker)
    if at < 0:
        return {}
    rest = head[at + len(marker) :].lstrip(" :")
    if rest.startswith('"'):
        end = rest.find('"', 1)
        if 0 < end <= max_chars + 1:
            return {"client_op_id": rest[1:end]}
    return {}
