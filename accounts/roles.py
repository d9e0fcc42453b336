"""Roles, least to most privileged. Compare them by rank, never by name."""

from django.db import models


class Role(models.TextChoices):
    LEARNER = "learner", "Learner"
    CONTRIBUTOR = "contributor", "Contributor"
    REVIEWER = "reviewer", "Reviewer"
    EXPERT = "expert", "Expert"
    MODERATOR = "moderator", "Moderator"
    ADMIN = "admin", "Admin"


ROLE_RANK: dict[str, int] = {role.value: rank for rank, role in enumerate(Role)}


def role_at_least(role: str, minimum: str) -> bool:
    return ROLE_RANK.get(role, -1) >= ROLE_RANK[minimum]
