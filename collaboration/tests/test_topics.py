"""Sockets without a document, a user's topic, rooms, and frames too large to send whole
(one process; tests/test_platform_seams.py runs the same across two)."""

import json

import pytest
from asgiref.sync import sync_to_async

from accounts.tests.factories import UserFactory
from collaboration import services
from collaboration.consumers import collab
from collaboration.models import Room
from collaboration.realtime import publish
from collaboration.tests.factories import DocumentFactory
from collaboration.tests.live_client import Client, join, make_user, token_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("registry_cleanup"),
]


async def open_user_socket(user, **extra) -> tuple[Client, dict]:
    client = await Client.open()
    await client.send({"type": "authenticate", "token": token_for(user), **extra})
    return client, await client.recv()


async def test_a_socket_without_a_document_gets_its_users_topic():
    user = await make_user()
    client, frame = await open_user_socket(user)
    assert frame == {
        "type": "authenticated",
        "user": {"id": user.pk, "username": user.username},
        "topics": [f"user:{user.pk}"],
        "user_backlog_complete": True,
    }
    await sync_to_async(publish.to_user)(user.pk, {"type": "notification", "id": 7, "n": 1})
    note = await client.recv_type("notification")
    assert note == {"type": "notification", "id": 7, "n": 1, "topic": f"user:{user.pk}"}
    # Document frames need a document.
    await client.send({"type": "edit", "revision": 0, "client_op_id": "x", "edit": {"ops": []}})
    error = await client.recv_type("error")
    assert (error["code"], error["client_op_id"]) == ("not_found", "x")
    await client.close()


async def test_another_users_topic_is_not_delivered():
    ada, lin = await make_user(), await make_user()
    client, _ = await open_user_socket(ada)
    await sync_to_async(publish.to_user)(lin.pk, {"type": "notification", "id": 1})
    await sync_to_async(publish.to_user)(ada.pk, {"type": "notification", "id": 2})
    assert (await client.recv_type("notification"))["id"] == 2
    await client.close()


async def test_frames_for_many_users_at_once_reach_each_user_only():
    ada, lin, mo = await make_user(), await make_user(), await make_user()
    ada_client, _ = await open_user_socket(ada)
    lin_client, _ = await open_user_socket(lin)
    await sync_to_async(publish.to_users)(
        [
            (mo.pk, {"type": "notification", "id": 1}),
            (ada.pk, {"type": "notification", "id": 2, "for": "ada"}),
            (lin.pk, {"type": "notification", "id": 3, "for": "lin"}),
        ]
    )
    assert (await ada_client.recv_type("notification"))["for"] == "ada"
    assert (await lin_client.recv_type("notification"))["for"] == "lin"
    await ada_client.close()
    await lin_client.close()


def test_a_topic_frame_needs_a_type_and_an_integer_id():
    with pytest.raises(ValueError):
        publish.to_user(1, {"type": "notification", "id": "7"})
    with pytest.raises(ValueError):
        publish.to_room(1, {"id": 7})


@sync_to_async
def a_room(members=(), **kwargs) -> Room:
    return services.room_create(kind="study_group", title="Attention readers", members=members,
                                **kwargs)  # fmt: skip


async def test_subscribing_to_a_room_needs_the_right_to_read_it():
    member, stranger = await make_user(), await make_user()
    private = await a_room(members=[member])
    public = await a_room(is_public=True)
    client, _ = await open_user_socket(stranger)
    await client.send({"type": "subscribe", "room": private.pk})
    refused = await client.recv_type("error")
    assert (refused["code"], refused["room"]) == ("not_found", private.pk)
    await client.send({"type": "subscribe", "room": 999_999})
    assert (await client.recv_type("error"))["code"] == "not_found"
    await client.send({"type": "subscribe", "room": "one"})
    assert (await client.recv_type("error"))["code"] == "invalid_operation"
    await client.send({"type": "subscribe", "room": public.pk})
    subscribed = await client.recv_type("subscribed")
    assert subscribed["topic"] == f"room:{public.pk}" and subscribed["can_post"] is True
    await client.close()


async def test_room_messages_are_stored_sent_once_and_resumed_from_an_id(settings):
    ada, lin = await make_user(), await make_user()
    room = await a_room(members=[ada, lin])
    a, _ = await open_user_socket(ada)
    b, _ = await open_user_socket(lin)
    for client in (a, b):
        await client.send({"type": "subscribe", "room": room.pk})
        await client.recv_type("subscribed")
    await a.send({"type": "room_message", "room": room.pk, "message": "  first  "})
    first = await b.recv_type("room_message")
    assert (first["message"], first["user"]["id"], first["room"]) == ("first", ada.pk, room.pk)
    assert (await a.recv_type("room_message"))["id"] == first["id"]  # the sender too

    await a.send({"type": "room_message", "room": room.pk, "message": ""})
    assert (await a.recv_type("error"))["code"] == "invalid_operation"
    await a.send({"type": "room_message", "room": room.pk, "message": "x" * 4001})
    assert (await a.recv_type("error"))["code"] == "message_too_large"

    await b.close()
    await a.send({"type": "room_message", "room": room.pk, "message": "second"})
    second = await a.recv_type("room_message")
    b, _ = await open_user_socket(lin)
    await b.send({"type": "subscribe", "room": room.pk, "since": first["id"]})
    assert (await b.recv_type("subscribed"))["backlog_complete"] is True
    resumed = await b.recv_type("room_message")
    assert resumed["id"] == second["id"] and resumed["message"] == "second"

    await b.send({"type": "unsubscribe", "room": room.pk})
    assert (await b.recv_type("unsubscribed"))["room"] == room.pk
    await a.send({"type": "room_message", "room": room.pk, "message": "third"})
    await a.recv_type("room_message")
    await b.send({"type": "ping"})
    assert (await b.recv_type("pong")) == {"type": "pong"}
    assert all(f.get("message") != "third" for f in b.frames)
    await a.close()
    await b.close()


async def test_an_archived_room_is_read_only():
    ada = await make_user()
    room = await a_room(members=[ada])
    client, _ = await open_user_socket(ada)
    await sync_to_async(services.room_archive)(room=room)
    await client.send({"type": "subscribe", "room": room.pk})
    assert (await client.recv_type("subscribed"))["can_post"] is False
    await client.send({"type": "room_message", "room": room.pk, "message": "late"})
    assert (await client.recv_type("error"))["code"] == "forbidden"
    await client.close()


async def test_large_frames_go_in_parts_to_clients_that_accept_them(settings):
    settings.WS_MAX_SEND_BYTES = 4096
    user = await make_user()
    text = "é😀 attention\n" * 2000
    document = await sync_to_async(DocumentFactory)(owner=user, content=text)
    client, first = await join(user, document, frame_parts=True)
    assert first["type"] == "frame_part" and first["index"] == 0
    parts = [first]
    while len(parts) < first["count"]:
        parts.append(await client.recv())
    assert [p["index"] for p in parts] == list(range(first["count"]))
    assert all(len(json.dumps(p, ensure_ascii=False).encode()) <= 4096 for p in parts)
    joined = json.loads("".join(p["data"] for p in parts))
    assert joined["type"] == "authenticated" and joined["content"] == text
    # Small frames still come whole.
    await client.send({"type": "ping"})
    assert await client.recv_type("pong") == {"type": "pong"}
    await client.close()

    # A client that did not opt in gets the frame whole.
    client, whole = await join(user, document)
    assert whole["type"] == "authenticated" and whole["content"] == text
    await client.close()


async def test_a_frame_the_server_cannot_send_fails_clearly(monkeypatch):
    """Where frames can neither be written raw nor split, the socket says so and closes."""
    monkeypatch.setattr(collab, "send_limit", lambda send: 1000)
    user = await make_user()
    document = await sync_to_async(DocumentFactory)(owner=user, content="big " * 1000)
    client, frame = await join(user, document)
    assert frame["type"] == "error" and frame["code"] == "message_too_large"
    assert "frame_parts" in frame["message"]
    assert (await client.recv_type("__closed__"))["code"] == 1009


async def test_removed_room_members_stop_receiving_at_once():
    ada, lin = await make_user(), await sync_to_async(UserFactory)()
    room = await a_room(members=[ada, lin])
    a, _ = await open_user_socket(ada)
    b, _ = await open_user_socket(lin)
    for client in (a, b):
        await client.send({"type": "subscribe", "room": room.pk})
        await client.recv_type("subscribed")
    await sync_to_async(services.room_member_remove)(room=room, user=lin)
    gone = await b.recv_type("unsubscribed")
    assert (gone["room"], gone["reason"]) == (room.pk, "forbidden")
    await a.send({"type": "room_message", "room": room.pk, "message": "private now"})
    await a.recv_type("room_message")
    await b.send({"type": "ping"})
    await b.recv_type("pong")
    assert all(f.get("type") != "room_message" for f in b.frames)
    await a.close()
    await b.close()
