"""The study group pages: the list with its filters, starting a group (with errors shown
on the form), a group's page (goals, ticks, reading list, meetups in the reader's zone,
members, activity, chat), a private group's page for outsiders, and management."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import UserFactory
from collaboration import services as docs
from community.models import GoalProgress, StudyGroup, StudyGroupJoinRequest
from community.services import groups_content as content
from community.services import groups_meetups as meetups
from community.services import groups_membership as membership
from community.tests.factories_groups import StudyGroupFactory

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def test_the_list_filters_and_uses_the_responsive_stylesheet():
    StudyGroupFactory(name="Transformers from scratch", topic_focus="transformers")
    StudyGroupFactory(
        name="RL circle", topic_focus="rl", is_private=True, description="Secret plans"
    )
    page = text(Client().get("/groups/"))
    assert "Transformers from scratch" in page and "RL circle" in page
    assert "Secret plans" not in page
    assert "css/groups.css" in page and 'name="viewport"' in page
    assert "RL circle" not in text(Client().get("/groups/?topic=transformers"))
    assert "Transformers" not in text(Client().get("/groups/?q=circle"))
    assert Client().get("/groups/?topic=unknown&page=x&open_seats=on").status_code == 200


def test_starting_a_group_shows_errors_on_the_form_then_creates_it():
    user = UserFactory()
    client = signed_in(user)
    assert Client().get("/groups/new/").status_code == 302
    bad = client.post("/groups/new/", {"name": "", "topic_focus": "x", "max_members": 1})
    assert bad.status_code == 200
    assert "Give the group a name." in text(bad) and "at least 2 seats" in text(bad)
    assert not StudyGroup.objects.exists()
    made = client.post(
        "/groups/new/",
        {
            "name": "Transformers",
            "topic_focus": "transformers",
            "max_members": 8,
            "learning_goals": "Explain attention\n\nImplement it\n",
        },
    )
    group = StudyGroup.objects.get()
    assert made.status_code == 302 and made["Location"] == f"/groups/{group.pk}/"
    assert list(group.goals.values_list("title", flat=True)) == [
        "Explain attention",
        "Implement it",
    ]


def test_a_group_page_shows_everything_and_ticks_work():
    group = StudyGroupFactory(name="Attention club")
    lena = UserFactory(username="lena")
    membership.group_join(group_id=group.pk, user=lena)
    page_doc = docs.document_create(owner=group.owner, title="Attention page", content="# A\n")
    content.reading_list_add(group_id=group.pk, user=lena, document=page_doc.pk)
    start = (timezone.now() + timedelta(days=5)).replace(hour=18, minute=0)
    meetups.meetup_schedule(
        group_id=group.pk, user=group.owner, title="Kick-off", timezone="Europe/Berlin",
        starts_at=start.isoformat(), ends_at=(start + timedelta(hours=1)).isoformat(),
    )  # fmt: skip
    client = signed_in(lena)
    page = text(client.get(f"/groups/{group.pk}/"))
    for expected in (
        "Attention club", "Explain attention", "Attention page", "Kick-off", "data-local-time",
        "Europe/Berlin", "lena", "Leave the group", 'id="chat"', "study-group.bundle.js",
        "0 of 2 members done",
    ):  # fmt: skip
        assert expected in page, expected
    goal = group.goals.get()
    done = client.post(f"/groups/{group.pk}/goals/{goal.pk}/done/")
    assert done.status_code == 302 and GoalProgress.objects.filter(goal=goal, user=lena).exists()
    assert "1 of 2 members done" in text(client.get(f"/groups/{group.pk}/"))
    assert "finished a goal" in text(client.get(f"/groups/{group.pk}/"))
    client.post(f"/groups/{group.pk}/goals/{goal.pk}/undone/")
    assert not GoalProgress.objects.filter(goal=goal, user=lena).exists()
    # Anonymous visitors read a public group and are asked to log in to join.
    assert "Log in to join" in text(Client().get(f"/groups/{group.pk}/"))


def test_join_full_and_leave_from_the_page():
    group = StudyGroupFactory(max_members=2)
    lena, bob = UserFactory(), UserFactory()
    joined = signed_in(lena).post(f"/groups/{group.pk}/join/", follow=True)
    assert "You are a member now" in text(joined)
    full = signed_in(bob).post(f"/groups/{group.pk}/join/", follow=True)
    assert "is full" in text(full)
    assert "All seats are taken" in text(full)
    left = signed_in(lena).post(f"/groups/{group.pk}/leave/", follow=True)
    assert "You left the group." in text(left)


def test_a_private_group_shows_outsiders_only_its_name_and_a_way_in():
    group = StudyGroupFactory(is_private=True, description="Members only plans")
    content.goal_add(group_id=group.pk, user=group.owner, title="Secret goal")
    outsider = UserFactory()
    client = signed_in(outsider)
    page = text(client.get(f"/groups/{group.pk}/"))
    assert group.name in page and "Ask to join" in page
    assert "Members only plans" not in page and "Secret goal" not in page
    client.post(f"/groups/{group.pk}/join/", {"message": "Please!"})
    request = StudyGroupJoinRequest.objects.get()
    assert request.message == "Please!"
    assert "You asked to join" in text(client.get(f"/groups/{group.pk}/"))
    assert client.get(f"/groups/{group.pk}/manage/").status_code == 404
    # The owner approves it on the management page.
    owner = signed_in(group.owner)
    manage = text(owner.get(f"/groups/{group.pk}/manage/"))
    assert outsider.username in manage and "Please!" in manage
    owner.post(f"/groups/{group.pk}/requests/{request.pk}/approve/", {"next": "manage"})
    assert "Secret goal" in text(client.get(f"/groups/{group.pk}/"))


def test_management_forms_show_errors_and_save():
    group = StudyGroupFactory()
    owner = signed_in(group.owner)
    member = UserFactory()
    membership.group_join(group_id=group.pk, user=member)
    assert signed_in(member).get(f"/groups/{group.pk}/manage/").status_code == 403

    bad_meetup = owner.post(
        f"/groups/{group.pk}/meetups/",
        {"title": "Old", "starts_at": "2001-01-01T10:00", "ends_at": "2001-01-01T11:00",
         "timezone": "Europe/Berlin"},
    )  # fmt: skip
    assert bad_meetup.status_code == 400 and "in the past" in text(bad_meetup)
    bad_zone = owner.post(
        f"/groups/{group.pk}/meetups/",
        {"title": "x", "starts_at": "2099-01-01T10:00", "ends_at": "2099-01-01T11:00",
         "timezone": "Mars/Base"},
    )  # fmt: skip
    assert "Choose a time zone from the list." in text(bad_zone)
    nobody = owner.post(f"/groups/{group.pk}/invite/", {"username": "ghost"})
    assert nobody.status_code == 400 and "Nobody is called" in text(nobody)
    shrink = owner.post(
        f"/groups/{group.pk}/manage/", {"name": group.name, "topic_focus": "t", "max_members": 1}
    )
    assert shrink.status_code == 400
    saved = owner.post(
        f"/groups/{group.pk}/manage/",
        {"name": "New name", "topic_focus": "nlp", "max_members": 4, "description": ""},
    )
    assert saved.status_code == 302
    group.refresh_from_db()
    assert (group.name, group.topic_focus, group.max_members) == ("New name", "nlp", 4)
    owner.post(f"/groups/{group.pk}/goals/", {"title": "Read chapter 2"})
    assert group.goals.filter(title="Read chapter 2").exists()
    role = owner.post(f"/groups/{group.pk}/members/{member.pk}/role/", {"role": "moderator"})
    assert role.status_code == 302
    assert group.members.get(user=member).role == "moderator"
    archived = owner.post(f"/groups/{group.pk}/archive/", {"next": "list"})
    assert archived["Location"] == "/groups/"
    assert "New name" not in text(Client().get("/groups/"))
