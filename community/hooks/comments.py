"""Registrations of comments with the platform's seams; imported once by CommunityConfig.ready():

- the post-commit hook: inline threads follow the text through every committed revision,
  from any source, exactly once and in order (a crash is caught up from the log);
- the document topic's backlog: a page or editor that reconnects gets the comment
  activity it missed, after the last event id it saw.
"""

from collaboration import revisions
from collaboration.realtime import topics, wire

from ..selectors.comments import comment_frames_after
from ..services import comments


@revisions.receiver("community.comment_anchors", start="now", batch=True)
def anchors_follow_the_text(events: list[revisions.RevisionEvent]) -> None:
    comments.anchors_follow(events)


topics.register_backlog(wire.DOCUMENT, comment_frames_after)
