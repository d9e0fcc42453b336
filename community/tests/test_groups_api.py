"""The study groups API as a client uses it: the original create fields, the list with
its filters, details (404 for a private group to outsiders), join and leave, requests
and invitations, members, reading list, goals with progress, meetups, the feed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from collaboration import services as docs
from community.models import StudyGroup
from community.services import groups_membership as membership
from community.tests.factories_groups import StudyGroupFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def owner():
    return UserFactory(username="owner")


@pytest.fixture
def api(owner):
    return client_for(owner)


def create(api, **fields):
    body = {
        "name": "Transformers from scratch",
        "description": "One page a week.",
        "topic_focus": "transformers",
        "max_members": 3,
        "is_private": False,
        "learning_goals": ["Explain attention", "Implement it"],
        **fields,
    }
    return api.post("/api/study-groups", body, format="json")


def test_create_with_the_original_fields_and_read_it_back(api, owner):
    response = create(api)
    assert response.status_code == 201, response.content
    group = response.json()
    assert group["name"] == "Transformers from scratch"
    assert (group["member_count"], group["max_members"], group["seats_left"]) == (1, 3, 2)
    assert group["is_member"] and group["role"] == "owner"
    assert group["room_id"] == StudyGroup.objects.get().room_id
    assert [g["title"] for g in group["goals"]] == ["Explain attention", "Implement it"]
    assert group["goals"][0] | {"id": 0} == {
        "id": 0, "title": "Explain attention", "description": "", "position": 0,
        "done_count": 0, "member_count": 1, "percent": 0, "done_by_me": False,
    }  # fmt: skip
    assert api.get(f"/api/study-groups/{group['id']}").json() == group


def test_bad_input_is_a_400_naming_the_fields_and_creates_nothing(api):
    response = create(api, name="", max_members=1, learning_goals="x")
    assert response.status_code == 400
    assert {"name", "max_members", "learning_goals"} <= set(response.json()["error"]["fields"])
    assert create(api, topic_focus="\x00").status_code == 400
    assert not StudyGroup.objects.exists()
    assert APIClient().post("/api/study-groups", {}, format="json").status_code == 401


def test_the_list_filters_by_topic_open_seats_membership_and_words(api, owner):
    full = StudyGroupFactory(name="Vision club", topic_focus="vision", max_members=2)
    membership.group_join(group_id=full.pk, user=UserFactory())
    StudyGroupFactory(name="Secret RL", topic_focus="rl", is_private=True, description="Hidden")
    mine = create(api).json()

    def names(query=""):
        response = api.get(f"/api/study-groups{query}")
        assert response.status_code == 200, response.content
        return [g["name"] for g in response.json()["results"]]

    assert names() == ["Transformers from scratch", "Secret RL", "Vision club"]
    assert names("?topic=VISION") == ["Vision club"]
    assert "Vision club" not in names("?open_seats=true")
    assert names("?member=me") == [mine["name"]]
    assert names("?q=secret") == ["Secret RL"]
    assert names("?q=hidden") == []  # a private group's description is not searched
    secret = next(g for g in api.get("/api/study-groups").json()["results"] if g["is_private"])
    assert secret["description"] is None and not secret["is_member"]
    assert api.get("/api/study-groups?open_seats=maybe").status_code == 400


def test_a_private_group_is_404_to_outsiders_inside_and_out(owner):
    group = StudyGroupFactory(owner=owner, is_private=True)
    outsider = client_for(UserFactory())
    base = f"/api/study-groups/{group.pk}"
    for path in ("", "/members", "/reading-list", "/goals", "/meetups", "/activity"):
        assert outsider.get(base + path).status_code == 404, path
        assert APIClient().get(base + path).status_code == 404, path
    assert outsider.patch(base, {"name": "Mine now"}, format="json").status_code == 404
    assert outsider.post(f"{base}/goals", {"title": "Take over"}, format="json").status_code == 404
    body = outsider.post(f"{base}/goals/{group.goals.get().pk}/progress").json()
    assert body["error"]["code"] == "not_found"
    # Public groups are readable by everyone.
    public = StudyGroupFactory()
    assert APIClient().get(f"/api/study-groups/{public.pk}/members").status_code == 200


def test_join_full_leave_and_the_room(api, owner):
    group = create(api, max_members=2).json()
    lena, bob = client_for(UserFactory()), client_for(UserFactory())
    base = f"/api/study-groups/{group['id']}"
    joined = lena.post(f"{base}/join", {}, format="json")
    assert joined.status_code == 200 and joined.json()["status"] == "joined"
    full = bob.post(f"{base}/join", {}, format="json")
    assert full.status_code == 409 and "full" in full.json()["error"]["message"]
    assert lena.get(base).json()["is_member"] is True
    assert lena.post(f"{base}/leave").status_code == 204
    assert lena.post(f"{base}/leave").status_code == 409
    assert api.post(f"{base}/leave").status_code == 409  # the owner hands over first
    assert bob.post(f"{base}/join", {}, format="json").json()["status"] == "joined"


def test_request_invite_approve_decline_over_the_api(api, owner):
    group = create(api, is_private=True).json()
    base = f"/api/study-groups/{group['id']}"
    lena_user = UserFactory(username="lena")
    lena = client_for(lena_user)
    asked = lena.post(f"{base}/requests", {"message": "Hi!"}, format="json").json()
    assert asked["status"] == "requested" and asked["request"]["message"] == "Hi!"
    assert lena.get(base).status_code == 404  # still outside
    mine = lena.get(f"{base}/requests").json()["results"]
    assert [r["id"] for r in mine] == [asked["request"]["id"]]
    pending = api.get(f"{base}/requests").json()["results"]
    assert [(r["kind"], r["user"]["username"]) for r in pending] == [("request", "lena")]
    assert lena.post(f"{base}/requests/{asked['request']['id']}/approve").status_code == 404
    assert api.post(f"{base}/requests/{asked['request']['id']}/approve").status_code == 204
    assert lena.get(base).json()["role"] == "member"
    assert api.post(f"{base}/requests/{asked['request']['id']}/approve").status_code == 409

    eve = UserFactory(username="eve")
    invited = api.post(f"{base}/invitations", {"username": "eve"}, format="json")
    assert invited.status_code == 201 and invited.json()["status"] == "invited"
    assert client_for(eve).get(base).status_code == 200  # to decide, eve may read it
    assert client_for(eve).get(base).json()["pending"]["kind"] == "invitation"
    nobody = api.post(f"{base}/invitations", {"username": "nobody"}, format="json")
    assert nobody.status_code == 400 and "username" in nobody.json()["error"]["fields"]
    request_id = invited.json()["request"]["id"]
    assert client_for(eve).post(f"{base}/requests/{request_id}/decline").status_code == 204
    assert client_for(eve).get(base).status_code == 404


def test_members_roles_and_removal(api, owner):
    group = create(api).json()
    base = f"/api/study-groups/{group['id']}"
    mod, lena = UserFactory(username="mod"), UserFactory(username="lena")
    for user in (mod, lena):
        client_for(user).post(f"{base}/join", {}, format="json")
    assert (
        api.patch(f"{base}/members/{mod.pk}", {"role": "moderator"}, format="json").status_code
        == 204
    )
    listed = api.get(f"{base}/members").json()["results"]
    assert [(m["user"]["username"], m["role"]) for m in listed] == [
        ("owner", "owner"), ("mod", "moderator"), ("lena", "member"),
    ]  # fmt: skip
    assert client_for(lena).delete(f"{base}/members/{mod.pk}").status_code == 403
    assert (
        api.patch(f"{base}/members/{lena.pk}", {"role": "king"}, format="json").status_code == 400
    )
    assert client_for(mod).delete(f"{base}/members/{lena.pk}").status_code == 204
    assert client_for(mod).delete(f"{base}/members/{mod.pk}").status_code == 204  # leaving
    assert api.get(base).json()["member_count"] == 1


def test_reading_list_goals_progress_meetups_and_activity(api, owner):
    group = create(api).json()
    base = f"/api/study-groups/{group['id']}"
    page = docs.document_create(owner=owner, title="Attention", content="# A\n")
    lena = client_for(UserFactory(username="lena"))
    lena.post(f"{base}/join", {}, format="json")

    added = lena.post(f"{base}/reading-list", {"document_id": page.slug}, format="json")
    assert added.status_code == 201 and added.json()["document"]["title"] == "Attention"
    again = lena.post(f"{base}/reading-list", {"document_id": page.pk}, format="json")
    assert again.status_code == 409
    unknown = lena.post(f"{base}/reading-list", {"document_id": "no-such"}, format="json")
    assert unknown.status_code == 400 and "document_id" in unknown.json()["error"]["fields"]
    assert [i["document"]["slug"] for i in lena.get(f"{base}/reading-list").json()["results"]] == [
        page.slug
    ]

    goal = api.post(f"{base}/goals", {"title": "Train a tiny model"}, format="json").json()
    assert lena.post(f"{base}/goals", {"title": "Mine"}, format="json").status_code == 403
    ticked = lena.post(f"{base}/goals/{goal['id']}/progress").json()
    assert (ticked["done_count"], ticked["member_count"], ticked["done_by_me"]) == (1, 2, True)
    assert ticked["percent"] == 50
    unticked = lena.delete(f"{base}/goals/{goal['id']}/progress").json()
    assert (unticked["done_count"], unticked["done_by_me"]) == (0, False)
    edited = api.patch(f"{base}/goals/{goal['id']}", {"title": "Train it"}, format="json")
    assert edited.json()["title"] == "Train it"

    start = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    meetup = api.post(
        f"{base}/meetups",
        {
            "title": "Kick-off",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "timezone": "Asia/Tokyo",
            "agenda": "Introductions",
        },
        format="json",
    )
    assert meetup.status_code == 201, meetup.content
    body = meetup.json()
    assert body["timezone"] == "Asia/Tokyo" and body["local_starts_at"].endswith("+09:00")
    assert body["starts_at"].endswith("Z")
    past = api.post(
        f"{base}/meetups",
        {"title": "Old", "starts_at": "2000-01-01T10:00Z", "ends_at": "2000-01-01T11:00Z"},
        format="json",
    )
    assert past.status_code == 400 and "starts_at" in past.json()["error"]["fields"]
    assert api.delete(f"{base}/meetups/{body['id']}").status_code == 204
    assert lena.get(f"{base}/meetups/{body['id']}").json()["cancelled_at"] is not None

    kinds = [e["kind"] for e in lena.get(f"{base}/activity").json()["results"]]
    assert kinds == ["meetup_scheduled", "goal_completed", "document_added", "joined", "joined"]
    text = lena.get(f"{base}/activity").json()["results"][1]["text"]
    assert text == "lena finished a goal: “Train it”"


def test_archive_hides_the_group_from_the_list(api, owner):
    group = create(api).json()
    lena = client_for(UserFactory())
    assert lena.delete(f"/api/study-groups/{group['id']}").status_code == 403
    assert api.delete(f"/api/study-groups/{group['id']}").status_code == 204
    assert api.get("/api/study-groups").json()["count"] == 0
    assert api.get(f"/api/study-groups/{group['id']}").json()["archived_at"] is not None
    assert lena.get(f"/api/study-groups/{group['id']}").status_code == 404
    assert (
        api.patch(f"/api/study-groups/{group['id']}", {"name": "Back"}, format="json").status_code
        == 409
    )
