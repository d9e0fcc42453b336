"""People as Git identities, and the words of commit messages.

Commits never carry people's real addresses (a public clone would publish them): an
author is "Full Name <username@GIT_EMAIL_DOMAIN>", as GitHub's noreply addresses do.
Imports map such an address back to its user, or a real address to the user who has it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model

FORMER_MEMBER = "A former member"
FORMER_MEMBER_LOGIN = "former-member"


def email_of(username: str) -> str:
    return f"{username}@{settings.GIT_EMAIL_DOMAIN}"


def identity(user) -> str:
    """ "Name <address>" for a user (None: an account since deleted)."""
    if user is None:
        return f"{FORMER_MEMBER} <{email_of(FORMER_MEMBER_LOGIN)}>"
    name = " ".join(user.get_full_name().replace("<", "").replace(">", "").split())
    return f"{name or user.username} <{email_of(user.username)}>"


def login_of(user) -> str:
    return user.username if user is not None else "a former member"


def user_for_email(email: str):
    """The user an address in a commit names: their noreply address or their own one."""
    email = (email or "").strip()
    if not email or len(email) > 254:
        return None
    users = get_user_model().objects.filter(is_active=True)
    local, _, domain = email.rpartition("@")
    if domain.lower() == settings.GIT_EMAIL_DOMAIN.lower() and local:
        return users.filter(username__iexact=local).first()
    return users.filter(email__iexact=email).first()


def join_names(names: list[str], *, most: int = 3) -> str:
    """ "ada", "ada and lin", "ada, lin and bob", "ada, lin and 3 others"."""
    if len(names) <= 1:
        return names[0] if names else "nobody"
    if len(names) > most:
        rest = len(names) - (most - 1)
        return f"{', '.join(names[: most - 1])} and {rest} others"
    return f"{', '.join(names[:-1])} and {names[-1]}"


def revision_range(first: int, last: int) -> str:
    return f"revision {first}" if first == last else f"revisions {first}–{last}"  # noqa: RUF001 - the typographic range


def co_author_trailers(identities: list[str]) -> str:
    return "".join(f"Co-authored-by: {who}\n" for who in identities)
