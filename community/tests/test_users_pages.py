"""People pages: the list by reputation, the community panel of profiles (reputation
chart, badges, posts the viewer may see) and the reputation ledger page."""

import re
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from collaboration.models import MemberRole, Visibility
from collaboration.tests.factories import DocumentFactory, DocumentMemberFactory
from community.models import BadgeAward
from community.selectors.reputation import HistoryPoint
from community.services import votes
from community.tests.factories import AnswerFactory, CommentFactory, QuestionFactory
from community.views.users import CHART_HEIGHT, CHART_WIDTH, USERS_PER_PAGE, reputation_chart

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def page(client, url: str, viewer=None) -> str:
    if viewer is not None:
        client.force_login(viewer)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html)  # the CSP allows no inline script
    return html


def profile(client, person, viewer=None) -> str:
    return page(client, reverse("accounts:profile", args=[person.username]), viewer)


# --- the user list ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_people_are_listed_by_reputation_with_links_to_their_profiles(client):
    low = UserFactory(username="low", reputation=5)
    high = UserFactory(username="high", reputation=900)
    UserFactory(username="gone", reputation=5000, is_active=False)

    html = page(client, reverse("community:user-list"))

    assert html.index("@high") < html.index("@low")
    assert "@gone" not in html
    assert reverse("accounts:profile", args=[high.username]) in html
    assert reverse("accounts:profile", args=[low.username]) in html
    assert 'name="viewport"' in html


@pytest.mark.django_db
def test_people_are_found_by_username_or_name(client):
    UserFactory(username="ada", full_name="Ada Lovelace")
    UserFactory(username="alan", full_name="Alan Turing")

    by_name = page(client, reverse("community:user-list") + "?q=lovelace")
    by_username = page(client, reverse("community:user-list") + "?q=ALA")
    nobody = page(client, reverse("community:user-list") + "?q=zzz")

    assert "@ada" in by_name and "@alan" not in by_name
    assert "@alan" in by_username and "@ada" not in by_username
    assert "Nobody" in nobody and "zzz" in nobody


@pytest.mark.django_db
def test_a_search_with_a_nul_character_is_a_search_not_an_error(client):
    UserFactory(username="ada")
    assert "@ada" in page(client, reverse("community:user-list") + "?q=ad%00a")


@pytest.mark.django_db
def test_the_list_has_pages(client):
    for number in range(USERS_PER_PAGE + 1):
        UserFactory(username=f"p{number:03d}", reputation=1000 - number)

    first = page(client, reverse("community:user-list"))
    second = page(client, reverse("community:user-list") + "?page=2")
    beyond = page(client, reverse("community:user-list") + "?page=99")

    assert "@p000" in first and f"@p{USERS_PER_PAGE:03d}" not in first
    assert f"@p{USERS_PER_PAGE:03d}" in second and "@p000" not in second
    assert "Page 2 of 2" in beyond  # a page past the end shows the last one


@pytest.mark.django_db
def test_the_list_shows_badge_counts(client):
    person = UserFactory(username="decorated")
    BadgeAward.objects.create(user=person, badge="first-question", level="bronze")
    BadgeAward.objects.create(user=person, badge="good-answer", level="silver", target_id=3)
    html = page(client, reverse("community:user-list"))
    assert "1 silver badge" in html and "1 bronze badge" in html


# --- the profile panel ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_profile_shows_reputation_over_time_badges_and_posts(client):
    person = UserFactory()
    question = QuestionFactory(author=person, title="Why scale by the square root of d_k?")
    answer = AnswerFactory(author=person)
    CommentFactory(author=person, content="Typo in the second formula.")
    votes.vote(user=UserFactory(), target_type="answer", target_id=answer.pk, value=1)
    BadgeAward.objects.create(user=person, badge="first-question", level="bronze")
    BadgeAward.objects.create(
        user=person, badge="good-answer", level="silver", target_type="answer", target_id=answer.pk
    )

    html = profile(client, person, UserFactory())

    assert "In the community" in html
    assert "<svg" in html and 'class="rep-chart-line"' in html
    assert f"{settings.REPUTATION_START + settings.REPUTATION_ANSWER_UPVOTED}" in html
    assert "Answer up-voted" in html  # the recent changes
    assert html.index(">Silver<") < html.index(">Bronze<")  # most precious first
    assert "Curious" in html and "Good answer" in html
    assert question.title in html
    assert answer.question.title in html
    assert "Typo in the second formula." in html
    assert "Your privileges" not in html  # only on your own profile
    assert "profile-community.css" in html


@pytest.mark.django_db
def test_a_newcomer_profile_says_what_to_do(client):
    person = UserFactory()
    html = profile(client, person, person)
    assert "No badges yet: ask a question" in html
    assert "<svg" not in html
    assert "Your privileges" in html
    assert f"at {settings.PRIVILEGE_DOWNVOTE} reputation" in html


@pytest.mark.django_db
def test_posts_the_viewer_may_not_see_stay_off_the_profile(client):
    document = DocumentFactory(visibility=Visibility.RESTRICTED, title="Internal roadmap")
    person = DocumentMemberFactory(document=document, role=MemberRole.EDITOR).user
    CommentFactory(author=person, document=document, content="Ship the secret model in May.")
    QuestionFactory(author=person, document=document, title="Restricted question")
    QuestionFactory(author=person, title="Hidden question", is_hidden=True)
    QuestionFactory(author=person, title="Deleted question", deleted_at=timezone.now())

    outsider = profile(client, person, UserFactory())
    client.logout()
    themselves = profile(client, person, person)

    for secret in ("secret model", "Internal roadmap", "Restricted question", "Hidden question"):
        assert secret not in outsider
    for theirs in ("secret model", "Internal roadmap", "Restricted question", "Hidden question"):
        assert theirs in themselves
    assert "Deleted question" not in themselves


@pytest.mark.django_db
def test_anonymous_visitors_see_the_panel(client):
    person = UserFactory()
    QuestionFactory(author=person, title="Public question about dropout")
    assert "Public question about dropout" in profile(client, person)


# --- the reputation page ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_reputation_page_lists_every_change_and_the_rules(client):
    answer = AnswerFactory()
    voter = UserFactory()
    votes.vote(user=voter, target_type="answer", target_id=answer.pk, value=1)
    votes.vote(user=voter, target_type="answer", target_id=answer.pk, value=0)

    html = page(client, reverse("community:user-reputation", args=[answer.author.username]))

    assert html.count('<li class="rep-line') == 2
    assert "(undone)" in html
    assert f"at most {settings.REPUTATION_DAILY_VOTE_CAP} a day" in html


@pytest.mark.django_db
def test_the_reputation_page_of_nobody_is_a_404(client):
    response = client.get(reverse("community:user-reputation", args=["nobody-at-all"]))
    assert response.status_code == 404


# --- the chart -------------------------------------------------------------------------------


def test_no_history_draws_no_chart():
    assert reputation_chart([], 1) is None


def test_the_chart_starts_flat_the_day_before_and_steps_to_each_day_close():
    today = date(2026, 3, 10)
    points = [
        HistoryPoint(today - timedelta(days=4), 11),
        HistoryPoint(today - timedelta(days=2), 9),
        HistoryPoint(today, 9),
    ]

    chart = reputation_chart(points, 1)

    assert (chart.first_day, chart.last_day) == (today - timedelta(days=5), today)
    assert (chart.low, chart.high, chart.start, chart.now) == (1, 11, 1, 9)
    assert chart.line.startswith(f"M0,{CHART_HEIGHT - 4}")  # the start is the lowest value
    assert f"H{CHART_WIDTH}" in chart.line  # reaches today at the right edge
    assert "V4H" in chart.line  # the highest value touches the top padding
    assert chart.area.endswith("Z")


def test_a_single_day_still_draws_a_line():
    chart = reputation_chart([HistoryPoint(date(2026, 1, 1), 11)], 1)
    assert chart.line == f"M0,{CHART_HEIGHT - 4}H{CHART_WIDTH}V4"
