"""@mentions in room chat: whoever is @named in a message (or an edit of it) and may read
the room is notified, with a link to the page that shows the room's chat.

collaboration sends `room_message_posted` inside the transaction that stores the text;
`notify_mentions` queues the notifications for after the commit. The event key is the
message's, so an edit that keeps a mention notifies nobody twice and an edit that adds one
notifies the new person only. In a private room only its members and site moderators
read it: anyone else named is left out (a mention must not leak the conversation).
"""

from __future__ import annotations

from django.dispatch import receiver

from accounts.models import User
from collaboration.models import Room, RoomMember
from collaboration.permissions import can_read_room
from collaboration.signals import room_message_posted

from ..mentions import mentioned_user_ids, notify_mentions
from ..selectors.rooms import room_home


def _non_readers(room: Room, user_ids: list[int]) -> set[int]:
    """Those of `user_ids` who may not read the room."""
    if room.is_public or not user_ids:
        return set()
    members = set(
        RoomMember.objects.filter(room=room, user_id__in=user_ids).values_list("user_id", flat=True)
    )
    users = User.objects.filter(pk__in=user_ids)
    return {
        user.pk for user in users if not can_read_room(user, room, is_member=user.pk in members)
    }


@receiver(room_message_posted, dispatch_uid="community.rooms.mentions")
def notify_room_mentions(
    sender, *, message_id: int, room_id: int, author_id: int | None, text: str, is_edit: bool, **_
) -> None:
    if not text or "@" not in text:
        return
    room = Room.objects.get(pk=room_id)
    mentioned = mentioned_user_ids(text)
    if not mentioned:
        return
    author = User.objects.filter(pk=author_id).values_list("username", flat=True).first()
    home = room_home(room)
    notify_mentions(
        text=text,
        actor_id=author_id,
        key_prefix=f"room-message:{message_id}",
        title=f"{author or 'Someone'} mentioned you in the chat of {home.label}",
        url=home.url,
        exclude_ids=_non_readers(room, mentioned),
    )
