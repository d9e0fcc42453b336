"""The community app's models, one module per concern."""

from .comments import (
    Comment,
    CommentEvent,
    CommentEventKind,
    CommentFeed,
    CommentRevision,
    CommentStatus,
    CommentType,
)
from .common import HiddenReason, Post, TargetType
from .moderation import Flag, FlagReason, FlagStatus, ModerationAction, ModerationActionKind
from .questions import Answer, AnswerRevision, CloseReason, Difficulty, Question, QuestionRevision
from .votes import BadgeAward, BadgeLevel, ReputationEvent, ReputationReason, Vote

__all__ = [
    "Answer",
    "AnswerRevision",
    "BadgeAward",
    "BadgeLevel",
    "CloseReason",
    "Comment",
    "CommentEvent",
    "CommentEventKind",
    "CommentFeed",
    "CommentRevision",
    "CommentStatus",
    "CommentType",
    "Difficulty",
    "Flag",
    "FlagReason",
    "FlagStatus",
    "HiddenReason",
    "ModerationAction",
    "ModerationActionKind",
    "Post",
    "Question",
    "QuestionRevision",
    "ReputationEvent",
    "ReputationReason",
    "TargetType",
    "Vote",
]
