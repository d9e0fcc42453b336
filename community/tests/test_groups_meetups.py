"""Meetups: times entered in the organiser's zone are stored in UTC and shown in each
reader's; bad or past times are refused; members are reminded once before the start,
however often the reminder task runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from community.errors import Conflict, InvalidInput, NotAllowed
from community.models import Meetup, Notification, NotificationKind
from community.services import groups_meetups as meetups
from community.services import groups_membership as membership
from community.tasks.groups import remind_meetups
from community.tests.factories_groups import StudyGroupFactory

pytestmark = pytest.mark.django_db

NEXT_YEAR = timezone.now().year + 1


@pytest.fixture
def group():
    group = StudyGroupFactory()
    membership.group_join(group_id=group.pk, user=UserFactory(username="lena"))
    return group


def schedule(group, **fields) -> Meetup:
    wanted = {
        "title": "Week 1",
        "starts_at": f"{NEXT_YEAR}-01-15T19:00",
        "ends_at": f"{NEXT_YEAR}-01-15T20:30",
        "timezone": "Europe/Berlin",
        **fields,
    }
    return meetups.meetup_schedule(group_id=group.pk, user=group.owner, **wanted)


def test_a_local_winter_time_in_berlin_is_stored_an_hour_earlier_in_utc(group):
    meetup = schedule(group)
    meetup.refresh_from_db()
    assert meetup.starts_at == datetime(NEXT_YEAR, 1, 15, 18, 0, tzinfo=UTC)
    assert meetup.ends_at == datetime(NEXT_YEAR, 1, 15, 19, 30, tzinfo=UTC)
    assert meetup.timezone == "Europe/Berlin"


def test_summer_time_and_explicit_offsets(group):
    summer = schedule(
        group, starts_at=f"{NEXT_YEAR}-07-15T19:00", ends_at=f"{NEXT_YEAR}-07-15T20:00"
    )
    assert summer.starts_at == datetime(NEXT_YEAR, 7, 15, 17, 0, tzinfo=UTC)
    # An offset wins over the zone (the zone stays, for showing the organiser's time).
    offset = schedule(
        group, starts_at=f"{NEXT_YEAR}-03-01T09:00:00-05:00", ends_at=f"{NEXT_YEAR}-03-01T15:00Z"
    )
    assert offset.starts_at == datetime(NEXT_YEAR, 3, 1, 14, 0, tzinfo=UTC)
    assert offset.ends_at == datetime(NEXT_YEAR, 3, 1, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"starts_at": "next thursday"}, "starts_at"),
        ({"starts_at": "2001-01-01T10:00", "ends_at": "2001-01-01T11:00"}, "starts_at"),
        ({"ends_at": f"{NEXT_YEAR}-01-15T18:00"}, "ends_at"),
        ({"ends_at": f"{NEXT_YEAR}-01-15T19:00"}, "ends_at"),
        ({"title": "  "}, "title"),
        ({"starts_at": "9999-12-31T23:30-05:00"}, "starts_at"),
    ],
)
def test_bad_times_are_refused_naming_the_field(group, fields, field):
    with pytest.raises(InvalidInput) as refused:
        schedule(group, **fields)
    assert refused.value.field == field
    assert not Meetup.objects.exists()


def test_only_owner_and_moderators_schedule(group):
    lena = group.members.get(user__username="lena").user
    with pytest.raises(NotAllowed):
        meetups.meetup_schedule(
            group_id=group.pk,
            user=lena,
            title="Mine",
            starts_at=f"{NEXT_YEAR}-01-15T19:00",
            ends_at=f"{NEXT_YEAR}-01-15T20:00",
        )


def test_editing_and_cancelling(group):
    meetup = schedule(group)
    meetups.meetup_update(
        group_id=group.pk,
        meetup_id=meetup.pk,
        user=group.owner,
        starts_at=f"{NEXT_YEAR}-01-15T18:00",
    )
    meetup.refresh_from_db()
    assert meetup.starts_at == datetime(NEXT_YEAR, 1, 15, 17, 0, tzinfo=UTC)
    meetups.meetup_cancel(group_id=group.pk, meetup_id=meetup.pk, user=group.owner)
    with pytest.raises(Conflict):
        meetups.meetup_update(group_id=group.pk, meetup_id=meetup.pk, user=group.owner, title="x")


def _soon(group, minutes: int) -> Meetup:
    start = timezone.now() + timedelta(minutes=minutes)
    return schedule(
        group, starts_at=start.isoformat(), ends_at=(start + timedelta(hours=1)).isoformat()
    )


def test_members_are_reminded_once_however_often_the_task_runs(
    group, eager_tasks, django_capture_on_commit_callbacks, settings
):
    settings.MEETUP_REMINDER_MINUTES = 60
    soon = _soon(group, 30)
    later = _soon(group, 180)
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_meetups.delay().get() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_meetups.delay().get() == 0
    reminders = Notification.objects.filter(kind=NotificationKind.MEETUP_SOON)
    assert sorted(reminders.values_list("recipient__username", flat=True)) == sorted(
        [group.owner.username, "lena"]
    )
    assert all(soon.title in n.title and "Europe/Berlin" in n.title for n in reminders)
    assert reminders.first().url == f"/groups/{group.pk}/#meetup-{soon.pk}"
    later.refresh_from_db()
    assert later.reminded_at is None


def test_a_cancelled_meetup_sends_no_reminder_and_a_moved_one_is_reminded_again(group, settings):
    settings.MEETUP_REMINDER_MINUTES = 60
    cancelled = _soon(group, 20)
    meetups.meetup_cancel(group_id=group.pk, meetup_id=cancelled.pk, user=group.owner)
    moved = _soon(group, 30)
    assert meetups.meetups_remind() == 1
    later = (timezone.now() + timedelta(minutes=45)).isoformat()
    meetups.meetup_update(
        group_id=group.pk, meetup_id=moved.pk, user=group.owner, starts_at=later,
        ends_at=(timezone.now() + timedelta(hours=3)).isoformat(),
    )  # fmt: skip
    assert meetups.meetups_remind() == 1
