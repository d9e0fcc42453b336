"""Factories for AMA tests: an expert, and sessions made through the service (so they have
their room and the host moderates it), moved to the state a test needs."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from community.models import AmaSession, AmaState
from community.services import amas as services


def expert(**kwargs):
    kwargs.setdefault("role", Role.EXPERT)
    return UserFactory(**kwargs)


def make_ama(
    *,
    host=None,
    state: str = AmaState.SCHEDULED,
    starts_in: timedelta = timedelta(hours=1),
    length: timedelta = timedelta(hours=1),
    documents=(),
    topic: str = "Ask me about transformers",
) -> AmaSession:
    host = host or expert()
    start = timezone.now() + starts_in
    ama = services.ama_schedule(
        host=host,
        topic=topic,
        description="I wrote the **attention** notes.",
        starts_at=start,
        ends_at=start + length,
        document_ids=[doc.pk for doc in documents],
    )
    if state in (AmaState.LIVE, AmaState.ENDED):
        services.ama_start(ama_id=ama.pk, user=host)
    if state == AmaState.ENDED:
        services.ama_end(ama_id=ama.pk, user=host)
    if state == AmaState.CANCELLED:
        services.ama_cancel(ama_id=ama.pk, user=host)
    ama.refresh_from_db()
    return ama
