"""Moderators can look at notifications, watches, delivery choices and digest runs in the
admin ("why did I not get an email?"), and change none of them there."""

import datetime

import pytest
from django.urls import reverse

from accounts.roles import Role
from accounts.services import user_set_role
from accounts.tests.factories import UserFactory
from community.models import DigestRun, NotificationPreference, WatchTarget
from community.tests.factories import QuestionFactory
from community.tests.factories_notifications import NotificationFactory, WatchFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator_client(client):
    person = UserFactory()
    user_set_role(user=person, role=Role.MODERATOR, by=None)
    client.force_login(person)
    return client


@pytest.fixture
def rows():
    user = UserFactory(username="attention-fan")
    return {
        "notification": NotificationFactory(recipient=user, title="attention answered"),
        "watch": WatchFactory(
            user=user, target_type=WatchTarget.QUESTION, question=QuestionFactory()
        ),
        "notificationpreference": NotificationPreference.objects.create(
            user=user, kind="badge", delivery="email"
        ),
        "digestrun": DigestRun.objects.create(user=user, day=datetime.date(2026, 5, 4)),
    }


@pytest.mark.parametrize("model", ["notification", "watch", "notificationpreference", "digestrun"])
def test_pages_open_and_nothing_is_added_or_deleted(moderator_client, rows, model):
    row = rows[model]
    changelist = reverse(f"admin:community_{model}_changelist")
    assert moderator_client.get(changelist).status_code == 200
    assert moderator_client.get(changelist, {"q": "attention"}).status_code == 200
    change = reverse(f"admin:community_{model}_change", args=[row.pk])
    page = moderator_client.get(change)
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert moderator_client.get(reverse(f"admin:community_{model}_add")).status_code == 403
    delete = reverse(f"admin:community_{model}_delete", args=[row.pk])
    assert moderator_client.post(delete, {"post": "yes"}).status_code == 403
    assert type(row).objects.filter(pk=row.pk).exists()
