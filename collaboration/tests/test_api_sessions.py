"""REST API: collaboration sessions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration import services
from collaboration.models import CollaborationSession, SessionParticipant, Visibility
from collaboration.tests.api_helpers import assert_error, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def doc(owner):
    return services.document_create(owner=owner, title="Attention", content="abc")


def test_create_session(doc, owner):
    UserFactory(username="ada")
    response = client_for(owner).post(
        "/api/sessions",
        {"document_id": doc.slug, "max_participants": 3, "is_private": True, "invited": ["ada"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["document"] == {"id": doc.pk, "slug": doc.slug, "title": "Attention"}
    assert body["created_by"] == {"id": owner.pk, "username": "owner"}
    assert (body["max_participants"], body["is_private"], body["invited"]) == (3, True, ["ada"])
    assert body["is_active"] is True and body["participants"] == []

    by_id = client_for(owner).post("/api/sessions/", {"document_id": doc.pk}, format="json")
    assert by_id.status_code == 201
    assert by_id.json()["max_participants"] == 10
    assert by_id.json()["is_private"] is False


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "document_id"),
        ({"document_id": "nope"}, "document_id"),
        ({"document_id": None}, "document_id"),
        ({"document_id": "{doc}", "max_participants": 0}, "max_participants"),
        ({"document_id": "{doc}", "max_participants": 101}, "max_participants"),
        ({"document_id": "{doc}", "max_participants": "5"}, "max_participants"),
        ({"document_id": "{doc}", "invited": ["ghost"]}, "invited"),
        ({"document_id": "{doc}", "invited": "ada"}, "invited"),
    ],
)
def test_create_session_validation(doc, owner, payload, field):
    payload = {k: (str(doc.pk) if v == "{doc}" else v) for k, v in payload.items()}
    error = assert_error(
        client_for(owner).post("/api/sessions", payload, format="json"), 400, "invalid"
    )
    assert field in error["fields"]
    assert not CollaborationSession.objects.exists()


def test_create_session_on_an_unreadable_document(owner):
    private = services.document_create(owner=owner, title="Secret", visibility="private")
    response = client_for(UserFactory()).post(
        "/api/sessions", {"document_id": private.pk}, format="json"
    )
    assert_error(response, 400, "invalid")  # the same answer as for a missing document
    assert_error(
        client_for().post("/api/sessions", {"document_id": private.pk}, format="json"),
        401,
        "not_authenticated",
    )


def test_list_shows_sessions_the_user_may_see(doc, owner):
    invited = UserFactory(username="invited")
    stranger = UserFactory(username="stranger")
    public = services.session_create(document=doc, user=owner)
    private = services.session_create(
        document=doc, user=owner, is_private=True, invited_usernames=["invited"]
    )
    secret_doc = services.document_create(owner=owner, title="Secret", visibility="private")
    hidden = services.session_create(document=secret_doc, user=owner)
    ended = services.session_create(document=doc, user=owner)
    services.session_end(session=ended, user=owner)

    def ids(user):
        response = client_for(user).get("/api/sessions")
        assert response.status_code == 200
        return {s["id"] for s in response.json()["results"]}

    assert ids(None) == {public.pk}
    assert ids(stranger) == {public.pk}
    assert ids(invited) == {public.pk, private.pk}
    assert ids(owner) == {public.pk, private.pk, hidden.pk}
    assert ids(UserFactory(role=Role.MODERATOR)) == {public.pk, private.pk, hidden.pk}

    filtered = client_for(owner).get(f"/api/sessions?document={secret_doc.slug}").json()
    assert [s["id"] for s in filtered["results"]] == [hidden.pk]
    assert_error(
        client_for(stranger).get(f"/api/sessions?document={secret_doc.pk}"), 404, "not_found"
    )


def test_list_shows_fresh_participants_once_per_user(doc, owner, settings):
    settings.PRESENCE_TTL_SECONDS = 30
    ada, lin = UserFactory(username="ada"), UserFactory(username="lin")
    session = services.session_create(document=doc, user=owner)
    services.session_join(session_id=session.pk, user=ada, connection_id="a1")
    services.session_join(session_id=session.pk, user=ada, connection_id="a2")
    services.session_join(session_id=session.pk, user=lin, connection_id="l1")
    SessionParticipant.objects.filter(connection_id="l1").update(
        last_seen=timezone.now() - timedelta(seconds=60)
    )
    body = client_for().get("/api/sessions").json()
    assert body["results"][0]["participants"] == [{"user_id": ada.pk, "username": "ada"}]


def test_private_session_join_is_refused_for_others(doc, owner):
    session = services.session_create(document=doc, user=owner, is_private=True)
    with pytest.raises(services.SessionForbidden):
        services.session_join(session_id=session.pk, user=UserFactory(), connection_id="x")


def test_end_session(doc, owner):
    session = services.session_create(document=doc, user=owner)
    other = UserFactory()
    url = f"/api/sessions/{session.pk}/end"
    assert_error(client_for(other).post(url), 403, "forbidden")
    assert_error(client_for().post(url), 401, "not_authenticated")
    response = client_for(owner).post(url)
    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False
    assert response.json()["ended_at"]
    assert_error(client_for(owner).post(url), 404, "not_found")  # no longer active
    assert_error(client_for(owner).post("/api/sessions/999999/end"), 404, "not_found")


def test_moderators_end_any_session_and_private_ones_are_404_for_others(doc, owner):
    private = services.session_create(document=doc, user=owner, is_private=True)
    url = f"/api/sessions/{private.pk}/end/"
    assert_error(client_for(UserFactory()).post(url), 404, "not_found")
    assert client_for(UserFactory(role=Role.MODERATOR)).post(url).status_code == 200


def test_sessions_on_restricted_documents_need_read_access(owner):
    restricted = services.document_create(
        owner=owner, title="Shared", visibility=Visibility.RESTRICTED
    )
    services.session_create(document=restricted, user=owner)
    assert client_for(UserFactory()).get("/api/sessions").json()["count"] == 0
