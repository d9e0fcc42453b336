"""Page panels: an app adds a section to another app's page without that app knowing it.

The page's view asks for its panels and the template includes each one:

    context["panels"] = panels.for_page("document", request, document)
    {% for panel in panels %}{% include panel.template with panel=panel.context %}{% endfor %}

An app registers a provider in its AppConfig.ready():

    panels.register("document", "community.questions", questions_panel)

A provider returns a Panel (template and context) or None to show nothing. Pages:
"document" (a document page, object: the Document), "editor" (the live editor, object:
the Document), "profile" (a person's profile, object: the User), "question" (a Q&A
question's page, object: the Question). Panels appear in the order they were registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

PAGES = ("document", "editor", "profile", "question")


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


Provider = Callable[[HttpRequest, Any], Panel | None]

_providers: dict[str, dict[str, Provider]] = {page: {} for page in PAGES}


def register(page: str, name: str, provider: Provider) -> None:
    if page not in _providers:
        raise ValueError(f"unknown page {page!r}; pages are {', '.join(PAGES)}")
    _providers[page][name] = provider


def for_page(page: str, request: HttpRequest, obj: Any) -> list[Panel]:
    found = []
    for provider in _providers[page].values():
        panel = provider(request, obj)
        if panel is not None:
            found.append(panel)
    return found
