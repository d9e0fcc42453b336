"""Contribution tracking on the platform's seams: the contribution badges join the
community's registry (so they are awarded, shown and announced like the others), and
profiles get a panel with the person's contribution statistics."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

from community import badges as community_badges
from config import panels

from ..badges import CONTRIBUTION_BADGES
from ..proposals.stats import contribution_stats

if TYPE_CHECKING:
    from accounts.models import User

PANEL_TEMPLATE = "contributions/proposals/_profile_stats.html"

for _badge in CONTRIBUTION_BADGES:
    community_badges.register(_badge)


def profile_stats_panel(request: HttpRequest, person: User) -> panels.Panel:
    stats = contribution_stats(person=person, viewer=request.user)
    return panels.Panel(PANEL_TEMPLATE, {"person": person, "stats": stats})


panels.register("profile", "contributions.stats", profile_stats_panel)
