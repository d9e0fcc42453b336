"""Rooms over REST: history pages, posting, editing, deleting, who may, and the limits."""

import pytest

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration import services
from collaboration.api.rooms import RoomChatThrottle
from collaboration.models import RoomEntryKind, RoomMessage
from collaboration.services.rooms import room_message_delete, room_message_edit
from collaboration.tests.api_helpers import assert_error, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_rate_limit_unless_tested(settings):
    settings.WS_CHAT_RATE_PER_SECOND = 1000  # the rate limit's own test lowers it


def a_room(*members, **kwargs):
    return services.room_create(
        kind="study_group", title="Attention readers", members=members, **kwargs
    )


def post(room, user, text):
    return services.room_message_post(room_id=room.pk, user=user, message=text)


def messages_url(room, query=""):
    return f"/api/rooms/{room.pk}/messages{query}"


def ids(page):
    return [m["id"] for m in page["results"]]


def test_the_room_says_what_you_may_do_and_where_its_log_ends():
    ada, lin = UserFactory(), UserFactory()
    room = a_room(ada, lin)
    services.room_member_add(room, lin, is_moderator=True)
    last = post(room, ada, "hello")

    mine = client_for(ada).get(f"/api/rooms/{room.pk}").json()
    assert mine == {
        "id": room.pk,
        "title": "Attention readers",
        "kind": "study_group",
        "is_public": False,
        "archived": False,
        "topic": f"room:{room.pk}",
        "can_post": True,
        "can_moderate": False,
        "last_message_id": last.pk,
    }
    assert client_for(lin).get(f"/api/rooms/{room.pk}/").json()["can_moderate"] is True


def test_unreadable_rooms_are_not_found_and_signed_out_people_are_refused():
    ada, stranger = UserFactory(), UserFactory()
    room = a_room(ada)
    post(room, ada, "secret plans")
    for path in (f"/api/rooms/{room.pk}", messages_url(room), "/api/rooms/999999"):
        assert_error(client_for(stranger).get(path), 404, "not_found")
        assert_error(client_for(None).get(path), 401, "not_authenticated")
    response = client_for(stranger).post(messages_url(room), {"message": "hi"}, format="json")
    assert_error(response, 404, "not_found")
    assert RoomMessage.objects.filter(room=room).count() == 1


def test_history_pages_go_back_and_forward_without_gaps_or_overlaps():
    ada = UserFactory()
    room = a_room(ada)
    other = a_room(ada)
    posted = []
    for n in range(23):
        posted.append(post(room, ada, f"message {n}").pk)
        post(other, ada, "elsewhere")  # another room's ids interleave
    # An edit and an app event in the log are not messages.
    room_message_edit(room_id=room.pk, message_id=posted[3], user=ada, message="edited three")
    services.room_event_post(room_id=room.pk, frame={"type": "ama_queue"})
    client = client_for(ada)

    newest = client.get(messages_url(room, "?limit=10")).json()
    assert ids(newest) == posted[-10:] and newest["has_more"] is True
    seen = ids(newest)
    before = newest["before"]
    while True:
        page = client.get(messages_url(room, f"?before={before}&limit=10")).json()
        seen = ids(page) + seen
        if not page["has_more"]:
            break
        before = page["before"]
    assert seen == posted  # every message once, in order
    first_page = client.get(messages_url(room, f"?before={posted[3]}&limit=10")).json()
    assert ids(first_page) == posted[:3] and first_page["has_more"] is False

    forward, after = [], 0
    while True:
        page = client.get(messages_url(room, f"?after={after}&limit=7")).json()
        forward += ids(page)
        after = page["after"]
        if not page["has_more"]:
            break
    assert forward == posted
    assert client.get(messages_url(room, f"?after={posted[-1]}")).json() == {
        "results": [],
        "has_more": False,
        "before": None,
        "after": posted[-1],
    }
    shown = {m["id"]: m for m in newest["results"] + first_page["results"]}
    edited = client.get(messages_url(room, f"?after={posted[2]}&limit=1")).json()["results"][0]
    assert (edited["message"], edited["edited_at"] is not None) == ("edited three", True)
    assert shown[posted[0]]["html"] == "<p>message 0</p>\n"


@pytest.mark.parametrize(
    "query", ["?before=0", "?before=x", "?limit=0", "?limit=101", "?after=-1", "?before=5&after=1"]
)
def test_bad_page_parameters_are_400(query):
    ada = UserFactory()
    room = a_room(ada)
    assert_error(client_for(ada).get(messages_url(room, query)), 400, "invalid")


def test_posting_over_rest_stores_renders_and_validates():
    ada = UserFactory()
    room = a_room(ada)
    client = client_for(ada)

    response = client.post(messages_url(room), {"message": "  **Hi** @lin  "}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["type"], body["message"], body["user"]["id"]) == (
        "room_message",
        "**Hi** @lin",
        ada.pk,
    )
    assert body["html"] == "<p><strong>Hi</strong> @lin</p>\n"
    assert (body["deleted"], body["edited_at"]) == (False, None)

    code = client.post(
        messages_url(room), {"message": "<b>x</b>", "message_type": "code"}, format="json"
    ).json()
    assert code["html"] == '<pre class="room-code"><code>&lt;b&gt;x&lt;/b&gt;</code></pre>'

    for bad, field in (
        ({"message": "   "}, "message"),
        ({"message": "x" * 4001}, "message"),
        ({"message": "x", "message_type": "gif"}, "message_type"),
        ({}, "message"),
    ):
        error = assert_error(client.post(messages_url(room), bad, format="json"), 400, "invalid")
        assert field in error["fields"]
    assert RoomMessage.objects.filter(room=room).count() == 2


def test_markdown_is_sanitised():
    ada = UserFactory()
    room = a_room(ada)
    text = (
        '<script>alert(1)</script> [click](javascript:alert(1)) <img src=x onerror="alert(1)">'
        " [paper](https://arxiv.org/abs/1706.03762)"
    )
    html = client_for(ada).post(messages_url(room), {"message": text}, format="json").json()["html"]
    # Raw HTML shows as text; the javascript: link is no link.
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:" not in html.replace("[click](javascript:alert(1))", "")
    assert html.count("<a ") == 1
    assert '<a href="https://arxiv.org/abs/1706.03762" rel="noopener nofollow">paper</a>' in html


def test_only_members_post_in_private_rooms_and_nobody_in_archived_ones():
    ada, reader = UserFactory(), UserFactory()
    public = a_room(ada, is_public=True)
    # Anyone signed in reads and posts in a public room.
    assert (
        client_for(reader).post(messages_url(public), {"message": "hi"}, format="json").status_code
        == 201
    )
    services.room_archive(room=public)
    response = client_for(ada).post(messages_url(public), {"message": "late"}, format="json")
    error = assert_error(response, 403, "forbidden")
    assert error["message"] == "You may not post in this room."
    assert client_for(ada).get(f"/api/rooms/{public.pk}").json()["can_post"] is False


def test_editing_is_for_the_author_and_leaves_a_log_entry():
    ada, lin = UserFactory(), UserFactory()
    room = a_room(ada, lin)
    services.room_member_add(room, lin, is_moderator=True)
    message = post(room, ada, "teh answer")
    url = f"{messages_url(room)}/{message.pk}"

    response = client_for(ada).patch(url, {"message": "the answer"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["message"], response.json()["html"]) == (
        "the answer",
        "<p>the answer</p>\n",
    )
    assert response.json()["edited_at"] is not None
    entry = RoomMessage.objects.get(room=room, kind=RoomEntryKind.EDIT)
    assert (entry.target_id, entry.message) == (message.pk, "the answer")

    # Not even a moderator edits someone else's words.
    assert_error(client_for(lin).patch(url, {"message": "x"}, format="json"), 403, "forbidden")
    assert_error(client_for(ada).patch(url, {"message": ""}, format="json"), 400, "invalid")
    missing = f"{messages_url(room)}/{message.pk + 999}"
    assert_error(client_for(ada).patch(missing, {"message": "x"}, format="json"), 404, "not_found")
    services.room_archive(room=room)
    assert_error(client_for(ada).patch(url, {"message": "later"}, format="json"), 403, "forbidden")
    message.refresh_from_db()
    assert message.message == "the answer"


def test_who_may_delete():
    author, other, room_mod, site_mod, stranger = (UserFactory() for _ in range(5))
    site_mod.role = Role.MODERATOR
    site_mod.save()
    room = a_room(author, other, room_mod)
    services.room_member_add(room, room_mod, is_moderator=True)
    first, second, third = (post(room, author, f"m{n}") for n in range(3))

    def delete(user, message):
        return client_for(user).delete(f"{messages_url(room)}/{message.pk}")

    assert_error(delete(other, first), 403, "forbidden")
    assert_error(delete(stranger, first), 404, "not_found")  # not a member: no such room
    assert delete(author, first).status_code == 204
    assert delete(author, first).status_code == 204  # again: nothing changes
    assert delete(room_mod, second).status_code == 204
    assert delete(site_mod, third).status_code == 204  # not a member, a site moderator
    assert RoomMessage.objects.filter(kind=RoomEntryKind.DELETE).count() == 3

    page = client_for(other).get(messages_url(room)).json()["results"]
    assert [(m["deleted"], m["message"], m["html"]) for m in page] == [(True, "", "")] * 3
    first.refresh_from_db()
    # The text stays in the row for moderators (the admin); deleted messages can't be edited.
    assert (first.message, first.deleted_by_id) == ("m0", author.pk)
    edit = client_for(author).patch(
        f"{messages_url(room)}/{first.pk}", {"message": "x"}, format="json"
    )
    assert_error(edit, 404, "not_found")


def test_a_demoted_room_moderator_deletes_no_more():
    ada, lin = UserFactory(), UserFactory()
    room = a_room(ada)
    services.room_member_add(room, lin, is_moderator=True)
    services.room_member_add(room, lin)  # the flag is upserted: demoted
    message = post(room, ada, "mine")
    with pytest.raises(services.ActionForbidden):
        room_message_delete(room_id=room.pk, message_id=message.pk, user=lin)
    assert room.members.get(user=lin).is_moderator is False


def test_writes_are_rate_limited_like_document_chat(settings):
    settings.WS_CHAT_RATE_PER_SECOND = 2
    ada = UserFactory()
    room = a_room(ada)
    client = client_for(ada)
    assert client.get(messages_url(room)).status_code == 200
    for n in range(2):
        assert (
            client.post(messages_url(room), {"message": f"{n}"}, format="json").status_code == 201
        )
    response = client.post(messages_url(room), {"message": "too fast"}, format="json")
    error = assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) == error["retry_after"] >= 1
    assert RoomMessage.objects.filter(room=room).count() == 2
    assert client.get(messages_url(room)).status_code == 200  # reading is not limited
    assert RoomChatThrottle.scope == "room_chat"
