"""Questions, answers and comments as targets of votes, flags and moderation."""

from __future__ import annotations

from django.db import models
from django.shortcuts import get_object_or_404

from .models import Answer, Comment, Question, TargetType

TARGET_MODELS: dict[str, type[models.Model]] = {
    TargetType.QUESTION: Question,
    TargetType.ANSWER: Answer,
    TargetType.COMMENT: Comment,
}


def target_model(target_type: str) -> type[models.Model]:
    try:
        return TARGET_MODELS[target_type]
    except KeyError:
        raise ValueError(f"unknown target type {target_type!r}") from None


def target_type_of(item: models.Model) -> str:
    for name, model in TARGET_MODELS.items():
        if isinstance(item, model):
            return str(name)
    raise ValueError(f"{type(item).__name__} is not a community target")


def lock_target(target_type: str, target_id: int):
    """The item, its row locked until the transaction ends (404 when missing)."""
    return get_object_or_404(target_model(target_type).objects.select_for_update(), pk=target_id)
