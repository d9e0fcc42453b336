"""SIGTERM to a daphne process drains it (config/drain.py) before it stops, and it exits 0.

Twisted, daphne's reactor, answers SIGTERM by stopping at once: every application instance
is cancelled and every connection dropped, so clients see 1006 and edits in flight may be
cut off. Here the handler is replaced once the reactor runs (Twisted installs its own just
before): the listening ports close (the orchestrator's load balancer already stopped
sending traffic, or the process is leaving anyway), the edits already received are
committed and answered, every socket is told 1012 "service restart", requests under way
finish, and then the reactor stops as before. All of it within DRAIN_SECONDS; what is left
then is cut off as Twisted would have done. A second SIGTERM stops at once.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time

# Daphne's server module installs the asyncio reactor; it must come before Twisted's
# default reactor is imported by anything (daphne's own command imports it first too).
import daphne.server  # noqa: F401
from django.conf import settings
from twisted.internet import reactor, tcp

from collaboration.realtime.registry import Registry

from . import drain

logger = logging.getLogger(__name__)

# Shares of DRAIN_SECONDS: committing what was received, then closing the sockets; the
# rest is for requests under way and the registry's own stop.
SETTLE_SHARE = 0.5
CLOSE_SHARE = 0.8

_running: set[asyncio.Task] = set()


def install() -> None:
    """Takes SIGTERM over when the reactor runs (a no-op in processes that never run it:
    tests, management commands, other ASGI servers)."""
    reactor.callWhenRunning(_take_over_sigterm)


def _take_over_sigterm() -> None:
    signal.signal(signal.SIGTERM, _on_sigterm)


def _on_sigterm(signum, frame) -> None:
    # A signal handler only schedules: the work runs in the reactor's loop.
    reactor.callFromThread(_begin)


def _begin() -> None:
    if drain.draining():
        logger.warning("SIGTERM again while draining: stopping now")
        reactor.stop()
        return
    drain.start_draining()
    logger.warning(
        "SIGTERM: draining %d sockets and %d requests within %s s",
        drain.open_sockets(),
        drain.http_requests(),
        settings.DRAIN_SECONDS,
    )
    _stop_listening()
    task = asyncio.get_running_loop().create_task(_drain_then_stop(), name="drain")
    _running.add(task)
    task.add_done_callback(_running.discard)


def _stop_listening() -> None:
    """New connections are refused from now on (TCP and UNIX listening ports alike)."""
    for reader in reactor.getReaders():
        if isinstance(reader, tcp.Port):
            reader.stopListening()


async def _drain_then_stop() -> None:
    try:
        await drain_process(time.monotonic(), float(settings.DRAIN_SECONDS))
    except Exception:  # the process stops whatever happened
        logger.exception("the drain failed; stopping now")
    finally:
        if reactor.running:
            reactor.stop()


async def drain_process(started: float, seconds: float) -> None:
    """Settles the edits, closes the sockets (1012), waits for requests under way."""
    registry = Registry.existing()
    if registry is not None and not await registry.settle(started + seconds * SETTLE_SHARE):
        logger.warning("drain: edits still being committed after %.1f s", seconds * SETTLE_SHARE)
    drain.close_every_socket()
    all_closed = await drain.wait_until(
        lambda: drain.open_sockets() == 0, started + seconds * CLOSE_SHARE
    )
    if not all_closed:
        logger.warning("drain: %d sockets did not close in time", drain.open_sockets())
    if registry is not None:
        await registry.stop()
    if not await drain.wait_until(lambda: drain.http_requests() == 0, started + seconds):
        logger.warning("drain: %d requests cut off", drain.http_requests())
    logger.warning("drained in %.1f s", time.monotonic() - started)
