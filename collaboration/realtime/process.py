"""The registry serving this process's sockets, for code running outside its event loop.

Services, views and tasks run in threads (or other processes); when this process also
serves sockets, what they publish must reach those sockets too, and pages read presence
from it when there is no Redis. The registry announces itself here when it starts.
"""

from __future__ import annotations

import asyncio
from typing import Protocol


class Serving(Protocol):
    loop: asyncio.AbstractEventLoop

    def dispatch(self, kind: str, object_id: int, message: dict) -> None: ...

    def local_presence_infos(self, document_id: int) -> list[dict]: ...


_serving: list[Serving] = []


def announce(registry: Serving) -> None:
    if registry not in _serving:
        _serving.append(registry)


def withdraw(registry: Serving) -> None:
    if registry in _serving:
        _serving.remove(registry)


def serving() -> Serving | None:
    """The registry whose loop is running in this process, if any."""
    for registry in reversed(_serving):
        if registry.loop.is_running() and not registry.loop.is_closed():
            return registry
    return None
