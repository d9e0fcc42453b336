"""Moderators delete room messages from the admin through the service: everyone's chat
hides them at once, and the log keeps its rows."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration import services
from collaboration.models import RoomEntryKind, RoomMessage
from collaboration.realtime import publish

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_delete_action_goes_through_the_service(client, monkeypatch):
    moderator = UserFactory(role=Role.MODERATOR, is_staff=True)
    ada = UserFactory()
    room = services.room_create(kind="study_group", title="Attention", members=[ada])
    spam = services.room_message_post(room_id=room.pk, user=ada, message="buy now")
    kept = services.room_message_post(room_id=room.pk, user=ada, message="a real question")
    sent = []
    monkeypatch.setattr(publish, "to_room", lambda room_id, frame: sent.append(frame))
    client.force_login(moderator)
    url = reverse("admin:collaboration_roommessage_changelist")

    listing = client.get(url, {"kind__exact": "message"})
    assert listing.status_code == 200 and "buy now" in listing.content.decode()
    response = client.post(
        url, {"action": "delete_messages", "_selected_action": [spam.pk]}, follow=True
    )

    assert "Deleted 1 message(s)." in response.content.decode()
    spam.refresh_from_db()
    assert spam.deleted_by == moderator and spam.message == "buy now"  # kept for moderators
    assert RoomMessage.objects.filter(kind=RoomEntryKind.DELETE, target=spam).count() == 1
    assert [(f["type"], f["message_id"]) for f in sent] == [("room_message_deleted", spam.pk)]
    kept.refresh_from_db()
    assert kept.deleted_at is None
    assert "deletion of #" in client.get(url).content.decode()


def test_people_without_the_moderator_role_get_no_delete_action(client):
    staff = UserFactory(is_staff=True, is_superuser=False)
    client.force_login(staff)
    response = client.get(reverse("admin:collaboration_roommessage_changelist"))
    assert response.status_code in (200, 403)
    assert "delete_messages" not in response.content.decode()
