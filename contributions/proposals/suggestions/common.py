"""What every part of suggestion mode shares: the limits, the notice type, the errors."""

from __future__ import annotations

from ...errors import Conflict

FRAME_TYPE = "suggestion"
TEXT_MAX = 10_000  # code points of suggested text
PASSAGE_MAX = 100_000  # code points a suggestion may replace
STATE_FILTERS = ("pending", "accepted", "rejected", "outdated", "all")


class RevisionTooOld(Conflict):
    """The suggestion names a revision the kept history no longer reaches."""

    code = "revision_too_old"


class SuggestionOutdated(Conflict):
    """The passage was edited by someone else since the suggestion was made."""

    code = "outdated"
