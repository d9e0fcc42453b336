"""The editing socket, spoken as the protocol describes, through Channels' test client."""

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.tests.factories import UserFactory
from collaboration import ot
from collaboration.models import (
    ChatMessage,
    DocumentMember,
    EditPolicy,
    MemberRole,
    Operation,
    Visibility,
)
from collaboration.realtime.presence import participants_now
from collaboration.tests.factories import DocumentFactory
from collaboration.tests.live_client import (
    Client,
    join,
    make_doc,
    make_user,
    reload,
    token_for,
)
from config.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("registry_cleanup")]


async def test_authenticate_gives_text_revision_and_participants():
    user = await make_user(username="ada")
    document = await make_doc(content="hello")
    client, frame = await join(user, document)
    assert frame["type"] == "authenticated"
    assert frame["content"] == "hello"
    assert frame["revision"] == 0
    assert frame["user"] == {"id": user.pk, "username": "ada"}
    assert [p["username"] for p in frame["participants"]] == ["ada"]
    assert frame["participants"][0]["color"].startswith("#")
    await client.close()


async def test_document_found_by_slug():
    user = await make_user()
    document = await make_doc(title="Attention", content="x")
    client = await Client.open()
    await client.send(
        {"type": "authenticate", "token": token_for(user), "document_id": "attention"}
    )
    frame = await client.recv()
    assert frame["type"] == "authenticated"
    assert frame["document_id"] == str(document.pk)
    await client.close()


async def test_edit_is_acked_broadcast_and_stored():
    alice, bob = await make_user(), await make_user()
    document = await make_doc(content="hello")
    a, _ = await join(alice, document)
    b, _ = await join(bob, document)
    await a.recv_type("presence")  # bob joined
    await a.send(
        {"type": "edit", "revision": 0, "client_op_id": "a-1", "edit": {"ops": [5, " world"]}}
    )
    ack = await a.recv_type("ack")
    assert ack == {"type": "ack", "client_op_id": "a-1", "revision": 1}
    edit = await b.recv_type("edit")
    assert edit["revision"] == 1
    assert edit["ops"] == [5, " world"]
    assert edit["user_id"] == alice.pk
    assert edit["client_op_id"] == "a-1"
    document = await reload(document)
    assert document.content == "hello world"
    assert document.revision == 1
    await a.close()
    await b.close()


async def test_concurrent_edits_are_transformed_and_converge():
    alice, bob = await make_user(), await make_user()
    document = await make_doc(content="abc")
    a, _ = await join(alice, document)
    b, _ = await join(bob, document)
    # Both edit revision 0 at the same position without seeing each other.
    await a.send({"type": "edit", "revision": 0, "client_op_id": "a", "edit": {"ops": [1, "X", 2]}})
    await b.send({"type": "edit", "revision": 0, "client_op_id": "b", "edit": {"ops": [1, "Y", 2]}})
    await a.recv_type("ack")
    await b.recv_type("ack")
    await asyncio.sleep(0.1)
    document = await reload(document)
    assert document.revision == 2
    # The later-committed insert lands first (the contract's tie-break).
    stored = await sync_to_async(list)(
        Operation.objects.filter(document=document).order_by("revision")
    )
    first, second = stored
    first_text = ot.apply("abc", first.ops)
    assert ot.apply(first_text, second.ops) == document.content
    assert sorted(document.content) == sorted("aXYbc")


async def test_simple_insert_and_delete_forms():
    user = await make_user()
    document = await make_doc(content="hello world")
    client, _ = await join(user, document)
    await client.send(
        {
            "type": "edit",
            "revision": 0,
            "client_op_id": "s1",
            "edit": {"operation": "delete", "position": 5, "length": 6},
        }
    )
    assert (await client.recv_type("ack"))["revision"] == 1
    await client.send(
        {
            "type": "edit",
            "revision": 1,
            "client_op_id": "s2",
            "edit": {"operation": "insert", "position": 5, "text": "!😀"},
        }
    )
    assert (await client.recv_type("ack"))["revision"] == 2
    assert (await reload(document)).content == "hello!😀"
    await client.close()


async def test_resubmitted_op_is_acked_with_its_original_revision_and_not_applied_twice():
    user, other = await make_user(), await make_user()
    document = await make_doc(content="")
    client, _ = await join(user, document)
    await client.send(
        {"type": "edit", "revision": 0, "client_op_id": "dup", "edit": {"ops": ["a"]}}
    )
    assert (await client.recv_type("ack"))["revision"] == 1
    writer, _ = await join(other, document)
    for i in range(3):
        await writer.send(
            {
                "type": "edit",
                "revision": 1 + i,
                "client_op_id": f"w{i}",
                "edit": {"ops": [1 + i, "b"]},
            }
        )
        await writer.recv_type("ack")
    await client.close()
    # Reconnect with the last revision seen and resend the same op.
    again, frame = await join(user, document, revision=0)
    assert frame["revision"] == 4
    assert [op["client_op_id"] for op in frame["ops_since"]] == ["dup", "w0", "w1", "w2"]
    await again.send({"type": "edit", "revision": 0, "client_op_id": "dup", "edit": {"ops": ["a"]}})
    ack = await again.recv_type("ack")
    assert ack["revision"] == 1
    document = await reload(document)
    assert document.content == "abbb"
    assert document.revision == 4
    await again.close()
    await writer.close()


async def test_bad_frames_get_errors_and_change_nothing():
    user = await make_user()
    document = await make_doc(content="abc")
    client, _ = await join(user, document)
    await client.ws.send_to(text_data="{not json")
    assert (await client.recv())["code"] == "invalid_json"
    await client.send({"type": "dance"})
    assert (await client.recv())["code"] == "unknown_type"
    await client.send([1, 2])
    assert (await client.recv())["code"] == "unknown_type"
    bad_edits = [
        {"type": "edit", "revision": 0, "client_op_id": "x1", "edit": {"ops": [5, "z"]}},
        {"type": "edit", "revision": 0, "client_op_id": "x2", "edit": {"ops": [True, 2]}},
        {"type": "edit", "revision": 7, "client_op_id": "x3", "edit": {"ops": [3, "z"]}},
        {"type": "edit", "revision": "0", "client_op_id": "x4", "edit": {"ops": [3]}},
        {"type": "edit", "revision": 0, "client_op_id": "x5", "edit": "nope"},
        {"type": "edit", "revision": 0, "client_op_id": "x7", "edit": {"ops": [3, "a\x00b"]}},
        {"type": "edit", "revision": 0, "client_op_id": "x8", "edit": {"ops": [3, "\ud800"]}},
        {
            "type": "edit",
            "revision": 0,
            "client_op_id": "x6",
            "edit": {"operation": "delete", "position": 2, "length": 9},
        },
    ]
    for frame in bad_edits:
        await client.send(frame)
        error = await client.recv_type("error")
        assert error["code"] == "invalid_operation", error
        assert error["client_op_id"] == frame["client_op_id"]
        assert error["message"]
    await client.send({"type": "edit", "revision": 0, "client_op_id": "", "edit": {"ops": [3]}})
    assert (await client.recv_type("error"))["code"] == "invalid_operation"
    # The socket still works and nothing changed.
    await client.send({"type": "ping"})
    assert (await client.recv())["type"] == "pong"
    document = await reload(document)
    assert (document.content, document.revision) == ("abc", 0)
    await client.close()


async def test_oversized_frame_is_refused_with_message_too_large(settings):
    settings.WS_MAX_FRAME_BYTES = 1000
    user = await make_user()
    document = await make_doc(content="")
    client, _ = await join(user, document)
    await client.send(
        {"type": "edit", "revision": 0, "client_op_id": "big", "edit": {"ops": ["x" * 2000]}}
    )
    error = await client.recv_type("error")
    assert error["code"] == "message_too_large"
    assert error["client_op_id"] == "big"
    assert (await reload(document)).content == ""
    await client.close()


async def test_document_size_limit(settings):
    settings.MAX_DOCUMENT_CHARS = 10
    user = await make_user()
    document = await make_doc(content="12345")
    client, _ = await join(user, document)
    await client.send(
        {"type": "edit", "revision": 0, "client_op_id": "grow", "edit": {"ops": [5, "678901"]}}
    )
    error = await client.recv_type("error")
    assert error["code"] == "document_too_large"
    assert error["client_op_id"] == "grow"
    assert (await reload(document)).content == "12345"
    await client.close()


async def test_edit_rate_limit(settings):
    settings.WS_EDIT_RATE_PER_SECOND = 3
    user = await make_user()
    document = await make_doc(content="")
    client, _ = await join(user, document)
    for i in range(6):
        await client.send(
            {"type": "edit", "revision": 0, "client_op_id": f"r{i}", "edit": {"ops": ["a"]}}
        )
    kinds = [await client.recv() for _ in range(6)]
    limited = [f for f in kinds if f["type"] == "error"]
    assert limited and all(f["code"] == "rate_limited" for f in limited)
    assert all(f["retry_after_ms"] > 0 for f in limited)
    assert len([f for f in kinds if f["type"] == "ack"]) == 3
    await client.close()


async def test_cursor_typing_and_chat_relay():
    alice, bob = await make_user(username="alice"), await make_user(username="bob")
    document = await make_doc(content="hello")
    a, _ = await join(alice, document)
    b, _ = await join(bob, document)
    joined = await a.recv_type("presence")
    assert joined["event"] == "join"
    assert joined["user"]["username"] == "bob"
    assert {p["username"] for p in joined["participants"]} == {"alice", "bob"}

    cursor = {"line": 1, "column": 2, "selection_start": 1, "selection_end": 3}
    await a.send({"type": "cursor_update", "cursor": cursor, "revision": 0})
    relayed = await b.recv_type("cursor_update")
    assert relayed["cursor"] == cursor
    assert relayed["user_id"] == alice.pk
    assert relayed["username"] == "alice"
    assert relayed["color"].startswith("#")

    await a.send({"type": "typing", "is_typing": True})
    typing = await b.recv_type("typing")
    assert typing["is_typing"] is True
    assert typing["username"] == "alice"

    await b.send(
        {"type": "chat_message", "chat": {"message": "Hello everyone!", "message_type": "text"}}
    )
    for client in (a, b):
        chat = await client.recv_type("chat_message")
        assert chat["message"] == "Hello everyone!"
        assert chat["user"] == {"id": bob.pk, "username": "bob"}
        assert chat["id"]
        assert chat["created_at"].endswith("Z")
    assert await sync_to_async(ChatMessage.objects.filter(document=document).count)() == 1

    await b.close()
    left = await a.recv_type("presence")
    assert left["event"] == "leave"
    assert left["user"]["username"] == "bob"
    assert [p["username"] for p in left["participants"]] == ["alice"]
    await a.close()


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "edit", "revision": 0, "client_op_id": "z", "edit": {"ops": []}},
        {"type": "ping"},
        {"type": "authenticate", "token": "garbage", "document_id": "1"},
    ],
)
async def test_first_frame_must_authenticate_with_a_valid_token(frame):
    await make_doc()
    client = await Client.open()
    await client.send(frame)
    error = await client.recv()
    assert error["type"] == "error"
    assert error["code"] == "not_authenticated"
    assert (await client.recv())["code"] == 4401


async def test_expired_token_is_refused():
    user = await make_user()
    document = await make_doc()
    client = await Client.open()
    expired = await sync_to_async(token_for)(user, lifetime=-timedelta(minutes=1))
    await client.send({"type": "authenticate", "token": expired, "document_id": document.pk})
    assert (await client.recv())["code"] == "not_authenticated"
    assert (await client.recv())["code"] == 4401


async def test_unknown_document_is_not_found():
    user = await make_user()
    client = await Client.open()
    await client.send({"type": "authenticate", "token": token_for(user), "document_id": "nope"})
    assert (await client.recv())["code"] == "not_found"
    assert (await client.recv())["code"] == 4404


@pytest.fixture
def access_setup(db):
    owner = UserFactory(username="owner")
    editor = UserFactory(username="editor")
    viewer = UserFactory(username="viewer")
    stranger = UserFactory(username="stranger")
    moderator = UserFactory(username="mod", role="moderator")
    restricted = DocumentFactory(
        owner=owner,
        content="secret",
        visibility=Visibility.RESTRICTED,
        edit_policy=EditPolicy.MEMBERS,
    )
    DocumentMember.objects.create(document=restricted, user=editor, role=MemberRole.EDITOR)
    DocumentMember.objects.create(document=restricted, user=viewer, role=MemberRole.VIEWER)
    return {
        "doc": restricted,
        "users": {u.username: u for u in (owner, editor, viewer, stranger, moderator)},
    }


@pytest.mark.parametrize(
    ("who", "can_join", "can_edit"),
    [
        ("owner", True, True),
        ("editor", True, True),
        ("viewer", True, False),
        ("stranger", False, False),
        ("mod", True, True),
    ],
)
async def test_access_matrix(access_setup, who, can_join, can_edit):
    user = access_setup["users"][who]
    document = access_setup["doc"]
    client, frame = await join(user, document)
    if not can_join:
        assert frame["code"] == "forbidden"
        assert (await client.recv())["code"] == 4403
        return
    assert frame["type"] == "authenticated"
    assert frame["can_edit"] is can_edit
    await client.send(
        {"type": "edit", "revision": 0, "client_op_id": "e", "edit": {"ops": [6, "!"]}}
    )
    reply = await client.recv_type("ack" if can_edit else "error")
    if can_edit:
        assert reply["revision"] == 1
    else:
        assert reply["code"] == "forbidden"
        assert reply["client_op_id"] == "e"
        assert (await reload(document)).content == "secret"
    await client.close()


async def test_anonymous_session_cannot_join():
    document = await make_doc()
    client = await Client.open()
    await client.send({"type": "authenticate", "document_id": str(document.pk)})
    assert (await client.recv())["code"] == "not_authenticated"


async def test_session_cookie_from_foreign_origin_is_refused():
    communicator = WebsocketCommunicator(
        application, "/ws/collab/", headers=[(b"origin", b"https://evil.example")]
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_session_cookie_from_own_site_authenticates(client):
    user = await make_user()
    document = await make_doc(content="hi")
    await sync_to_async(client.force_login)(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    ws = await Client.open(headers=[(b"origin", b"http://testserver"), (b"cookie", cookie)])
    await ws.send({"type": "authenticate", "document_id": str(document.pk)})
    frame = await ws.recv()
    assert frame["type"] == "authenticated"
    assert frame["user"]["id"] == user.pk
    await ws.close()


async def test_rest_commits_reach_live_sockets():
    from collaboration import services

    user = await make_user()
    document = await make_doc(content="abc")
    client, _ = await join(user, document)

    def commit():
        return services.document_apply_operation(
            document_id=document.pk, user=user, base_revision=0, client_op_id="rest-1", ops=[3, "d"]
        )

    await sync_to_async(commit, thread_sensitive=False)()
    edit = await client.recv_type("edit")
    assert edit["revision"] == 1
    assert edit["ops"] == [3, "d"]
    await client.close()


async def test_gap_in_broadcasts_is_filled_from_the_log():
    """A revision the bus never delivered still reaches the socket, in order."""
    from collaboration.commit import PendingOperation, commit_operations

    user = await make_user()
    document = await make_doc(content="")
    client, _ = await join(user, document)
    # Commit behind the bus's back (as another process whose publish was lost).
    await sync_to_async(commit_operations, thread_sensitive=False)(
        document_id=document.pk,
        pending=[
            PendingOperation(client_op_id="lost", base_revision=0, user_id=user.pk, ops=["x"])
        ],
    )
    await client.send(
        {"type": "edit", "revision": 1, "client_op_id": "mine", "edit": {"ops": [1, "y"]}}
    )
    edit = await client.recv(timeout=5)
    assert edit["type"] == "edit"
    assert edit["revision"] == 1
    ack = await client.recv(timeout=5)
    assert ack == {"type": "ack", "client_op_id": "mine", "revision": 2}
    assert (await reload(document)).content == "xy"
    await client.close()


async def test_api_key_joins_until_revoked():
    from accounts import services as account_services

    user = await make_user()
    document = await make_doc(content="k")
    api_key, raw = await sync_to_async(account_services.api_key_create)(user=user, name="bot")
    client = await Client.open()
    await client.send({"type": "authenticate", "token": raw, "document_id": str(document.pk)})
    assert (await client.recv())["type"] == "authenticated"
    await client.close()

    await sync_to_async(account_services.api_key_revoke)(api_key=api_key)
    client = await Client.open()
    await client.send({"type": "authenticate", "token": raw, "document_id": str(document.pk)})
    assert (await client.recv())["code"] == "not_authenticated"
    assert (await client.recv())["code"] == 4401


async def test_edit_older_than_the_kept_log_gets_revision_too_old(settings):
    from collaboration import services

    settings.SNAPSHOT_EVERY = 2
    settings.OPERATION_RETENTION = 2
    user = await make_user()
    document = await make_doc(content="")
    client, _ = await join(user, document)
    for revision in range(6):
        await client.send(
            {"type": "edit", "revision": revision, "client_op_id": f"h{revision}",
             "edit": {"ops": [revision, "x"] if revision else ["x"]}}
        )  # fmt: skip
        await client.recv_type("ack")
    pruned = await sync_to_async(services.operations_prune)(document_id=document.pk, keep=2)
    assert pruned > 0
    await client.send(
        {"type": "edit", "revision": 1, "client_op_id": "stale", "edit": {"ops": [1, "y"]}}
    )
    error = await client.recv_type("error")
    assert (error["code"], error["client_op_id"]) == ("revision_too_old", "stale")
    assert (await reload(document)).content == "xxxxxx"
    await client.close()


async def test_pages_can_see_who_is_editing_now():
    user = await make_user(username="ada")
    document = await make_doc(content="x")
    assert participants_now(document.pk) == []
    client, _ = await join(user, document)
    now = await sync_to_async(participants_now, thread_sensitive=False)(document.pk)
    assert [p["username"] for p in now] == ["ada"]
    await client.close()
    await asyncio.sleep(0.05)
    assert participants_now(document.pk) == []


async def test_rejoin_at_the_current_revision_gets_an_empty_ops_since():
    user = await make_user()
    document = await make_doc(content="abc")
    client, frame = await join(user, document, revision=0)
    assert frame["revision"] == 0
    assert frame["ops_since"] == []
    await client.close()
