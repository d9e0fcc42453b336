"""Voting on questions, answers and comments, and the reputation votes move.

One vote per person per item (`Vote`, unique); voting again with another value replaces
it, 0 retracts it, the same value again changes nothing. Everything one vote changes (the
Vote row, the item's `score`, the reputation lines) is written in one transaction while
the item's row is locked, so concurrent votes on one item queue there and the score stays
the exact sum of its votes.

Reputation, Stack Overflow's rules with the values from settings:
- question or answer up-voted: REPUTATION_{QUESTION,ANSWER}_UPVOTED to its author, a
  `capped` line (at most REPUTATION_DAILY_VOTE_CAP a day from votes);
- question or answer down-voted: REPUTATION_DOWNVOTED to its author;
- down-voting an answer costs the voter REPUTATION_DOWNVOTE_CAST (questions: free);
- comment votes move no reputation.
Author lines have source `vote:<vote id>`, the voter's `vote:<vote id>:cast`; changing or
retracting a vote reverses exactly the lines it had written (a capped gain that gave 0
takes 0 back).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import Http404

from accounts.models import User
from collaboration.locking import take_sqlite_write_lock
from collaboration.permissions import is_signed_in

from .. import privileges
from ..errors import Conflict, InvalidInput, NotAllowed
from ..models import ReputationReason, TargetType, Vote
from ..selectors.targets import can_see_target
from ..targets import lock_target, target_model
from . import badges, reputation

UP, DOWN, NONE = 1, -1, 0
VALUES = (UP, DOWN, NONE)


@dataclass(frozen=True)
class VoteResult:
    target_type: str
    target_id: int
    score: int
    my_vote: int


@dataclass(frozen=True)
class _Line:
    user_id: int
    source: str
    amount: int
    reason: str
    capped: bool = False


def vote(*, user, target_type: str, target_id: int, value: int) -> VoteResult:
    """Records `user`'s vote (1, -1, or 0 to retract) on an item; answers its new score.

    Raises Http404 (no such item, or one the user may not see), InvalidInput (a value
    other than 1/-1/0, a down-vote on a comment), NotAllowed (own post, not signed in),
    InsufficientReputation (the right to up- or down-vote), Conflict (a locked, deleted
    or hidden post).
    """
    if value not in VALUES:
        raise InvalidInput("A vote is 1 (up), -1 (down) or 0 (take your vote back).", "value")
    try:
        model = target_model(target_type)
    except ValueError:
        raise InvalidInput(
            "Only questions, answers and comments take votes.", "target_type"
        ) from None
    if not is_signed_in(user) or not user.may_sign_in:
        raise NotAllowed("Sign in to vote.")

    with transaction.atomic():
        take_sqlite_write_lock(model, target_id)
        item = lock_target(target_type, target_id)
        if not can_see_target(user, target_type, item):
            raise Http404("There is no such post.")
        _check_may_vote(user, target_type, item, value)

        existing = Vote.objects.filter(
            user=user, target_type=target_type, target_id=item.pk
        ).first()
        old = existing.value if existing else NONE
        if value == old:
            return VoteResult(target_type, item.pk, item.score, value)

        _lock_people({item.author_id, user.pk})
        if existing is not None:
            for line in _lines(existing, target_type, item.author_id):
                reputation.reverse(user_id=line.user_id, source=line.source)
        if value == NONE:
            existing.delete()
        else:
            if existing is None:
                existing = Vote(user=user, target_type=target_type, target_id=item.pk)
            existing.value = value
            existing.save()
            for line in _lines(existing, target_type, item.author_id):
                reputation.grant(
                    user_id=line.user_id,
                    amount=line.amount,
                    reason=line.reason,
                    source=line.source,
                    target_type=target_type,
                    target_id=item.pk,
                    actor_id=user.pk,
                    capped=line.capped,
                )

        model.objects.filter(pk=item.pk).update(score=F("score") + (value - old))
        if value == UP:
            badges.schedule_check(item.author_id)  # "good answer", "helpful commenter"
        # The row is locked, so its score plus our change is the score now.
        return VoteResult(target_type, item.pk, item.score + value - old, value)


def _check_may_vote(user, target_type: str, item, value: int) -> None:
    if target_type == TargetType.COMMENT and value == DOWN:
        raise InvalidInput(
            "Comments take up-votes only; flag a comment that breaks the rules.", "value"
        )
    if item.author_id == user.pk:
        raise NotAllowed(f"You cannot vote on your own {target_type}.")
    if value == UP:
        privileges.require_privilege(user, privileges.UPVOTE)
    elif value == DOWN:
        privileges.require_privilege(user, privileges.DOWNVOTE)
    if item.deleted_at is not None:
        raise Conflict(f"This {target_type} was deleted; it takes no votes.")
    if item.is_hidden:
        raise Conflict(f"This {target_type} is hidden by moderation; it takes no votes.")
    if item.is_locked:
        raise Conflict(f"This {target_type} is locked; it takes no votes.")


def _lock_people(user_ids: set[int | None]) -> None:
    """Locks the rows of everyone whose reputation the vote may move, in id order.

    `reputation.grant` locks one person at a time; two votes running at once (A on B's
    answer, B on A's) would otherwise each hold one person and wait for the other.
    """
    ids = sorted(pk for pk in user_ids if pk is not None)
    take_sqlite_write_lock(User, ids[0])
    list(User.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))


def _lines(vote: Vote, target_type: str, author_id: int | None) -> list[_Line]:
    """The reputation lines `vote` writes (and that undoing it reverses)."""
    if target_type == TargetType.COMMENT:
        return []
    lines = []
    source = f"vote:{vote.pk}"
    if author_id is not None:
        if vote.value == UP and target_type == TargetType.QUESTION:
            lines.append(
                _Line(
                    author_id,
                    source,
                    settings.REPUTATION_QUESTION_UPVOTED,
                    ReputationReason.QUESTION_UPVOTED,
                    capped=True,
                )
            )
        elif vote.value == UP:
            lines.append(
                _Line(
                    author_id,
                    source,
                    settings.REPUTATION_ANSWER_UPVOTED,
                    ReputationReason.ANSWER_UPVOTED,
                    capped=True,
                )
            )
        else:
            lines.append(
                _Line(author_id, source, settings.REPUTATION_DOWNVOTED, ReputationReason.DOWNVOTED)
            )
    if vote.value == DOWN and target_type == TargetType.ANSWER:
        lines.append(
            _Line(
                vote.user_id,
                f"{source}:cast",
                settings.REPUTATION_DOWNVOTE_CAST,
                ReputationReason.DOWNVOTE_CAST,
            )
        )
    return lines
