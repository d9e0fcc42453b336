"""Suggestion mode: edits typed into a document that change nothing until an editor accepts
them, like Google Docs' "Suggesting".

Each suggestion replaces a passage of the live text (`document[start:end]`, code points,
at `revision`) by `text`. A person's suggestions on a document gather in their open
suggestions proposal (kind "suggestions", no branch), made when they first suggest; typing
on at the edge of one of their pending suggestions extends it rather than adding one per
pause. The passage follows every committed revision (the post-commit hook calls
`suggestions_follow`): text typed before it moves it, text typed at its edges stays
outside, and any edit inside the passage (or deleting part of it) makes it outdated: what
it would replace is no longer what its author saw.

Accepting commits the replacement as one revision through the edit service, credited to
the suggester (Operation.user) and committed by the editor (Operation.actor), with source
"suggestion"; live editors receive it as any revision. The replacement is committed as the
exact operation (retain, insert, delete), never as a rewrite of whole lines, so people
typing on the same line lose nothing and other suggestions on that line stay valid. When
a suggestions proposal has no pending suggestion left it is merged (some were accepted) or
closed.

Open pages hear of every change through notices on the document's topic:
`{"type": "suggestion", "event": created | updated | accepted | rejected | outdated,
"suggestion": {...}}` ("updated": its author's typing extended it). Ranges are not
announced as they move: every client moves them through the revisions it receives.

By module: `passages` (pure), `reading`, `making`, `deciding`, `following`. Import from here.
"""

from .common import (  # noqa: F401
    FRAME_TYPE,
    PASSAGE_MAX,
    STATE_FILTERS,
    TEXT_MAX,
    RevisionTooOld,
    SuggestionOutdated,
)
from .deciding import Decided, accept_all, reject_all, suggestion_accept, suggestion_reject  # noqa: F401
from .following import any_pending_behind, suggestions_follow  # noqa: F401
from .making import suggestion_create  # noqa: F401
from .passages import (  # noqa: F401
    Extension,
    edits_inside,
    extend,
    passage_after,
    passage_through,
    replacement_ops,
)
from .reading import pending_by_proposal, suggestion_find, suggestion_list, summary  # noqa: F401
