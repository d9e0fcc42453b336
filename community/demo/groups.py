"""Demo study groups for `manage.py seed` (connected by community.hooks.groups): a public
group reading the transformer pages and a private one on reinforcement learning, each
with goals, a reading list of the demo pages, members with some goals ticked and a
meetup next week. Made through the services, as people would; idempotent (a group that
exists by name is left alone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from collaboration.models import Document

from ..models import StudyGroup
from ..services import groups, groups_content, groups_meetups, groups_membership


@dataclass(frozen=True)
class DemoGroup:
    name: str
    owner: str
    topic: str
    description: str
    private: bool
    seats: int
    goals: tuple[str, ...]
    reading: tuple[str, ...]
    members: tuple[str, ...]
    ticks: dict[str, tuple[int, ...]] = field(default_factory=dict)  # member -> goal indexes
    meetup: tuple[str, str, int, str] = ("", "", 18, "UTC")  # title, agenda, hour, zone


DEMO_GROUPS = (
    DemoGroup(
        name="Transformers from scratch",
        owner="eve",
        topic="transformers",
        description="We read the attention pages together, one section a week, and "
        "implement each piece in a notebook. Beginners welcome: ask anything in the chat.",
        private=False,
        seats=12,
        goals=(
            "Explain scaled dot-product attention in your own words",
            "Implement multi-head attention in NumPy",
            "Train a tiny transformer on character-level text",
        ),
        reading=("attention-and-transformers", "backpropagation-step-by-step"),
        members=("lena", "carlos", "rui"),
        ticks={"eve": (0, 1), "carlos": (0,), "rui": (0,)},
        meetup=(
            "Week 3: multi-head attention",
            "1. Questions from last week\n2. Walk through the multi-head code\n3. Next reading",
            19,
            "Europe/Berlin",
        ),
    ),
    DemoGroup(
        name="RL reading circle",
        owner="mo",
        topic="reinforcement-learning",
        description="A small, private circle working through the basics of reinforcement "
        "learning. Ask to join and say what you would like to learn.",
        private=True,
        seats=6,
        goals=("Derive the Bellman equation", "Solve GridWorld with value iteration"),
        reading=("reinforcement-learning-basics", "regularisation-and-overfitting"),
        members=("lena",),
        ticks={"mo": (0,)},
        meetup=("Value iteration, live", "Bring your GridWorld code.", 17, "America/New_York"),
    ),
)


def _next_week(now: datetime, hour: int, zone: str) -> datetime:
    local = (now + timedelta(days=7)).astimezone(ZoneInfo(zone))
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def _seed_group(spec: DemoGroup, users: dict, documents: dict[str, Document], now) -> None:
    owner = users[spec.owner]
    group = groups.group_create(
        owner=owner,
        name=spec.name,
        description=spec.description,
        topic_focus=spec.topic,
        max_members=spec.seats,
        is_private=spec.private,
        learning_goals=list(spec.goals),
    )
    for username in spec.members:
        if spec.private:
            groups_membership.invitation_create(group_id=group.pk, user=owner, username=username)
        groups_membership.group_join(group_id=group.pk, user=users[username])
    for slug in spec.reading:
        if slug in documents:
            groups_content.reading_list_add(
                group_id=group.pk, user=owner, document=documents[slug].pk
            )
    goal_ids = list(group.goals.values_list("pk", flat=True))
    for username, indexes in spec.ticks.items():
        for index in indexes:
            groups_content.goal_tick(
                group_id=group.pk, goal_id=goal_ids[index], user=users[username]
            )
    title, agenda, hour, zone = spec.meetup
    start = _next_week(now, hour, zone)
    groups_meetups.meetup_schedule(
        group_id=group.pk,
        user=owner,
        title=title,
        agenda=agenda,
        starts_at=start,
        ends_at=start + timedelta(hours=1, minutes=30),
        timezone=zone,
        location="The group's chat room",
    )


def seed_groups(*, users: dict, documents: dict[str, Document], now=None, **_kwargs) -> None:
    """Receiver of `collaboration.demo.demo_seeded` (inside the seed's transaction)."""
    now = now or timezone.now()
    for spec in DEMO_GROUPS:
        wanted = {spec.owner, *spec.members, *spec.ticks}
        if StudyGroup.objects.filter(name=spec.name).exists() or not wanted <= set(users):
            continue
        _seed_group(spec, users, documents, now)
