"""The contributions app's models, one module per concern (each module's models are
re-exported here as they are added)."""

from .checks import BlockVerdict, CheckRun, CheckRunStatus, CodeBlock  # noqa: F401
from .git import GitSync, Release, RevisionNote  # noqa: F401
from .proposals import (  # noqa: F401
    ACTIVE_STATES,
    REVIEWABLE_STATES,
    Proposal,
    ProposalEvent,
    ProposalEventKind,
    ProposalKind,
    ProposalReviewer,
    ProposalSettings,
    ProposalState,
    Review,
    ReviewComment,
    ReviewVerdict,
    Suggestion,
    SuggestionState,
)
