"""Votes as the people who cast them see them."""

from __future__ import annotations

from collections.abc import Iterable

from collaboration.permissions import is_signed_in

from ..models import Vote


def my_votes(user, target_type: str, ids: Iterable[int]) -> dict[int, int]:
    """{item id: 1 or -1} for the items of `target_type` among `ids` that `user` voted on
    (one query; nothing for anonymous readers). Serializers show `my_vote` from it: an id
    missing from the answer means 0."""
    ids = list(ids)
    if not ids or not is_signed_in(user):
        return {}
    return dict(
        Vote.objects.filter(user=user, target_type=target_type, target_id__in=ids).values_list(
            "target_id", "value"
        )
    )
