"""@mentions in room chat notify the people named who may read the room, once per message,
with a link to the page that shows the chat."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration import services
from collaboration.services.rooms import room_message_edit
from community.models import AmaSession, Notification, NotificationKind, StudyGroup

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]


def mentions_of(user):
    return list(Notification.objects.filter(recipient=user, kind=NotificationKind.MENTION))


def test_members_of_a_private_group_room_are_notified_and_outsiders_are_not():
    ada, lin, outsider = (
        UserFactory(username="ada"),
        UserFactory(username="lin"),
        UserFactory(username="omar"),
    )
    moderator = UserFactory(username="mod", role=Role.MODERATOR)
    room = services.room_create(kind="study_group", title="Attention", members=[ada, lin])
    group = StudyGroup.objects.create(
        name="Attention readers", topic_focus="nlp", owner=ada, is_private=True, room=room
    )

    services.room_message_post(
        room_id=room.pk, user=ada, message="@lin @omar @mod @ada have a look at `@nobody`"
    )

    (note,) = mentions_of(lin)
    assert note.url == f"/groups/{group.pk}/#chat"
    assert note.title == "ada mentioned you in the chat of Attention readers"
    assert note.actor_id == ada.pk and "have a look" in note.body
    assert mentions_of(outsider) == []  # may not read the room: not told about it
    assert len(mentions_of(moderator)) == 1  # site moderators read every room
    assert mentions_of(ada) == []  # not yourself


def test_an_edit_notifies_only_people_newly_mentioned():
    ada, lin, kim = (UserFactory(username=name) for name in ("ada", "lin", "kim"))
    room = services.room_create(kind="ama", title="Ask me", is_public=True)
    ama = AmaSession.objects.create(
        host=ada,
        topic="Ask me about RLHF",
        room=room,
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(hours=1),
    )
    message = services.room_message_post(room_id=room.pk, user=ada, message="hi @lin")
    room_message_edit(room_id=room.pk, message_id=message.pk, user=ada, message="hi @lin and @kim")

    assert len(mentions_of(lin)) == 1  # the edit kept the mention: no second notification
    (note,) = mentions_of(kim)  # a public room: anyone signed in reads it
    assert note.url == f"/amas/{ama.pk}/#chat"


def test_code_messages_and_rooms_without_a_page_link_to_the_room():
    ada, lin = UserFactory(username="ada"), UserFactory(username="lin")
    room = services.room_create(kind="study_group", title="Orphan", members=[ada, lin])
    services.room_message_post(room_id=room.pk, user=ada, message="@lin", message_type="code")
    assert mentions_of(lin) == []  # code mentions nobody
    services.room_message_post(room_id=room.pk, user=ada, message="@lin see this")
    assert mentions_of(lin)[0].url == f"/rooms/{room.pk}/#chat"
