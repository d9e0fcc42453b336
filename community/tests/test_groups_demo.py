"""`manage.py seed` adds a public and a private demo group (goals, a reading list of demo
pages, members with ticks, a meetup next week), and running it again adds nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from community.models import GoalProgress, Meetup, ReadingListItem, StudyGroup

pytestmark = pytest.mark.django_db


def _seed() -> None:
    call_command("seed", stdout=StringIO(), stderr=StringIO())


def test_the_demo_has_a_public_and_a_private_group_and_seeding_twice_adds_nothing(settings):
    settings.DEBUG = True
    _seed()
    groups = {group.name: group for group in StudyGroup.objects.all()}
    public, private = groups["Transformers from scratch"], groups["RL reading circle"]
    assert not public.is_private and private.is_private
    assert public.member_count == public.members.count() == 4
    assert private.member_count == 2
    assert ReadingListItem.objects.filter(group=public).count() == 2
    assert GoalProgress.objects.filter(goal__group=public).count() == 4
    meetup = Meetup.objects.get(group=public)
    days = (meetup.starts_at - timezone.now()).days
    assert 5 <= days <= 7 and meetup.timezone == "Europe/Berlin"
    _seed()
    assert StudyGroup.objects.count() == 2
    assert Meetup.objects.count() == 2
