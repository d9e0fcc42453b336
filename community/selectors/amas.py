"""Reads of AMA sessions: the lists (live now, upcoming, past), one session, its queue as
a given person sees it, the archive, and FAQ entries of a document.

Sessions are public (their room is too). Hidden questions are seen by the host and
moderators, and by their own author (marked); merged ones by nobody in the queue (their
target carries their votes).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404

from collaboration.models import Document, RoomMessage
from collaboration.permissions import is_signed_in, readable_documents

from ..models import (
    AmaQuestion,
    AmaQuestionStatus,
    AmaSession,
    AmaState,
    AmaVote,
    FaqEntry,
)
from ..services.amas_common import can_run

WHENS = ("upcoming", "live", "past")
QUEUE_ORDER = ("-score", "created_at", "id")


def ama_queryset() -> QuerySet[AmaSession]:
    return (
        AmaSession.objects.select_related("host", "room")
        .prefetch_related("documents")
        .annotate(
            question_count=Count(
                "questions",
                filter=Q(
                    questions__status__in=(AmaQuestionStatus.OPEN, AmaQuestionStatus.ANSWERED)
                ),
            )
        )
        .order_by("-starts_at", "-id")
    )


def ama_list(
    *, state: str | None = None, when: str | None = None, host: str | None = None
) -> QuerySet[AmaSession]:
    """Upcoming soonest first; live and past most recent first."""
    sessions = ama_queryset()
    if state:
        sessions = sessions.filter(state=state)
    if host:
        sessions = sessions.filter(host__username=host)
    if when == "upcoming":
        sessions = sessions.filter(state=AmaState.SCHEDULED).order_by("starts_at", "id")
    elif when == "live":
        sessions = sessions.filter(state=AmaState.LIVE).order_by("-starts_at", "-id")
    elif when == "past":
        sessions = sessions.filter(state__in=(AmaState.ENDED, AmaState.CANCELLED)).order_by(
            "-starts_at", "-id"
        )
    return sessions


def ama_get(*, ama_id: int) -> AmaSession:
    session = ama_queryset().filter(pk=ama_id).first()
    if session is None:
        raise Http404("No such AMA session.")
    return session


def ama_documents(*, user, ama: AmaSession) -> list[Document]:
    """The linked documents this person may read (the others are not mentioned)."""
    return list(readable_documents(user, ama.documents.all()).order_by("title"))


def question_queue(*, user, ama: AmaSession) -> QuerySet[AmaQuestion]:
    """The queue as `user` sees it: by votes, then oldest first among equals."""
    questions = AmaQuestion.objects.filter(session=ama).exclude(status=AmaQuestionStatus.MERGED)
    if not can_run(user, ama):
        shown = Q(status__in=(AmaQuestionStatus.OPEN, AmaQuestionStatus.ANSWERED))
        if is_signed_in(user):
            shown |= Q(status=AmaQuestionStatus.HIDDEN, author=user)
        questions = questions.filter(shown)
    return questions.select_related("author").order_by(*QUEUE_ORDER)


def question_get(*, user, ama: AmaSession, question_id: int) -> AmaQuestion:
    """A question `user` may see in the queue (merged ones too: they point at the target)."""
    question = (
        AmaQuestion.objects.filter(session=ama, pk=question_id).select_related("author").first()
    )
    if question is None:
        raise Http404("No such question in this session.")
    may_see_hidden = can_run(user, ama) or (is_signed_in(user) and question.author_id == user.pk)
    if question.status == AmaQuestionStatus.HIDDEN and not may_see_hidden:
        raise Http404("No such question in this session.")
    return question


def my_votes(*, user, ids: Iterable[int]) -> set[int]:
    """The ids among `ids` of questions `user` up-voted."""
    if not is_signed_in(user):
        return set()
    return set(
        AmaVote.objects.filter(user=user, question_id__in=list(ids)).values_list(
            "question_id", flat=True
        )
    )


def archive(*, ama: AmaSession) -> list[AmaQuestion]:
    """After the session: everything everyone may see, answered or not, by votes."""
    return list(
        AmaQuestion.objects.filter(
            session=ama, status__in=(AmaQuestionStatus.OPEN, AmaQuestionStatus.ANSWERED)
        )
        .select_related("author")
        .order_by(*QUEUE_ORDER)
    )


def room_last_event_id(*, ama: AmaSession) -> int:
    """The id of the last entry of the session's room log (0 for none): a page rendered
    now resumes its socket from there."""
    if ama.room_id is None:
        return 0
    return RoomMessage.objects.filter(room_id=ama.room_id).aggregate(top=Max("pk"))["top"] or 0


def faq_of_document(*, document: Document) -> QuerySet[FaqEntry]:
    return FaqEntry.objects.filter(document=document).select_related(
        "source__session__host", "document"
    )


def faq_entry_get(*, entry_id: int) -> FaqEntry:
    entry = FaqEntry.objects.select_related("document").filter(pk=entry_id).first()
    if entry is None:
        raise Http404("No such FAQ entry.")
    return entry


def faq_chosen_ids(*, ama: AmaSession) -> set[int]:
    """The questions of this session already turned into FAQ entries (on any document)."""
    return set(FaqEntry.objects.filter(source__session=ama).values_list("source_id", flat=True))
