"""People pages: the list by reputation (`/users/`), a person's reputation ledger
(`/users/<username>/reputation/`), and the community panel on profile pages.

The reputation chart is an inline SVG drawn here, so it needs no script and shows the
same on every device; the figures under it say the same in words for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import path

from collaboration.permissions import is_signed_in
from config.panels import Panel

from .. import privileges
from ..selectors import users as people
from ..selectors.reputation import HistoryPoint, ledger_lines, reputation_history
from ..selectors.targets import target_links

USERS_PER_PAGE = 36
LINES_PER_PAGE = 50
RECENT_LINES = 5
CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 300, 80, 4


@dataclass(frozen=True)
class Chart:
    """An SVG step line of reputation over time (viewBox CHART_WIDTH x CHART_HEIGHT)."""

    line: str
    area: str
    first_day: date
    last_day: date
    low: int
    high: int
    start: int
    now: int


def _coordinate(value: float) -> str:
    """At most two decimals, none when whole ("76", "12.5"): short SVG paths."""
    return f"{round(value, 2):g}"


def reputation_chart(points: list[HistoryPoint], start: int) -> Chart | None:
    """Reputation as a step line: flat at `start` the day before the first change, then
    each day's closing figure until the last point (today). None without points."""
    if not points:
        return None
    first_day = points[0].day - timedelta(days=1)
    span = max((points[-1].day - first_day).days, 1)
    values = [start, *(p.reputation for p in points)]
    low, high = min(values), max(values)
    rise = max(high - low, 1)

    def x(day: date) -> str:
        return _coordinate((day - first_day).days / span * CHART_WIDTH)

    def y(value: int) -> str:
        inner = CHART_HEIGHT - 2 * CHART_PAD
        return _coordinate(CHART_PAD + (high - value) / rise * inner)

    steps = [f"M0,{y(start)}"]
    for point in points:
        steps.append(f"H{x(point.day)}V{y(point.reputation)}")
    line = "".join(steps)
    area = f"{line}V{CHART_HEIGHT}H0Z"
    return Chart(line, area, first_day, points[-1].day, low, high, start, points[-1].reputation)


@dataclass(frozen=True)
class LedgerRow:
    line: object  # ReputationEvent
    link: object  # TargetLink | None: None when the viewer may not see the item


def _ledger_rows(viewer, lines) -> list[LedgerRow]:
    links = target_links(viewer, [(line.target_type, line.target_id) for line in lines])
    return [LedgerRow(line, links.get((line.target_type, line.target_id))) for line in lines]


def _privilege_rows(person) -> list[dict]:
    return [
        {
            "name": privilege.name,
            "doing": privilege.doing,
            "threshold": privilege.threshold,
            "granted": privileges.has_privilege(person, privilege),
        }
        for privilege in privileges.ALL
    ]


def _rules() -> dict[str, int]:
    """What moves reputation, from settings, for the page that explains it."""
    return {
        "start": settings.REPUTATION_START,
        "daily_cap": settings.REPUTATION_DAILY_VOTE_CAP,
        "question_upvoted": settings.REPUTATION_QUESTION_UPVOTED,
        "answer_upvoted": settings.REPUTATION_ANSWER_UPVOTED,
        "answer_accepted": settings.REPUTATION_ANSWER_ACCEPTED,
        "accepted_answer": settings.REPUTATION_ACCEPTED_ANSWER,
        "downvoted": settings.REPUTATION_DOWNVOTED,
        "downvote_cast": settings.REPUTATION_DOWNVOTE_CAST,
    }


def profile_panel(request, person) -> Panel:
    """The community section of a profile: reputation (chart, recent changes), badges,
    and the person's questions, answers and comments the viewer may see."""
    viewer = request.user
    is_self = is_signed_in(viewer) and viewer.pk == person.pk
    start = settings.REPUTATION_START
    badges = people.badges_of(person=person, viewer=viewer)
    return Panel(
        "community/_profile_community.html",
        {
            "person": person,
            "is_self": is_self,
            "chart": reputation_chart(reputation_history(person=person), start),
            "recent": _ledger_rows(viewer, list(ledger_lines(person=person)[:RECENT_LINES])),
            "badges": badges,
            "badge_count": sum(earned.count for level in badges.values() for earned in level),
            "questions": people.questions_by(person=person, viewer=viewer),
            "answers": people.answers_by(person=person, viewer=viewer),
            "comments": people.comments_by(person=person, viewer=viewer),
            "privileges": _privilege_rows(person) if is_self else None,
        },
    )


def user_list(request):
    query = request.GET.get("q", "")[:100].replace("\x00", "").strip()
    page = Paginator(people.user_list(query=query), USERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "community/users/list.html", {"page": page, "query": query})


def user_reputation(request, username: str):
    person = people.person_find(username=username)
    if person is None:
        raise Http404("There is no such person.")
    page = Paginator(ledger_lines(person=person), LINES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "community/users/reputation.html",
        {
            "person": person,
            "page": page,
            "rows": _ledger_rows(request.user, list(page.object_list)),
            "chart": reputation_chart(reputation_history(person=person), settings.REPUTATION_START),
            "rules": _rules(),
        },
    )


PAGES = [
    path("users/", user_list, name="user-list"),
    path("users/<str:username>/reputation/", user_reputation, name="user-reputation"),
]
