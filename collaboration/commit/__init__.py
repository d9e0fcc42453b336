"""The one commit path for document changes: lock, dedupe, transform, apply, store.

Every change to a document's text goes through here: the live socket (in batches,
through the hub) and everything else through `services.edits` (REST, restores, merges),
which calls `commit_operations`. One call is one short transaction on one locked
document row, however many operations it commits, which is what makes one busy document
fast (see shared performance-notes.md: batching commits per document is the win).

The live socket on PostgreSQL first tries `commit_documents_fast`: the same rules
(`planning.plan` decides every op's fate in both), but planned on what the process
already holds and stored by one database function in one round trip, so the row is
locked only while the database works.

By module: `types` (pending edits, results, refusals), `state` (what a process holds of
a document), `planning` (the shared rules), `locked` (the row-lock route), `fast` (the
one-round-trip route). Import from here.
"""

from .fast import Unresolved, commit_documents_fast
from .locked import commit_documents, commit_operations
from .state import RECENT_OPS_KEPT, DocumentState
from .types import AccessStale, CommitError, CommitResult, PendingOperation

__all__ = [
    "RECENT_OPS_KEPT",
    "AccessStale",
    "CommitError",
    "CommitResult",
    "DocumentState",
    "PendingOperation",
    "Unresolved",
    "commit_documents",
    "commit_documents_fast",
    "commit_operations",
]
