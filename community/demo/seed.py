"""Adds the community's demo content when `manage.py seed` runs (the `demo_seeded` signal).

Everything goes through the real services, as people would: questions, answers, votes and
accepts write the reputation ledger; comments anchor to passages of the demo pages. Then
each demo person is brought to the reputation the demo promises with one "carried over"
ledger line, so `manage.py recompute_reputation` agrees. Idempotent: a question that
exists (same title) or a page that already has comments is left alone.
"""

from __future__ import annotations

from collaboration.demo.users import DEMO_USERS
from collaboration.models import Document

from ..models import Comment, Question, TargetType
from ..services import answers, comments, questions, reputation, votes
from .content import COMMENTS, QUESTIONS


def _seed_questions(users: dict, documents: dict[str, Document]) -> int:
    created = 0
    for spec in QUESTIONS:
        if Question.objects.filter(title=spec.title).exists():
            continue
        document = documents.get(spec.document) if spec.document else None
        question = questions.question_create(
            author=users[spec.author],
            title=spec.title,
            content=spec.content,
            tags=list(spec.tags),
            difficulty_level=spec.difficulty,
            document=document.pk if document else None,
        )
        for voter in spec.upvoters:
            votes.vote(
                user=users[voter], target_type=TargetType.QUESTION, target_id=question.pk, value=1
            )
        for answer_spec in spec.answers:
            answer = answers.answer_create(
                question_id=question.pk,
                author=users[answer_spec.author],
                content=answer_spec.content,
            )
            for voter in answer_spec.upvoters:
                votes.vote(
                    user=users[voter], target_type=TargetType.ANSWER, target_id=answer.pk, value=1
                )
            if answer_spec.accepted:
                answers.answer_accept(answer_id=answer.pk, user=users[spec.author])
        created += 1
    return created


def _seed_comments(users: dict, documents: dict[str, Document]) -> int:
    created = 0
    for spec in COMMENTS:
        document = documents.get(spec.document)
        if (
            document is None
            or Comment.objects.filter(document=document, content=spec.content).exists()
        ):
            continue
        place = {}
        if spec.passage and (start := document.content.find(spec.passage)) >= 0:
            place = {"comment_type": "inline", "start": start, "end": start + len(spec.passage)}
        thread = comments.comment_create(
            user=users[spec.author], document_id=document.pk, content=spec.content, **place
        )
        for author, text in spec.replies:
            comments.comment_reply(user=users[author], comment_id=thread.pk, content=text)
        if spec.resolved:
            comments.comment_resolve(user=users[spec.author], comment_id=thread.pk)
        created += 1
    return created


def seed_community(*, users: dict, documents: dict[str, Document], **_kwargs) -> None:
    """Receiver of `collaboration.demo.demo_seeded` (runs inside the seed's transaction)."""
    _seed_questions(users, documents)
    _seed_comments(users, documents)
    for spec in DEMO_USERS:
        if spec.username in users:
            reputation.carry_over(user_id=users[spec.username].pk, reputation=spec.reputation)
