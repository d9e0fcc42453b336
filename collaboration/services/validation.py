"""Input rules shared by the services: text, titles, choices, tags, usernames."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from .. import ot
from ..models import Tag

if TYPE_CHECKING:
    from collections.abc import Iterable

    from accounts.models import User

TAG_SLUG_RE = re.compile(r"^[a-z0-9-]{1,50}$")
MAX_TAGS = 20
TITLE_MAX_CHARS = 200


def contains_nul(value: object, depth: int = 0) -> bool:
    """PostgreSQL stores no NUL character in text or JSON: refuse it before the database."""
    if isinstance(value, str):
        return "\x00" in value
    if depth < 3 and isinstance(value, list | tuple):
        return any(contains_nul(item, depth + 1) for item in value)
    if depth < 3 and isinstance(value, dict):
        return any(contains_nul(item, depth + 1) for item in value.values())
    return False


class TextTooLong(ValidationError):
    """Text over its length limit (sockets answer it with `message_too_large`)."""


def clean_text(value: object, field: str, *, max_chars: int, name: str = "text") -> str:
    """Stripped, non-empty text the database can store (no NUL, no lone surrogate)."""
    if not isinstance(value, str):
        raise ValidationError({field: [f"The {name} must be text."]})
    text = value.strip()
    if not text:
        raise ValidationError({field: [f"The {name} is empty."]})
    if len(text) > max_chars:
        raise TextTooLong({field: [f"At most {max_chars} characters."]})
    try:
        ot.validate([text])  # refuses lone surrogates, which the database cannot store
    except ot.InvalidOperation:
        raise ValidationError({field: [f"The {name} contains invalid characters."]}) from None
    if contains_nul(text):
        raise ValidationError({field: [f"The {name} contains invalid characters."]})
    return text


def clean_title(title: object) -> str:
    if not isinstance(title, str) or not title.strip():
        raise ValidationError({"title": ["A title is required."]})
    title = " ".join(title.split())
    if contains_nul(title):
        raise ValidationError({"title": ["NUL characters are not allowed."]})
    if len(title) > TITLE_MAX_CHARS:
        raise ValidationError({"title": [f"At most {TITLE_MAX_CHARS} characters."]})
    return title


def clean_choice(value: object, choices: type, field: str) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise ValidationError({field: [f"{value!r} is not one of: {allowed}."]})
    return str(value)


def check_size(content: str, field: str = "content") -> None:
    limit = settings.MAX_DOCUMENT_CHARS
    if len(content) > limit:
        raise ValidationError(
            {field: [f"The document would have {len(content)} characters; the limit is {limit}."]}
        )


def clean_tag_slugs(slugs: Iterable[str]) -> list[str]:
    """The slugs, deduplicated in order; ValidationError on a malformed one."""
    wanted: list[str] = []
    for slug in slugs:
        if not isinstance(slug, str) or not TAG_SLUG_RE.match(slug):
            raise ValidationError(
                {"tags": [f"{str(slug)[:60]!r} is not a tag slug (a-z, 0-9 and '-', 1-50)."]}
            )
        if slug not in wanted:
            wanted.append(slug)
    if len(wanted) > MAX_TAGS:
        raise ValidationError({"tags": [f"At most {MAX_TAGS} tags."]})
    return wanted


def tags_from_slugs(slugs: list[str]) -> list[Tag]:
    """The tags named by these clean slugs, created when missing."""
    existing = {tag.slug: tag for tag in Tag.objects.filter(slug__in=slugs)}
    tags = []
    for slug in slugs:
        tag = existing.get(slug)
        if tag is None:
            # get_or_create: another request may create the same tag at the same time.
            tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": slug.replace("-", " ")})
        tags.append(tag)
    return tags


def user_by_username(username: object, field: str = "username") -> User:
    user_model = get_user_model()
    if not isinstance(username, str) or not username.strip():
        raise ValidationError({field: ["A username is required."]})
    user = user_model.objects.filter(username__iexact=username.strip(), is_active=True).first()
    if user is None:
        raise ValidationError({field: [f"There is no active user {username.strip()[:150]!r}."]})
    return user
