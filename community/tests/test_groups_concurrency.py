"""Group capacity under real concurrency: 50 people pressing "Join" on a 10-seat group at
the same moment (many tabs, several daphne processes) end with exactly 10 members, the
others told the group is full, and `member_count` equal to the membership rows. The same
holds when joins race approvals of requests on a private group.

Needs PostgreSQL: the seat check relies on the group's row lock, which SQLite does not
have (it serialises whole transactions and would prove nothing here). CI runs it with
DATABASE_URL set.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import close_old_connections, connection

from accounts.tests.factories import UserFactory
from collaboration.models import RoomMember
from community.errors import Conflict
from community.models import JoinRequestStatus, StudyGroupJoinRequest, StudyGroupMember
from community.services import groups_membership as membership
from community.tests.factories_groups import StudyGroupFactory

pytestmark = [
    pytest.mark.skipif(
        not settings.USING_POSTGRES,
        reason="needs PostgreSQL: the seat check relies on its row locks, which SQLite "
        "does not have (CI runs it with DATABASE_URL set)",
    ),
    pytest.mark.django_db(transaction=True),
]

PEOPLE = 50
SEATS = 10


def _all_at_once(action, count: int) -> list[str]:
    """Runs action(index) in `count` threads released together, each with its own
    database connection; answers each one's outcome."""
    start = threading.Barrier(count)

    def one(index: int) -> str:
        try:
            start.wait(timeout=30)
            action(index)
            return "ok"
        except Conflict as exc:
            return "full" if "full" in exc.message else repr(exc)
        except Exception as exc:  # reported by the assertions below
            return repr(exc)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        outcomes = list(pool.map(one, range(count)))
    close_old_connections()
    return outcomes


def test_fifty_concurrent_joins_fill_ten_seats_exactly():
    group = StudyGroupFactory(max_members=SEATS)
    people = [UserFactory() for _ in range(PEOPLE)]

    outcomes = _all_at_once(
        lambda i: membership.group_join(group_id=group.pk, user=people[i]), PEOPLE
    )

    assert outcomes.count("ok") == SEATS - 1  # the owner holds the first seat
    assert outcomes.count("full") == PEOPLE - (SEATS - 1), outcomes
    group.refresh_from_db()
    rows = StudyGroupMember.objects.filter(group=group).count()
    assert group.member_count == rows == SEATS
    # The room has exactly the members: nobody who was turned away reads it.
    assert RoomMember.objects.filter(room=group.room).count() == SEATS


def test_approvals_racing_invitation_accepts_never_overfill_a_private_group():
    group = StudyGroupFactory(max_members=SEATS, is_private=True)
    askers = [UserFactory() for _ in range(PEOPLE // 2)]
    invited = [UserFactory() for _ in range(PEOPLE // 2)]
    requests = [membership.group_join(group_id=group.pk, user=u).request for u in askers]
    invitations = [
        membership.invitation_create(group_id=group.pk, user=group.owner, username=u.username)
        for u in invited
    ]

    def act(index: int) -> None:
        half = index // 2
        if index % 2:
            membership.request_approve(
                group_id=group.pk, request_id=requests[half].pk, user=group.owner
            )
        else:
            membership.group_join(group_id=group.pk, user=invitations[half].request.user)

    outcomes = _all_at_once(act, PEOPLE)

    assert set(outcomes) <= {"ok", "full"}, outcomes
    assert outcomes.count("ok") == SEATS - 1
    group.refresh_from_db()
    assert group.member_count == StudyGroupMember.objects.filter(group=group).count() == SEATS
    accepted = StudyGroupJoinRequest.objects.filter(group=group, status=JoinRequestStatus.ACCEPTED)
    assert accepted.count() == SEATS - 1  # the others are still pending, none lost
