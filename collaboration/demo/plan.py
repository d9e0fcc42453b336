"""A demo page's history as a script, and the plan of revisions it turns into (pure).

A script (`Timeline`) tells, oldest first, who changed what on a page and who said what
in its chat. It is written backwards from the page's final text: an `Edit` names a
snippet as it reads before and after the change, an `AddSection` a heading whose section
appears at that point, a `Restore` the earlier revision brought back. `plan` works out
the text of every revision from the final text down to revision 0, the text the page is
created with, and the operation of each edit, then checks the whole history forwards:
applying the operations to revision 0 must give every revision, exactly, and the last
one must be the final text. A script that does not fit its text raises `ScriptError`.

No database here: `manage.py seed` plays a plan through the real services.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeAlias

from collaboration import ot
from collaboration.history import operation_between_pieces


class ScriptError(ValueError):
    """A demo script does not fit its page (a snippet missing or not unique, times out of order)."""


def ago(days: int = 0, hours: int = 0, minutes: int = 0) -> timedelta:
    """How long before the seed ran something happened."""
    return timedelta(days=days, hours=hours, minutes=minutes)


@dataclass(frozen=True)
class Edit:
    """`by` changes the one occurrence of `before` into `after` (snippets of the text)."""

    at: timedelta
    by: str
    before: str
    after: str


@dataclass(frozen=True)
class AddSection:
    """`by` writes the section under `heading` ("## Title"), as the text has it after."""

    at: timedelta
    by: str
    heading: str


@dataclass(frozen=True)
class Restore:
    """`by` brings back the text of `revision` (services.document_restore)."""

    at: timedelta
    by: str
    revision: int


@dataclass(frozen=True)
class Chat:
    """`by` says `message` in the page's chat; `code` sends it as a code message."""

    at: timedelta
    by: str
    message: str
    code: bool = False


Event: TypeAlias = Edit | AddSection | Restore | Chat


@dataclass(frozen=True)
class Timeline:
    """A page's history: when its owner created it, then everything after, oldest first."""

    created: timedelta
    events: tuple[Event, ...]


@dataclass(frozen=True)
class PlannedRevision:
    """One revision to commit. `ops` is the edit, or None for a restore of `restores`."""

    revision: int
    at: timedelta
    by: str
    text: str  # the whole text once this revision is committed
    ops: list[ot.Op] | None = None
    restores: int | None = None


@dataclass(frozen=True)
class PlannedChat:
    at: timedelta
    by: str
    message: str
    code: bool = False


@dataclass(frozen=True)
class Plan:
    created: timedelta
    initial: str  # revision 0
    steps: tuple[PlannedRevision | PlannedChat, ...]

    @property
    def revisions(self) -> list[PlannedRevision]:
        return [step for step in self.steps if isinstance(step, PlannedRevision)]


# --- finding things in a text -------------------------------------------------------------


def _only(text: str, snippet: str, what: str) -> int:
    """Where the one occurrence of `snippet` starts; ScriptError if it is not exactly one."""
    count = text.count(snippet) if snippet else 0
    if count != 1:
        raise ScriptError(f"{what}: {snippet[:60]!r} occurs {count} times, not once")
    return text.index(snippet)


def _section_span(text: str, heading: str) -> tuple[int, int]:
    """Start and end of the section under `heading`, with the blank line that separates it.

    A section runs from its heading line to the next "## " heading (its "###"
    subsections included). The blank line after it goes with it, or, for the last
    section, the blank line before it, so removing the span leaves the text tidy.
    """
    start = _only(text, f"\n{heading}\n", f"section {heading!r}") + 1
    end = text.find("\n## ", start)
    if end == -1:
        return start - 1, len(text)
    return start, end + 1


# Words, runs of white space, and single punctuation marks: an edit changes whole tokens,
# as someone fixing a word or adding ** around a term would.
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


def _token_ops(before: str, after: str) -> list[ot.Op]:
    """An operation turning `before` into `after` that keeps the tokens they share."""
    return operation_between_pieces(_TOKEN.findall(before), _TOKEN.findall(after))


def _edit_ops(text: str, edit: Edit) -> list[ot.Op]:
    """The operation of `edit` on `text`: the snippet's tokens changed, the rest retained."""
    position = _only(text, edit.before, f"edit by {edit.by}")
    rest = len(text) - position - len(edit.before)
    return ot.normalize([position, *_token_ops(edit.before, edit.after), rest])


def _replace(text: str, old: str, new: str, what: str) -> str:
    position = _only(text, old, what)
    return text[:position] + new + text[position + len(old) :]


# --- planning ----------------------------------------------------------------------------


def _check_times(timeline: Timeline) -> None:
    previous = timeline.created
    for event in timeline.events:
        if not timedelta(0) < event.at < previous:
            raise ScriptError(
                f"events must be in time order after the page was created ({event!r})"
            )
        previous = event.at


def plan(*, final: str, timeline: Timeline) -> Plan:
    """The revisions and chat of `timeline`, ending at `final`; ScriptError if they do not fit."""
    _check_times(timeline)
    changes = [event for event in timeline.events if not isinstance(event, Chat)]
    count = len(changes)
    # texts[n] is the text at revision n, worked out backwards from the final text.
    texts: list[str] = [""] * (count + 1)
    texts[count] = final
    for revision in range(count, 0, -1):
        change = changes[revision - 1]
        after = texts[revision]
        if isinstance(change, Edit):
            texts[revision - 1] = _replace(after, change.after, change.before, f"undo {change}")
        elif isinstance(change, AddSection):
            start, end = _section_span(after, change.heading)
            texts[revision - 1] = after[:start] + after[end:]
        else:
            # The text before a restore is the restored text with the edits made since.
            if not 0 <= change.revision < revision - 1:
                raise ScriptError(f"{change} must restore a revision before the previous one")
            text = after
            for between in changes[change.revision : revision - 1]:
                if not isinstance(between, Edit):
                    raise ScriptError(f"only edits may come between a restore and {change}")
                text = _replace(text, between.before, between.after, f"redo {between}")
            texts[revision - 1] = text

    # Forwards: every operation must turn its revision's text into the next one's.
    steps: list[PlannedRevision | PlannedChat] = []
    revision = 0
    for event in timeline.events:
        if isinstance(event, Chat):
            steps.append(PlannedChat(event.at, event.by, event.message, event.code))
            continue
        revision += 1
        before, after = texts[revision - 1], texts[revision]
        if isinstance(event, Restore):
            if after != texts[event.revision] or after == before:
                raise ScriptError(f"{event} does not bring back revision {event.revision}")
            steps.append(PlannedRevision(revision, event.at, event.by, after, None, event.revision))
            continue
        if isinstance(event, Edit):
            ops = _edit_ops(before, event)
        else:
            start, end = _section_span(after, event.heading)
            ops = ot.normalize([start, after[start:end], len(before) - start])
        if ot.apply(before, ops) != after or before == after:
            raise ScriptError(f"{event} does not produce the planned text")
        steps.append(PlannedRevision(revision, event.at, event.by, after, ops))
    return Plan(created=timeline.created, initial=texts[0], steps=tuple(steps))
