"""Celery tasks of the community app, one module per concern: thin wrappers that take ids
and call a service. Celery's autodiscovery imports this package; every task module is
imported here."""

from .badges import award_badges
from .notifications import notify

__all__ = ["award_badges", "notify"]
