"""Periodic housekeeping for accounts."""

from celery import shared_task

from .lockout import login_throttle_prune


@shared_task(name="accounts.prune_login_throttles", serializer="json")
def prune_login_throttles_task() -> int:
    """Deletes sign-in counters whose window and lock-out are both over."""
    return login_throttle_prune()
