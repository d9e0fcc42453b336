"""What reputation buys: the one place the thresholds are decided, for API and pages alike.

A new site has no reputation yet, so the first rights (ask, answer, comment, up-vote) are
every signed-in person's; the others wait for reputation (values in settings). Experts
and moderators have every right here whatever their reputation.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from accounts.roles import Role
from collaboration.permissions import is_signed_in

from .errors import InsufficientReputation, NotAllowed


@dataclass(frozen=True)
class Privilege:
    name: str
    setting: str | None  # settings name of the threshold; None: every signed-in person
    doing: str  # "down-vote", for messages

    @property
    def threshold(self) -> int:
        return getattr(settings, self.setting) if self.setting else 0


ASK = Privilege("ask", None, "ask questions")
ANSWER = Privilege("answer", None, "answer questions")
COMMENT = Privilege("comment", None, "comment")
UPVOTE = Privilege("upvote", None, "up-vote")
FLAG = Privilege("flag", None, "flag posts")
DOWNVOTE = Privilege("downvote", "PRIVILEGE_DOWNVOTE", "down-vote")
EDIT_OTHERS = Privilege("edit_others", "PRIVILEGE_EDIT_OTHERS", "edit other people's posts")
CLOSE = Privilege("close", "PRIVILEGE_CLOSE", "close and reopen questions")

ALL = (ASK, ANSWER, COMMENT, UPVOTE, FLAG, DOWNVOTE, EDIT_OTHERS, CLOSE)


def has_role_rights(user) -> bool:
    """Experts and moderators hold every reputation right."""
    return is_signed_in(user) and user.has_role(Role.EXPERT)


def has_privilege(user, privilege: Privilege) -> bool:
    if not is_signed_in(user) or not user.may_sign_in:
        return False
    if has_role_rights(user):
        return True
    return user.reputation >= privilege.threshold


def require_privilege(user, privilege: Privilege) -> None:
    """Raises NotAllowed (not signed in, suspended) or InsufficientReputation."""
    if not is_signed_in(user) or not user.may_sign_in:
        raise NotAllowed(f"Sign in to {privilege.doing}.")
    if not has_privilege(user, privilege):
        raise InsufficientReputation(
            f"You need {privilege.threshold} reputation to {privilege.doing}"
            f" (you have {user.reputation}).",
            threshold=privilege.threshold,
        )


def privileges_of(user) -> dict[str, bool]:
    """Every right and whether the user holds it (pages and the API show them)."""
    return {p.name: has_privilege(user, p) for p in ALL}
