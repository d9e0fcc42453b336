"""AMA sessions: scheduling by experts, edits and cancelling while scheduled, and the
moves scheduled → live → ended, by the host or by the beat when their time comes.

Every move happens under the session's row lock and checks the state it moves from, so
the beat and the host racing on one session make exactly one transition (the loser gets
a 409, or, for the beat, nothing to do). "Starting soon" goes out once: the task claims
the session by setting `reminded_at` where it is still empty.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from collaboration.models import Document
from collaboration.permissions import is_signed_in, readable_documents
from collaboration.services import room_archive, room_create, room_member_add

from ..errors import Conflict, InvalidInput, NotAllowed
from ..models import (
    AmaQuestion,
    AmaSession,
    AmaState,
    AmaVote,
    NotificationKind,
    Watch,
    WatchLevel,
    WatchTarget,
)
from ..tasks.notifications import notify_on_commit
from .amas_common import lock_session, post_state, require_runner

TOPIC_MIN_CHARS = 3
TOPIC_MAX_CHARS = 200
DESCRIPTION_MAX_CHARS = 5000
MAX_DURATION = timedelta(hours=24)
MAX_DOCUMENTS = 10
# How far ahead a session may be scheduled.
MAX_LEAD = timedelta(days=365)
# A start "now" typed in a form is a few seconds old when it arrives.
PAST_SLACK = timedelta(minutes=1)


def can_schedule(user) -> bool:
    return is_signed_in(user) and user.has_role(Role.EXPERT)


def ama_url(ama_id: int) -> str:
    return reverse("community:ama-detail", args=[ama_id])


# --- checks --------------------------------------------------------------------------------


def _clean_topic(topic: object) -> str:
    text = " ".join(str(topic or "").split())
    if len(text) < TOPIC_MIN_CHARS:
        raise InvalidInput(
            f"Give the session a topic of at least {TOPIC_MIN_CHARS} characters.", field="topic"
        )
    if len(text) > TOPIC_MAX_CHARS:
        raise InvalidInput(f"Keep the topic under {TOPIC_MAX_CHARS} characters.", field="topic")
    return text


def _clean_description(description: object) -> str:
    text = str(description or "").strip()
    if len(text) > DESCRIPTION_MAX_CHARS:
        raise InvalidInput(
            f"Keep the description under {DESCRIPTION_MAX_CHARS} characters.",
            field="description",
        )
    return text


def _clean_times(starts_at: datetime, ends_at: datetime, *, check_past: bool) -> None:
    for field, moment in (("start", starts_at), ("end", ends_at)):
        if not isinstance(moment, datetime) or timezone.is_naive(moment):
            raise InvalidInput("Give a date and time with its time zone.", field=field)
    now = timezone.now()
    if check_past and starts_at < now - PAST_SLACK:
        raise InvalidInput("The start is in the past: pick a time from now on.", field="start")
    if starts_at > now + MAX_LEAD:
        raise InvalidInput("Schedule sessions at most a year ahead.", field="start")
    if ends_at <= starts_at:
        raise InvalidInput("The end must come after the start.", field="end")
    if ends_at - starts_at > MAX_DURATION:
        raise InvalidInput("A session lasts at most 24 hours.", field="end")


def _readable_documents(user: User, document_ids: Iterable[int]) -> list[Document]:
    ids = list(dict.fromkeys(int(pk) for pk in document_ids))
    if len(ids) > MAX_DOCUMENTS:
        raise InvalidInput(f"Link at most {MAX_DOCUMENTS} documents.", field="document_ids")
    found = {doc.pk: doc for doc in readable_documents(user).filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise InvalidInput(
            f"No document you can read has the id {missing[0]}.", field="document_ids"
        )
    return [found[pk] for pk in ids]


# --- scheduling ----------------------------------------------------------------------------


def ama_schedule(
    *,
    host: User,
    topic: object,
    description: object = "",
    starts_at: datetime,
    ends_at: datetime,
    document_ids: Iterable[int] = (),
) -> AmaSession:
    """A new scheduled session with its public chat room, the host moderating it."""
    if not can_schedule(host):
        raise NotAllowed("Only experts can host an AMA. Ask a moderator for the expert role.")
    topic = _clean_topic(topic)
    description = _clean_description(description)
    _clean_times(starts_at, ends_at, check_past=True)
    documents = _readable_documents(host, document_ids)
    with transaction.atomic():
        room = room_create(kind="ama", title=f"AMA: {topic}", is_public=True, created_by=host)
        room_member_add(room=room, user=host, is_moderator=True)
        ama = AmaSession.objects.create(
            host=host,
            topic=topic,
            description=description,
            starts_at=starts_at,
            ends_at=ends_at,
            room=room,
        )
        ama.documents.set(documents)
    return ama


def ama_update(
    *,
    ama_id: int,
    user: User,
    topic: object | None = None,
    description: object | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    document_ids: Iterable[int] | None = None,
) -> AmaSession:
    """Changes what is given, while the session is still scheduled (host, moderators)."""
    with transaction.atomic():
        ama = lock_session(ama_id)
        require_runner(user, ama, "change this session")
        if ama.state != AmaState.SCHEDULED:
            raise Conflict("The session has started: it can no longer be changed.")
        if topic is not None:
            ama.topic = _clean_topic(topic)
        if description is not None:
            ama.description = _clean_description(description)
        times_changed = (starts_at is not None and starts_at != ama.starts_at) or (
            ends_at is not None and ends_at != ama.ends_at
        )
        new_start = starts_at or ama.starts_at
        _clean_times(new_start, ends_at or ama.ends_at, check_past=new_start != ama.starts_at)
        ama.starts_at = new_start
        ama.ends_at = ends_at or ama.ends_at
        if times_changed and ama.starts_at > timezone.now() + _reminder_lead():
            ama.reminded_at = None  # moved later: remind again before the new start
        ama.save()
        if document_ids is not None:
            ama.documents.set(_readable_documents(user, document_ids))
        post_state(ama)
    return ama


def ama_cancel(*, ama_id: int, user: User) -> AmaSession:
    with transaction.atomic():
        ama = lock_session(ama_id)
        require_runner(user, ama, "cancel this session")
        if ama.state != AmaState.SCHEDULED:
            raise Conflict("Only a session that has not started can be cancelled.")
        ama.state = AmaState.CANCELLED
        ama.save(update_fields=["state"])
        if ama.room is not None:
            room_archive(room=ama.room)
        post_state(ama)
    return ama


def ama_follow(*, ama_id: int, user: User, follow: bool = True) -> AmaSession:
    """ "Remind me": the person is told when the session starts soon."""
    if not is_signed_in(user):
        raise NotAllowed("Sign in to be reminded.")
    ama = AmaSession.objects.get(pk=ama_id)
    if follow:
        ama.followers.add(user)
    else:
        ama.followers.remove(user)
    return ama


# --- moving on -----------------------------------------------------------------------------


def _start(ama: AmaSession, now: datetime) -> None:
    ama.state = AmaState.LIVE
    ama.started_at = now
    ama.save(update_fields=["state", "started_at"])
    post_state(ama)


def _end(ama: AmaSession, now: datetime) -> None:
    ama.state = AmaState.ENDED
    ama.ended_at = now
    ama.answering_now = None
    ama.save(update_fields=["state", "ended_at", "answering_now"])
    if ama.room is not None:
        room_archive(room=ama.room)  # the chat stays readable, closed for new messages
    post_state(ama)


def ama_start(*, ama_id: int, user: User) -> AmaSession:
    """The host opens the session (earlier than planned if they like)."""
    with transaction.atomic():
        ama = lock_session(ama_id)
        if not is_signed_in(user) or user.pk != ama.host_id:
            raise NotAllowed("Only the host can start the session.")
        if ama.state != AmaState.SCHEDULED:
            raise Conflict(f"The session is {ama.get_state_display().lower()}: it cannot start.")
        _start(ama, timezone.now())
    return ama


def ama_end(*, ama_id: int, user: User) -> AmaSession:
    """The host (or a moderator) closes a live session; questions stop, the archive opens."""
    with transaction.atomic():
        ama = lock_session(ama_id)
        require_runner(user, ama, "end the session")
        if ama.state != AmaState.LIVE:
            raise Conflict("Only a live session can end. Cancel one that has not started.")
        _end(ama, timezone.now())
    return ama


def ama_advance(*, ama_id: int, now: datetime | None = None) -> str | None:
    """The beat's move for one session, if its time has come: the state it moved to."""
    now = now or timezone.now()
    with transaction.atomic():
        ama = lock_session(ama_id)
        moved = None
        if ama.state == AmaState.SCHEDULED and ama.starts_at <= now:
            _start(ama, now)
            moved = AmaState.LIVE
        if ama.state == AmaState.LIVE and ama.ends_at <= now:
            _end(ama, now)
            moved = AmaState.ENDED
    return moved


def amas_advance_due(*, now: datetime | None = None) -> int:
    """Every session whose start or end has come moves (idempotent; the beat's task)."""
    now = now or timezone.now()
    due = AmaSession.objects.filter(
        Q(state=AmaState.SCHEDULED, starts_at__lte=now) | Q(state=AmaState.LIVE, ends_at__lte=now)
    ).values_list("pk", flat=True)
    return sum(1 for ama_id in list(due) if ama_advance(ama_id=ama_id, now=now))


# --- "starting soon" -----------------------------------------------------------------------


def _reminder_lead() -> timedelta:
    return timedelta(minutes=settings.AMA_REMINDER_MINUTES)


def ama_follower_ids(ama: AmaSession) -> set[int]:
    """Who hears that it starts soon: the host, "Remind me", askers, voters, and the
    people watching a linked document."""
    ids = {ama.host_id}
    ids |= set(ama.followers.values_list("pk", flat=True))
    ids |= set(
        AmaQuestion.objects.filter(session=ama, author__isnull=False).values_list(
            "author_id", flat=True
        )
    )
    ids |= set(AmaVote.objects.filter(question__session=ama).values_list("user_id", flat=True))
    ids |= set(
        Watch.objects.filter(
            target_type=WatchTarget.DOCUMENT,
            level=WatchLevel.WATCHING,
            document__in=ama.documents.all(),
        ).values_list("user_id", flat=True)
    )
    return ids


def ama_remind(*, ama_id: int, now: datetime | None = None) -> bool:
    """Claims the session's reminder and notifies its followers; False if already sent."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = AmaSession.objects.filter(
            pk=ama_id, state=AmaState.SCHEDULED, reminded_at__isnull=True
        ).update(reminded_at=now)
        if not claimed:
            return False
        ama = AmaSession.objects.select_related("host").get(pk=ama_id)
        notify_on_commit(
            recipient_ids=sorted(ama_follower_ids(ama)),
            kind=NotificationKind.AMA_SOON,
            key=f"ama:{ama.pk}:soon:{ama.starts_at.isoformat()}",
            title=f"AMA starting soon: {ama.topic}",
            body=f"Hosted by {ama.host.username}. Bring your questions.",
            url=ama_url(ama.pk),
            actor_id=ama.host_id,
            target_type="ama",
            target_id=ama.pk,
        )
    return True


def amas_remind_due(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    due = AmaSession.objects.filter(
        state=AmaState.SCHEDULED,
        reminded_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + _reminder_lead(),
    ).values_list("pk", flat=True)
    return sum(1 for ama_id in list(due) if ama_remind(ama_id=ama_id, now=now))
