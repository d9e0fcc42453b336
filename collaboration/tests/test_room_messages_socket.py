"""Editing and deleting room messages over the socket, and a client that reconnects with
`since` getting the messages, edits and deletions it missed: once each, in order."""

import pytest
from asgiref.sync import sync_to_async

from accounts.tests.factories import UserFactory
from collaboration import services
from collaboration.services.rooms import room_message_delete, room_message_edit
from collaboration.tests.live_client import Client, token_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("registry_cleanup"),
]


@sync_to_async
def setup_room(moderator=False):
    ada, lin = UserFactory(username="ada"), UserFactory(username="lin")
    room = services.room_create(kind="study_group", title="Attention", members=[ada, lin])
    if moderator:
        services.room_member_add(room, lin, is_moderator=True)
    return ada, lin, room


async def subscribed(user, room, since=None) -> Client:
    client = await Client.open()
    await client.send({"type": "authenticate", "token": token_for(user)})
    await client.recv_type("authenticated")
    frame = {"type": "subscribe", "room": room.pk}
    if since is not None:
        frame["since"] = since
    await client.send(frame)
    answer = await client.recv_type("subscribed")
    assert answer["room"] == room.pk
    return client


async def test_a_reconnecting_client_replays_what_it_missed_once_and_in_order():
    ada, lin, room = await setup_room()
    post = sync_to_async(services.room_message_post)
    a = await subscribed(ada, room)
    b = await subscribed(lin, room)
    await a.send({"type": "room_message", "room": room.pk, "message": "first"})
    seen = await b.recv_type("room_message")
    assert seen["html"] == "<p>first</p>\n" and seen["deleted"] is False
    await b.close()  # lin's connection drops

    second = await post(room_id=room.pk, user=ada, message="second **one**")
    await sync_to_async(room_message_edit)(
        room_id=room.pk, message_id=seen["id"], user=ada, message="first, edited"
    )
    third = await post(room_id=room.pk, user=ada, message="third")
    await sync_to_async(room_message_delete)(room_id=room.pk, message_id=third.pk, user=ada)
    await sync_to_async(services.room_event_post)(room_id=room.pk, frame={"type": "ama_queue"})

    b = await subscribed(lin, room, since=seen["id"])
    replayed = [await b.recv() for _ in range(5)]
    assert [f["type"] for f in replayed] == [
        "room_message",
        "room_message_edited",
        "room_message",
        "room_message_deleted",
        "ama_queue",
    ]
    ids = [f["id"] for f in replayed]
    assert ids == sorted(ids) and len(set(ids)) == 5 and ids[0] == second.pk
    assert replayed[0]["html"] == "<p>second <strong>one</strong></p>\n"
    edited = replayed[1]
    assert (edited["message_id"], edited["message"], edited["html"]) == (
        seen["id"],
        "first, edited",
        "<p>first, edited</p>\n",
    )
    assert edited["edited_at"] is not None
    # The deleted message comes back as a placeholder: its text is not sent again.
    assert (replayed[2]["id"], replayed[2]["deleted"], replayed[2]["message"]) == (
        third.pk,
        True,
        "",
    )
    assert replayed[3]["message_id"] == third.pk and set(replayed[3]) == {
        "type",
        "id",
        "room",
        "message_id",
        "topic",
    }

    # Live from then on, and nothing twice.
    await a.send({"type": "room_message", "room": room.pk, "message": "fourth"})
    live = await b.recv_type("room_message")
    assert live["message"] == "fourth" and live["id"] > ids[-1]
    assert [f["id"] for f in b.frames if "id" in f and f.get("topic")] == [*ids, live["id"]]
    await a.close()
    await b.close()


async def test_editing_and_deleting_over_the_socket():
    ada, lin, room = await setup_room(moderator=True)
    a = await subscribed(ada, room)
    b = await subscribed(lin, room)
    await a.send({"type": "room_message", "room": room.pk, "message": "helo"})
    message = await b.recv_type("room_message")

    await a.send(
        {
            "type": "room_message_edit",
            "room": room.pk,
            "message_id": message["id"],
            "message": "hello",
        }
    )
    edited = await b.recv_type("room_message_edited")
    assert (edited["message_id"], edited["message"]) == (message["id"], "hello")
    assert (await a.recv_type("room_message_edited"))["id"] == edited["id"]  # the author too

    # lin moderates the room but edits nobody else's words; ada's own message is hers.
    await b.send(
        {
            "type": "room_message_edit",
            "room": room.pk,
            "message_id": message["id"],
            "message": "hijacked",
        }
    )
    refused = await b.recv_type("error")
    assert (refused["code"], refused["room"]) == ("forbidden", room.pk)
    await b.send(
        {"type": "room_message_edit", "room": room.pk, "message_id": 10**9, "message": "x"}
    )
    missing = await b.recv_type("error")
    assert (missing["code"], missing["room"], missing["message_id"]) == (
        "not_found",
        room.pk,
        10**9,
    )
    await b.send({"type": "room_message_edit", "room": room.pk, "message": "x"})
    assert (await b.recv_type("error"))["code"] == "invalid_operation"
    await a.send(
        {
            "type": "room_message_edit",
            "room": room.pk,
            "message_id": message["id"],
            "message": "x" * 4001,
        }
    )
    assert (await a.recv_type("error"))["code"] == "message_too_large"

    await b.send({"type": "room_message_delete", "room": room.pk, "message_id": message["id"]})
    deleted = await a.recv_type("room_message_deleted")
    assert (deleted["message_id"], deleted["room"]) == (message["id"], room.pk)
    await a.close()
    await b.close()


async def test_room_writes_share_document_chats_rate_limit(settings):
    settings.WS_CHAT_RATE_PER_SECOND = 2
    ada, _lin, room = await setup_room()
    a = await subscribed(ada, room)
    for n in range(2):
        await a.send({"type": "room_message", "room": room.pk, "message": f"{n}"})
        await a.recv_type("room_message")
    await a.send({"type": "room_message", "room": room.pk, "message": "too fast"})
    error = await a.recv_type("error")
    assert (error["code"], error["room"]) == ("rate_limited", room.pk)
    assert error["retry_after_ms"] > 0
    await a.close()
