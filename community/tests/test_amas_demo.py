"""`manage.py seed` adds Eve's past AMA (answered questions, two answers in the attention
page's FAQ) and an upcoming one; running it again adds nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from community.models import AmaQuestionStatus, AmaSession, AmaState, FaqEntry

pytestmark = pytest.mark.django_db


def _seed() -> None:
    call_command("seed", stdout=StringIO(), stderr=StringIO())


def test_the_demo_has_a_past_and_an_upcoming_ama_and_seeding_twice_adds_nothing(settings, client):
    settings.DEBUG = True
    _seed()
    past = AmaSession.objects.get(state=AmaState.ENDED)
    upcoming = AmaSession.objects.get(state=AmaState.SCHEDULED)
    assert past.host.username == upcoming.host.username == "eve"
    assert past.ends_at < timezone.now() < upcoming.starts_at
    answered = past.questions.filter(status=AmaQuestionStatus.ANSWERED)
    assert answered.count() == 2
    entries = FaqEntry.objects.filter(document__slug="attention-and-transformers")
    assert entries.count() == 2
    page = client.get(f"/amas/{past.pk}/").content.decode()
    assert "Archive" in page and "√d_k" in page
    _seed()
    assert AmaSession.objects.count() == 2 and FaqEntry.objects.count() == 2
