"""AMA sessions' life: only experts schedule, times are checked, and a session moves
scheduled → live → ended by its host or by the beat at its times, exactly once each, with
a frame in its room for every move and one "starting soon" notification per follower."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration.models import RoomMember, Visibility
from collaboration.selectors.live import room_backlog
from collaboration.tests.factories import DocumentFactory
from community.errors import Conflict, InvalidInput, NotAllowed
from community.models import (
    AmaSession,
    AmaState,
    Notification,
    NotificationKind,
    Watch,
    WatchLevel,
    WatchTarget,
)
from community.services import amas as services
from community.services import amas_questions as questions
from community.tasks.amas import advance_amas
from community.tests.factories_amas import expert, make_ama

pytestmark = pytest.mark.django_db


def _times(starts_in=timedelta(hours=1), length=timedelta(hours=1)):
    start = timezone.now() + starts_in
    return {"starts_at": start, "ends_at": start + length}


def _state_frames(ama: AmaSession) -> list[str]:
    return [
        f["state"] for f in room_backlog(room_id=ama.room_id, after=0) if f["type"] == "ama_state"
    ]


# --- scheduling ----------------------------------------------------------------------------


def test_an_expert_schedules_a_session_with_a_public_room_they_moderate():
    host = expert()
    document = DocumentFactory(owner=host)
    ama = services.ama_schedule(
        host=host, topic="  Attention   explained ", document_ids=[document.pk], **_times()
    )
    assert ama.state == AmaState.SCHEDULED
    assert ama.topic == "Attention explained"
    assert list(ama.documents.all()) == [document]
    assert ama.room.is_public and ama.room.kind == "ama"
    assert RoomMember.objects.get(room=ama.room, user=host).is_moderator


@pytest.mark.parametrize("role", [Role.LEARNER, Role.CONTRIBUTOR, Role.REVIEWER])
def test_only_experts_schedule(role):
    with pytest.raises(NotAllowed, match="Only experts"):
        services.ama_schedule(host=UserFactory(role=role), topic="My AMA", **_times())
    assert not AmaSession.objects.exists()


def test_moderators_count_as_experts():
    ama = services.ama_schedule(host=UserFactory(role=Role.MODERATOR), topic="Mods", **_times())
    assert ama.pk


@pytest.mark.parametrize(
    ("times", "field", "words"),
    [
        ({"starts_in": timedelta(hours=-1)}, "start", "in the past"),
        ({"length": timedelta(0)}, "end", "after the start"),
        ({"length": timedelta(hours=-2)}, "end", "after the start"),
        ({"length": timedelta(hours=25)}, "end", "24 hours"),
        ({"starts_in": timedelta(days=400)}, "start", "a year"),
    ],
)
def test_bad_times_are_refused_and_change_nothing(times, field, words):
    with pytest.raises(InvalidInput, match=words) as refused:
        services.ama_schedule(host=expert(), topic="Timing", **_times(**times))
    assert refused.value.field == field
    assert not AmaSession.objects.exists()


def test_a_document_the_host_cannot_read_is_refused():
    secret = DocumentFactory(visibility=Visibility.PRIVATE)
    with pytest.raises(InvalidInput) as refused:
        services.ama_schedule(host=expert(), topic="Secrets", document_ids=[secret.pk], **_times())
    assert refused.value.field == "document_ids"
    assert not AmaSession.objects.exists()


def test_the_host_changes_a_scheduled_session_but_not_a_live_one():
    ama = make_ama()
    new_start = timezone.now() + timedelta(hours=3)
    services.ama_update(
        ama_id=ama.pk,
        user=ama.host,
        topic="New topic",
        starts_at=new_start,
        ends_at=new_start + timedelta(hours=2),
    )
    ama.refresh_from_db()
    assert ama.topic == "New topic" and ama.starts_at == new_start
    with pytest.raises(NotAllowed):
        services.ama_update(ama_id=ama.pk, user=UserFactory(), topic="Mine now")
    services.ama_start(ama_id=ama.pk, user=ama.host)
    with pytest.raises(Conflict, match="started"):
        services.ama_update(ama_id=ama.pk, user=ama.host, topic="Too late")


def test_cancel_closes_the_room_and_only_while_scheduled():
    ama = make_ama()
    services.ama_cancel(ama_id=ama.pk, user=UserFactory(role=Role.MODERATOR))
    ama.refresh_from_db()
    assert ama.state == AmaState.CANCELLED and ama.room.archived_at is not None
    with pytest.raises(Conflict):
        services.ama_cancel(ama_id=ama.pk, user=ama.host)
    with pytest.raises(Conflict):
        services.ama_start(ama_id=ama.pk, user=ama.host)


# --- moving on -----------------------------------------------------------------------------


def test_the_host_starts_and_ends_and_each_move_is_a_room_frame():
    ama = make_ama()
    with pytest.raises(NotAllowed, match="Only the host"):
        services.ama_start(ama_id=ama.pk, user=UserFactory(role=Role.MODERATOR))
    services.ama_start(ama_id=ama.pk, user=ama.host)
    with pytest.raises(Conflict):
        services.ama_start(ama_id=ama.pk, user=ama.host)
    services.ama_end(ama_id=ama.pk, user=ama.host)
    ama.refresh_from_db()
    assert ama.state == AmaState.ENDED and ama.started_at and ama.ended_at
    assert ama.room.archived_at is not None  # chat closed, still readable
    assert _state_frames(ama) == ["live", "ended"]
    with pytest.raises(Conflict):
        services.ama_end(ama_id=ama.pk, user=ama.host)


def test_the_beat_moves_sessions_at_their_times_once():
    ama = make_ama(starts_in=timedelta(minutes=10), length=timedelta(minutes=30))
    other = make_ama(starts_in=timedelta(hours=5))
    now = timezone.now()

    assert services.amas_advance_due(now=now) == 0
    assert services.amas_advance_due(now=now + timedelta(minutes=11)) == 1
    assert services.amas_advance_due(now=now + timedelta(minutes=12)) == 0  # idempotent
    ama.refresh_from_db()
    assert ama.state == AmaState.LIVE
    assert services.amas_advance_due(now=now + timedelta(minutes=41)) == 1
    ama.refresh_from_db()
    other.refresh_from_db()
    assert ama.state == AmaState.ENDED and other.state == AmaState.SCHEDULED
    assert _state_frames(ama) == ["live", "ended"]


def test_a_session_the_beat_missed_entirely_still_goes_live_then_ends():
    ama = make_ama(starts_in=timedelta(minutes=1), length=timedelta(minutes=5))
    services.amas_advance_due(now=timezone.now() + timedelta(hours=1))
    ama.refresh_from_db()
    assert ama.state == AmaState.ENDED
    assert _state_frames(ama) == ["live", "ended"]


def test_beat_and_host_never_double_a_transition():
    ama = make_ama(starts_in=timedelta(minutes=1))
    services.ama_start(ama_id=ama.pk, user=ama.host)  # the host was first
    later = timezone.now() + timedelta(minutes=2)
    assert services.ama_advance(ama_id=ama.pk, now=later) is None
    services.ama_end(ama_id=ama.pk, user=ama.host)  # ended early by the host
    assert services.ama_advance(ama_id=ama.pk, now=later + timedelta(hours=2)) is None
    assert _state_frames(ama) == ["live", "ended"]


def test_the_beat_task_runs_the_clock(eager_tasks):
    ama = make_ama(starts_in=timedelta(seconds=1), length=timedelta(minutes=5))
    AmaSession.objects.filter(pk=ama.pk).update(starts_at=timezone.now() - timedelta(seconds=1))
    advance_amas.delay()
    ama.refresh_from_db()
    assert ama.state == AmaState.LIVE


# --- "starting soon" -----------------------------------------------------------------------


def test_followers_are_reminded_once(eager_tasks, django_capture_on_commit_callbacks):
    document = DocumentFactory()
    ama = make_ama(starts_in=timedelta(minutes=20), documents=[document])
    asker, voter, watcher, follower, bystander = UserFactory.create_batch(5)
    question = questions.question_ask(ama_id=ama.pk, author=asker, content="Why?")
    questions.question_vote(ama_id=ama.pk, question_id=question.pk, user=voter, value=1)
    Watch.objects.create(
        user=watcher,
        target_type=WatchTarget.DOCUMENT,
        document=document,
        level=WatchLevel.WATCHING,
    )
    Watch.objects.create(
        user=bystander,
        target_type=WatchTarget.DOCUMENT,
        document=document,
        level=WatchLevel.MUTED,
    )
    services.ama_follow(ama_id=ama.pk, user=follower)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.amas_remind_due() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert services.amas_remind_due() == 0  # claimed: never twice

    told = set(
        Notification.objects.filter(kind=NotificationKind.AMA_SOON).values_list(
            "recipient_id", flat=True
        )
    )
    assert {asker.pk, voter.pk, watcher.pk, follower.pk} <= told
    assert bystander.pk not in told
    assert Notification.objects.filter(kind=NotificationKind.AMA_SOON, recipient=asker).count() == 1


def test_no_reminder_too_early():
    make_ama(starts_in=timedelta(hours=3))
    assert services.amas_remind_due() == 0
