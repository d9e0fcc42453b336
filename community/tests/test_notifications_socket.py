"""Notifications live on the user's topic, and a tab that reconnects with `user_since`
gets what it missed: nothing lost, nothing twice."""

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction

from collaboration.tests.conftest import registry_cleanup  # noqa: F401  (a fixture)
from collaboration.tests.live_client import Client, make_user, token_for
from community.services.notifications import notify

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("registry_cleanup"),
]


@sync_to_async
def notify_now(user, key: str) -> int:
    with transaction.atomic():
        (note,) = notify(recipient_ids=[user.pk], kind="badge", key=key, title=key, url="/")
    return note.pk


async def open_socket(user, **extra) -> tuple[Client, dict]:
    client = await Client.open()
    await client.send({"type": "authenticate", "token": token_for(user), **extra})
    return client, await client.recv_type("authenticated")


async def test_a_live_frame_has_the_id_the_api_lists_and_the_unread_count():
    user = await make_user()
    client, _ = await open_socket(user)
    note_id = await notify_now(user, "first")
    frame = await client.recv_type("notification")
    assert (frame["id"], frame["title"], frame["unread_count"]) == (note_id, "first", 1)
    assert frame["topic"] == f"user:{user.pk}" and frame["read"] is False
    await client.close()


async def test_reconnecting_with_user_since_gets_the_missed_ones_once_then_live():
    user = await make_user()
    client, _ = await open_socket(user)
    seen = await notify_now(user, "seen")
    assert (await client.recv_type("notification"))["id"] == seen
    await client.close()
    missed = [await notify_now(user, f"missed {i}") for i in range(3)]
    client, answer = await open_socket(user, user_since=seen)
    assert answer["user_backlog_complete"] is True
    got = [(await client.recv_type("notification"))["id"] for _ in missed]
    assert got == missed
    live = await notify_now(user, "live")
    frame = await client.recv_type("notification")
    assert frame["id"] == live and frame["unread_count"] == 5
    await client.close()
