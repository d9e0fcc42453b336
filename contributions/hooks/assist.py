"""The writing assistant's bar and answer panel in the live editor, only when the site
turned it on (contributions.assist.config) and the person is signed in."""

from __future__ import annotations

from django.urls import reverse

from collaboration.models import Document
from collaboration.permissions import is_signed_in
from config import panels

from ..assist import config

PANEL_TEMPLATE = "contributions/assist/_editor_panel.html"


def editor_assist_panel(request, document: Document) -> panels.Panel | None:
    if not config.enabled() or not is_signed_in(request.user):
        return None
    url = reverse("contributions_api:document-assist", args=[document.pk])
    return panels.Panel(PANEL_TEMPLATE, {"data": {"url": url}})


panels.register("editor", "contributions.assist", editor_assist_panel)
