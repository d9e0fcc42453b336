"""Room writes under real concurrency (PostgreSQL): posts, edits and deletions from many
threads at once. A reader that keeps asking for "everything after the last id I saw", as
a reconnecting socket does, ends up with every log entry exactly once and in order, and
a deleted message takes no edit after its deletion.

Needs PostgreSQL: the room's row lock is what orders the log; SQLite serialises whole
transactions and would prove nothing here.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import close_old_connections, connection

from accounts.tests.factories import UserFactory
from collaboration import services
from collaboration.models import RoomEntryKind, RoomMessage
from collaboration.selectors.live import room_backlog

pytestmark = [
    pytest.mark.skipif(
        not settings.USING_POSTGRES,
        reason="needs PostgreSQL: the room log relies on its row locks, which SQLite does "
        "not have (CI runs it with DATABASE_URL set)",
    ),
    pytest.mark.django_db(transaction=True),
]

WRITERS = 12
ROUNDS = 5


def test_a_reader_resuming_by_id_misses_nothing_while_many_write():
    authors = [UserFactory() for _ in range(WRITERS)]
    room = services.room_create(kind="study_group", title="Busy", members=authors)
    target = services.room_message_post(room_id=room.pk, user=authors[0], message="edit me")
    start = threading.Barrier(WRITERS + 1)
    done = threading.Event()

    def write(index: int) -> str:
        user = authors[index]
        try:
            start.wait(timeout=30)
            for round_ in range(ROUNDS):
                mine = services.room_message_post(room_id=room.pk, user=user, message=f"{index}")
                services.room_message_edit(
                    room_id=room.pk, message_id=mine.pk, user=user, message=f"{index}/{round_}"
                )
                if index == 0:
                    services.room_message_edit(
                        room_id=room.pk, message_id=target.pk, user=user, message=f"v{round_}"
                    )
                if round_ == ROUNDS - 1:
                    services.room_message_delete(room_id=room.pk, message_id=mine.pk, user=user)
            return "ok"
        except Exception as exc:  # reported by the assertion below
            return repr(exc)
        finally:
            connection.close()

    def read() -> list[int]:
        seen, last = [], 0
        try:
            start.wait(timeout=30)
            while True:
                finished = done.is_set()  # read once more after the writers ended
                frames = room_backlog(room_id=room.pk, after=last)
                seen += [frame["id"] for frame in frames]
                last = seen[-1] if seen else last
                if finished and not frames:
                    return seen
                time.sleep(0.005)  # a polling client, not a busy loop
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=WRITERS + 1) as pool:
        reader = pool.submit(read)
        outcomes = list(pool.map(write, range(WRITERS)))
        done.set()
        seen = reader.result(timeout=60)
    close_old_connections()

    assert outcomes == ["ok"] * WRITERS
    log = list(RoomMessage.objects.filter(room=room).order_by("pk").values_list("pk", flat=True))
    assert seen == log  # every entry once, in id order: nothing committed behind the reader
    kinds = list(RoomMessage.objects.filter(room=room).values_list("kind", flat=True))
    assert kinds.count(RoomEntryKind.MESSAGE) == 1 + WRITERS * ROUNDS
    assert kinds.count(RoomEntryKind.EDIT) == WRITERS * ROUNDS + ROUNDS
    assert kinds.count(RoomEntryKind.DELETE) == WRITERS
    target.refresh_from_db()
    assert target.message == f"v{ROUNDS - 1}"


def test_an_edit_racing_a_deletion_never_lands_after_it():
    author, moderator = UserFactory(), UserFactory()
    room = services.room_create(kind="study_group", title="Race", members=[author, moderator])
    services.room_member_add(room, moderator, is_moderator=True)
    messages = [
        services.room_message_post(room_id=room.pk, user=author, message=f"m{n}")
        for n in range(WRITERS)
    ]
    start = threading.Barrier(2 * WRITERS)

    def act(index: int) -> str:
        message = messages[index % WRITERS]
        try:
            start.wait(timeout=30)
            if index < WRITERS:
                services.room_message_edit(
                    room_id=room.pk, message_id=message.pk, user=author, message="changed"
                )
            else:
                services.room_message_delete(room_id=room.pk, message_id=message.pk, user=moderator)
            return "ok"
        except RoomMessage.DoesNotExist:
            return "already deleted"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2 * WRITERS) as pool:
        outcomes = list(pool.map(act, range(2 * WRITERS)))
    close_old_connections()

    assert set(outcomes) <= {"ok", "already deleted"}
    assert outcomes[WRITERS:] == ["ok"] * WRITERS  # every deletion went through
    for message in messages:
        changes = list(
            RoomMessage.objects.filter(target=message).order_by("pk").values_list("kind", flat=True)
        )
        assert changes[-1] == RoomEntryKind.DELETE and changes.count(RoomEntryKind.DELETE) == 1
        assert len(changes) <= 2
