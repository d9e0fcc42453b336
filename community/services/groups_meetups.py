"""Meetups of a study group, and the reminders before they start.

Times come as ISO 8601: with an offset ("2026-12-10T19:00:00+01:00", "…Z"), or without
one, read as a wall-clock time in `timezone` (an IANA zone such as "Europe/Berlin"), as
the organiser sees it on their calendar. They are stored in UTC with that zone beside,
so each reader gets the time in their own zone and can see the organiser's.

Reminders: a beat task (`community.remind_meetups`, every minute) claims each meetup
starting within MEETUP_REMINDER_MINUTES with one conditional UPDATE (`reminded_at IS
NULL`): of two beats or workers running at once only one wins the row, so members are
reminded once, and the notification key (`meetup:<id>:soon`) makes a retried task
harmless too.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone as tz

from accounts.models import User

from ..errors import Conflict, InvalidInput
from ..models import GroupActivityKind, Meetup, NotificationKind, StudyGroup, StudyGroupMember
from ..tasks.notifications import notify_on_commit
from .groups import clean, clean_long, lock_group, record_activity, require_manager, require_open

TITLE_MAX_CHARS = 200
AGENDA_MAX_CHARS = 5000
LOCATION_MAX_CHARS = 300
ZONE_MAX_CHARS = 64


def clean_zone(value: object) -> str:
    if value is None or value == "":
        return "UTC"
    if not isinstance(value, str) or len(value) > ZONE_MAX_CHARS:
        raise InvalidInput("Choose a time zone such as “Europe/Berlin”.", "timezone")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"“{value[:64]}” is not a time zone we know. Use a name like “Europe/Berlin”.",
            "timezone",
        ) from None
    return value


def parse_time(value: object, zone: str, field: str) -> datetime:
    """An aware datetime in UTC from ISO 8601 text (or a datetime); a time without an
    offset is a wall-clock time in `zone`."""
    if isinstance(value, datetime):
        moment = value
    else:
        if not isinstance(value, str) or not value.strip() or len(value) > 64:
            raise InvalidInput("Give a date and time, e.g. 2026-12-10T19:00.", field)
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInput(
                "Give the date and time as ISO 8601, e.g. 2026-12-10T19:00 or "
                "2026-12-10T19:00:00+01:00.",
                field,
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    try:
        return moment.astimezone(ZoneInfo("UTC"))
    except (OverflowError, ValueError):
        raise InvalidInput("This date is out of range.", field) from None


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    if starts_at <= tz.now():
        raise InvalidInput("This time is in the past: choose a time still to come.", "starts_at")
    if ends_at <= starts_at:
        raise InvalidInput("The meetup must end after it starts.", "ends_at")


def _meetup(group: StudyGroup, meetup_id: int) -> Meetup:
    meetup = Meetup.objects.filter(group=group, pk=meetup_id).first()
    if meetup is None:
        raise Http404("The group has no such meetup.")
    return meetup


def meetup_schedule(
    *,
    group_id: int,
    user: User,
    title: object,
    starts_at: object,
    ends_at: object,
    timezone: object = "UTC",
    agenda: object = "",
    location: object = "",
) -> Meetup:
    """Schedules a meetup (owner, moderators); the feed announces it."""
    title = clean(title, "title", max_chars=TITLE_MAX_CHARS, name="title")
    agenda = clean_long(agenda, "agenda", max_chars=AGENDA_MAX_CHARS, name="agenda")
    location = clean_long(location, "location", max_chars=LOCATION_MAX_CHARS, name="location")
    zone = clean_zone(timezone)
    start = parse_time(starts_at, zone, "starts_at")
    end = parse_time(ends_at, zone, "ends_at")
    _check_times(start, end)
    with transaction.atomic():
        group = lock_group(group_id)
        require_manager(group, user)
        require_open(group)
        meetup = Meetup.objects.create(
            group=group,
            title=title,
            agenda=agenda,
            location=location,
            starts_at=start,
            ends_at=end,
            timezone=zone,
            created_by=user,
        )
        record_activity(group, GroupActivityKind.MEETUP_SCHEDULED, actor_id=user.pk, meetup=meetup)
    return meetup


_UNCHANGED = object()


def meetup_update(
    *,
    group_id: int,
    meetup_id: int,
    user: User,
    title: object = _UNCHANGED,
    starts_at: object = _UNCHANGED,
    ends_at: object = _UNCHANGED,
    timezone: object = _UNCHANGED,
    agenda: object = _UNCHANGED,
    location: object = _UNCHANGED,
) -> Meetup:
    """Edits the fields given. A new start time re-arms the reminder."""
    with transaction.atomic():
        group = lock_group(group_id)
        require_manager(group, user)
        require_open(group)
        meetup = _meetup(group, meetup_id)
        if meetup.cancelled_at is not None:
            raise Conflict("This meetup was cancelled; schedule a new one instead.")
        changed: dict[str, object] = {}
        if title is not _UNCHANGED:
            changed["title"] = clean(title, "title", max_chars=TITLE_MAX_CHARS, name="title")
        if agenda is not _UNCHANGED:
            changed["agenda"] = clean_long(
                agenda, "agenda", max_chars=AGENDA_MAX_CHARS, name="agenda"
            )
        if location is not _UNCHANGED:
            changed["location"] = clean_long(
                location, "location", max_chars=LOCATION_MAX_CHARS, name="location"
            )
        zone = meetup.timezone if timezone is _UNCHANGED else clean_zone(timezone)
        changed["timezone"] = zone
        start = (
            meetup.starts_at
            if starts_at is _UNCHANGED
            else parse_time(starts_at, zone, "starts_at")
        )
        end = meetup.ends_at if ends_at is _UNCHANGED else parse_time(ends_at, zone, "ends_at")
        if start != meetup.starts_at or end != meetup.ends_at:
            _check_times(start, end)
            changed.update(starts_at=start, ends_at=end)
            if start != meetup.starts_at:
                changed["reminded_at"] = None
        for name, value in changed.items():
            setattr(meetup, name, value)
        meetup.save(update_fields=list(changed))
    return meetup


def meetup_cancel(*, group_id: int, meetup_id: int, user: User) -> Meetup:
    with transaction.atomic():
        group = lock_group(group_id)
        require_manager(group, user)
        meetup = _meetup(group, meetup_id)
        if meetup.cancelled_at is None:
            meetup.cancelled_at = tz.now()
            meetup.save(update_fields=["cancelled_at"])
    return meetup


# --- reminders -----------------------------------------------------------------------------


def _reminder_title(meetup: Meetup) -> str:
    local = meetup.starts_at.astimezone(ZoneInfo(meetup.timezone))
    return (
        f"“{meetup.title}” ({meetup.group.name}) starts at "
        f"{local:%H:%M} {meetup.timezone} on {local:%a %d %b}"
    )


def meetups_remind(*, now: datetime | None = None) -> int:
    """Reminds the members of every meetup starting within MEETUP_REMINDER_MINUTES that
    was not reminded yet; answers how many meetups this run claimed."""
    now = now or tz.now()
    horizon = now + timedelta(minutes=settings.MEETUP_REMINDER_MINUTES)
    due = Meetup.objects.filter(
        reminded_at__isnull=True,
        cancelled_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=horizon,
        group__archived_at__isnull=True,
    ).values_list("pk", flat=True)
    claimed = 0
    for meetup_id in list(due):
        with transaction.atomic():
            # The claim: only one run sets reminded_at on this row.
            if not Meetup.objects.filter(pk=meetup_id, reminded_at__isnull=True).update(
                reminded_at=now
            ):
                continue
            meetup = Meetup.objects.select_related("group").get(pk=meetup_id)
            members = StudyGroupMember.objects.filter(group=meetup.group)
            notify_on_commit(
                recipient_ids=list(members.values_list("user_id", flat=True)),
                kind=NotificationKind.MEETUP_SOON,
                key=f"meetup:{meetup.pk}:soon",
                title=_reminder_title(meetup),
                body=meetup.location,
                url=reverse("community:group-detail", args=[meetup.group_id])
                + f"#meetup-{meetup.pk}",
                target_type="meetup",
                target_id=meetup.pk,
            )
            claimed += 1
    return claimed
