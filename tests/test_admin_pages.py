"""Every model in the admin opens for the people who manage it (no 500 on any list)."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.roles import Role
from accounts.services import user_set_role
from accounts.tests.factories import UserFactory
from collaboration.tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db

REGISTERED = sorted(
    (model._meta.app_label, model._meta.model_name) for model in admin.site._registry
)


@pytest.fixture
def admin_client(client):
    user = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(user)
    DocumentFactory(owner=user, title="Attention")  # something to list
    return client


@pytest.mark.parametrize(("app_label", "model_name"), REGISTERED)
def test_changelist_opens_with_search_and_filters(admin_client, app_label, model_name):
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "attention"}).status_code == 200


def test_moderator_manages_content_but_not_users(client):
    moderator = UserFactory(username="mo")
    user_set_role(user=moderator, role=Role.MODERATOR, by=None)
    client.force_login(moderator)
    assert client.get(reverse("admin:collaboration_document_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403


def test_learner_cannot_open_the_admin(client):
    client.force_login(UserFactory())
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
