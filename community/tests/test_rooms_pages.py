"""The chat widget (templates/community/_room_chat.html) and the room's own page: messages
rendered for the first paint and without JavaScript, posting from the form, and no room
shown to people who may not read it."""

import json

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from accounts.tests.factories import UserFactory
from collaboration import services
from collaboration.models import RoomMessage
from collaboration.services.rooms import room_message_delete, room_message_edit

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat():
    ada, lin = UserFactory(username="ada"), UserFactory(username="lin")
    room = services.room_create(kind="study_group", title="Attention readers", members=[ada, lin])
    return room, ada, lin


def render_widget(room, user):
    request = RequestFactory().get("/groups/1/")
    request.user = user
    template = Template('{% include "community/_room_chat.html" with room=room %}')
    return template.render(Context({"room": room, "request": request}))


def config_of(html):
    start = html.index('id="room-chat-config" type="application/json">') + len(
        'id="room-chat-config" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_the_widget_renders_the_newest_messages_and_what_its_script_needs(chat):
    room, ada, lin = chat
    first = services.room_message_post(
        room_id=room.pk, user=ada, message="**hello** <script>x</script>"
    )
    second = services.room_message_post(room_id=room.pk, user=lin, message="typo")
    room_message_edit(room_id=room.pk, message_id=second.pk, user=lin, message="fixed")
    gone = services.room_message_post(room_id=room.pk, user=lin, message="oops secret")
    room_message_delete(room_id=room.pk, message_id=gone.pk, user=lin)

    html = render_widget(room, ada)

    assert 'id="chat"' in html and "<strong>hello</strong>" in html
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "(edited)" in html and "fixed" in html
    assert "This message was deleted." in html and "oops secret" not in html
    assert f'action="/rooms/{room.pk}/post/"' in html
    assert "vendor/room-chat.bundle.js" in html
    config = config_of(html)
    last = RoomMessage.objects.filter(room=room).order_by("-pk").first().pk
    assert config["since"] == last  # the delete row: the socket resumes after it
    assert [m["id"] for m in config["messages"]] == [first.pk, second.pk, gone.pk]
    assert config["me"] == {"id": ada.pk, "username": "ada"}
    assert (config["canPost"], config["canModerate"]) == (True, False)
    assert config["messagesUrl"] == f"/api/rooms/{room.pk}/messages"


def test_the_widget_shows_nothing_of_a_room_you_may_not_read(chat):
    room, ada, _lin = chat
    services.room_message_post(room_id=room.pk, user=ada, message="members only")
    html = render_widget(room, UserFactory())
    assert "members only" not in html and "room-chat-config" not in html


def test_the_room_page_and_its_no_javascript_history(client, chat):
    room, ada, lin = chat
    posted = [
        services.room_message_post(room_id=room.pk, user=ada, message=f"m{n}").pk for n in range(35)
    ]
    client.force_login(lin)

    page = client.get(f"/rooms/{room.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "m34" in text and "m4<" not in text  # the newest 30 only
    assert f'href="/rooms/{room.pk}/?before={posted[5]}"' in text

    older = client.get(f"/rooms/{room.pk}/?before={posted[5]}").content.decode()
    assert "Earlier messages" in older and "<p>m0</p>" in older and "<p>m5</p>" not in older
    assert client.get(f"/rooms/{room.pk}/?before=x").status_code == 404


def test_strangers_get_404_and_signed_out_people_the_login_page(client, chat):
    room, _ada, _lin = chat
    response = client.get(f"/rooms/{room.pk}/")
    assert response.status_code == 302 and "/login" in response["Location"]
    client.force_login(UserFactory())
    assert client.get(f"/rooms/{room.pk}/").status_code == 404
    assert client.post(f"/rooms/{room.pk}/post/", {"message": "hi"}).status_code == 404
    assert not RoomMessage.objects.filter(room=room).exists()


def test_posting_from_the_form_without_javascript(client, chat, settings):
    settings.WS_CHAT_RATE_PER_SECOND = 1000
    room, ada, _lin = chat
    client.force_login(ada)

    response = client.post(
        f"/rooms/{room.pk}/post/", {"message": "from a form", "next": "/groups/4/#chat"}
    )
    assert response.status_code == 302 and response["Location"] == "/groups/4/#chat"
    assert RoomMessage.objects.get(room=room).message == "from a form"

    response = client.post(
        f"/rooms/{room.pk}/post/", {"message": "  ", "next": "https://evil.example/"}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/rooms/{room.pk}/#chat"  # not another site
    assert "Your message was not sent: The message is empty." in response.content.decode()
    assert RoomMessage.objects.filter(room=room).count() == 1

    services.room_archive(room=room)
    response = client.post(f"/rooms/{room.pk}/post/", {"message": "late"}, follow=True)
    assert "You may not post in this room." in response.content.decode()
    assert "This chat is closed" in response.content.decode()
