"""Registrations of moderation with the platform's seams: the warnings panel on profiles.

A person reads the warnings moderators gave them on their own profile; moderators see
them (and any suspension) on everyone's, with a link to the audit log. Nobody else does.
"""

from __future__ import annotations

from django.urls import reverse

from collaboration.permissions import is_moderator
from config import panels

from ..selectors import moderation as selectors

TEMPLATE = "community/_profile_warnings.html"


def warnings_panel(request, person) -> panels.Panel | None:
    viewer = request.user
    if not selectors.may_see_warnings(viewer=viewer, person=person):
        return None
    warnings = selectors.warnings_for(user=person)
    moderating = is_moderator(viewer) and viewer.pk != person.pk
    if not warnings and not moderating:
        return None  # nothing to tell the person: no empty box on their profile
    log_url = None
    if moderating:
        log_url = (
            reverse("admin:community_moderationaction_changelist")
            + f"?target_user__id__exact={person.pk}"
        )
    return panels.Panel(
        TEMPLATE,
        {
            "warnings": warnings,
            "is_self": viewer.pk == person.pk,
            "person": person,
            "suspended_until": person.suspended_until if person.is_suspended else None,
            "suspension_reason": person.suspension_reason if person.is_suspended else "",
            "log_url": log_url,
        },
    )


panels.register("profile", "community.moderation.warnings", warnings_panel)
