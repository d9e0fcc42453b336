"""What every AMA service shares: who runs a session, its row locks, and the room frames.

Lock order, everywhere: the session, then its questions (lowest id first), then the room
(taken by `room_event_post`). Every change to the queue or the state appends one frame to
the AMA's room log in the transaction that made it, so every open page (and a page that
reconnects with `since`) applies the changes in commit order. A frame carries the whole
public state of what changed, so applying the latest one is always right.
"""

from __future__ import annotations

from typing import Any

from collaboration.locking import take_sqlite_write_lock
from collaboration.permissions import is_moderator, is_signed_in
from collaboration.services import room_event_post

from ..errors import NotAllowed
from ..models import AmaQuestion, AmaQuestionStatus, AmaSession
from ..rendering import render_post


def iso(moment) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def can_run(user, ama: AmaSession) -> bool:
    """The host and site moderators run a session (answers, hiding, merging, FAQ)."""
    return is_signed_in(user) and (user.pk == ama.host_id or is_moderator(user))


def require_runner(user, ama: AmaSession, doing: str) -> None:
    if not can_run(user, ama):
        raise NotAllowed(f"Only the host or a moderator can {doing}.")


def lock_session(ama_id: int) -> AmaSession:
    """The session under its row lock (call first thing inside the transaction)."""
    take_sqlite_write_lock(AmaSession, ama_id)
    return AmaSession.objects.select_for_update().get(pk=ama_id)


def lock_questions(ama: AmaSession, *question_ids: int) -> dict[int, AmaQuestion]:
    """The session's questions under their row locks, lowest id first (no deadlock)."""
    ids = sorted(set(question_ids))
    for question_id in ids:
        take_sqlite_write_lock(AmaQuestion, question_id)
    rows = AmaQuestion.objects.select_for_update().filter(session=ama, pk__in=ids).order_by("pk")
    return {question.pk: question for question in rows}


def question_state(question: AmaQuestion) -> dict[str, Any]:
    """A question as everyone may see it. A hidden one carries no text or author: the
    frame goes to every reader of the room, and only the host and moderators see it."""
    hidden = question.status == AmaQuestionStatus.HIDDEN
    author = question.author
    return {
        "id": question.pk,
        "content": "" if hidden else question.content,
        "content_html": "" if hidden else str(render_post(question.content)),
        "author": None
        if hidden or author is None
        else {"id": author.pk, "username": author.username},
        "score": question.score,
        "status": question.status,
        "merged_into": question.merged_into_id,
        "answer": "" if hidden else question.answer,
        "answer_html": "" if hidden or not question.answer else str(render_post(question.answer)),
        "answered_at": iso(question.answered_at),
        "created_at": iso(question.created_at),
    }


def state_frame(ama: AmaSession) -> dict[str, Any]:
    return {
        "type": "ama_state",
        "ama": ama.pk,
        "state": ama.state,
        "answering_now": ama.answering_now_id,
        "starts_at": iso(ama.starts_at),
        "ends_at": iso(ama.ends_at),
        "started_at": iso(ama.started_at),
        "ended_at": iso(ama.ended_at),
    }


def post_state(ama: AmaSession) -> None:
    if ama.room_id is not None:
        room_event_post(room_id=ama.room_id, frame=state_frame(ama))


def post_question(ama: AmaSession, question: AmaQuestion) -> None:
    if ama.room_id is not None:
        frame = {"type": "ama_question", "ama": ama.pk, "question": question_state(question)}
        room_event_post(room_id=ama.room_id, frame=frame)


def post_question_deleted(ama: AmaSession, question_id: int) -> None:
    if ama.room_id is not None:
        frame = {"type": "ama_question_deleted", "ama": ama.pk, "question_id": question_id}
        room_event_post(room_id=ama.room_id, frame=frame)
