"""@username mentions in what people write, and notifying the people mentioned.

Every app that stores text people write (comments, questions, answers, group posts, AMA
questions) calls `notify_mentions` in the transaction that stores it; the event key makes
an edit that keeps a mention from notifying twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db.models.functions import Lower

from accounts.models import User

from .models import NotificationKind
from .selectors.watchers import audience
from .tasks import notifications as notification_tasks

MAX_MENTIONS = 20
# Candidates looked up at most, so a text full of @words costs one bounded query.
_MAX_CANDIDATES = 200

# Fenced blocks (``` or ~~~, closed or running to the end), then inline code spans.
_FENCED = re.compile(r"^[ \t]*(```|~~~).*?(?:^[ \t]*\1[^\n]*$|\Z)", re.MULTILINE | re.DOTALL)
_INDENTED = re.compile(r"^(?: {4}|\t).*$", re.MULTILINE)
_INLINE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
# "@name" not glued to a word, email or path before it: a@b.c is an address, not a mention.
_MENTION = re.compile(r"(?<![\w@./+\-])@([A-Za-z0-9_][\w.+\-]*)")


def _without_code(text: str) -> str:
    text = _FENCED.sub(" ", text)
    text = _INDENTED.sub(" ", text)
    return _INLINE.sub(" ", text)


def mentioned_names(text: str) -> list[str]:
    """The lower-cased @names in `text`, in order of appearance, without code."""
    names: list[str] = []
    for match in _MENTION.finditer(_without_code(text or "")):
        # A sentence may end right after the name ("thanks @ada."): drop trailing
        # punctuation that a username may contain but rarely ends with.
        name = match.group(1).rstrip(".-+").lower()
        if name and name not in names:
            names.append(name)
            if len(names) >= _MAX_CANDIDATES:
                break
    return names


def mentioned_user_ids(text: str) -> list[int]:
    """Ids of the active users @mentioned in `text` (case-insensitive, code ignored), in
    order of first mention, at most MAX_MENTIONS."""
    names = mentioned_names(text)
    if not names:
        return []
    found = dict(
        User.objects.annotate(lower_name=Lower("username"))
        .filter(lower_name__in=names, is_active=True)
        .values_list("lower_name", "pk")
    )
    return [found[name] for name in names if name in found][:MAX_MENTIONS]


def notify_mentions(
    *,
    text: str,
    actor_id: int | None,
    key_prefix: str,
    title: str,
    url: str,
    exclude_ids: Iterable[int] = (),
    body: str = "",
    target_type: str = "",
    target_id: int | None = None,
) -> list[int]:
    """Notifies (after commit) everyone @mentioned in `text` except the actor and
    `exclude_ids` (people notified of the same event another way); answers their ids.

    With a target (a question, a document), people who muted it or may not read it are
    not notified.
    """
    skip = {int(pk) for pk in exclude_ids}
    if actor_id is not None:
        skip.add(actor_id)
    recipients = [pk for pk in mentioned_user_ids(text) if pk not in skip]
    allowed = audience(target_type, target_id, recipients)
    recipients = [pk for pk in recipients if pk in allowed]
    if recipients:
        notification_tasks.notify_on_commit(
            recipient_ids=recipients,
            kind=NotificationKind.MENTION,
            key=f"{key_prefix}:mention",
            title=title,
            url=url,
            actor_id=actor_id,
            body=body or text,
            target_type=target_type,
            target_id=target_id,
        )
    return recipients
