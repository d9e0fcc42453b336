"""Where a room lives on the site: the study group's or AMA's page, or its own page.

Rooms belong to the apps that create them (`room.kind`); links to a room's chat (pages,
@mention notifications) go to the page that shows it, at its #chat section.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from collaboration.models import Room

from ..models import AmaSession, StudyGroup


@dataclass(frozen=True)
class RoomHome:
    label: str  # what the room belongs to, for "Back to …"
    url: str  # the page that shows the room's chat, ending in #chat
    owned: bool = True  # False: no group or AMA shows it, only the room's own page


def room_home(room: Room) -> RoomHome:
    """The study group's page (`/groups/<id>/#chat`), the AMA's (`/amas/<id>/#chat`), or
    the room's own page for any other kind (or an owner that is gone)."""
    if room.kind == "study_group":
        group = StudyGroup.objects.filter(room=room).values_list("pk", "name").first()
        if group is not None:
            return RoomHome(label=group[1], url=f"/groups/{group[0]}/#chat")
    elif room.kind == "ama":
        ama = AmaSession.objects.filter(room=room).values_list("pk", "topic").first()
        if ama is not None:
            return RoomHome(label=ama[1], url=f"/amas/{ama[0]}/#chat")
    url = reverse("community:room-detail", args=[room.pk])
    return RoomHome(label=room.title, url=f"{url}#chat", owned=False)
