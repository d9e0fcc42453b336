"""FAQ entries from an AMA: after the session, the host (or a moderator) turns chosen
answered questions into entries on the linked documents, shown on the documents' pages.

Idempotent per document and question (a unique constraint backs it): choosing the same
answer twice adds nothing. The host, moderators and the document's owner remove them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max

from accounts.models import User
from collaboration.permissions import can_manage_document

from ..errors import Conflict, InvalidInput, NotAllowed
from ..models import AmaQuestion, AmaQuestionStatus, AmaState, FaqEntry
from .amas_common import can_run, lock_session, require_runner

MAX_CHOSEN = 100


def faq_from_answers(
    *,
    ama_id: int,
    user: User,
    question_ids: Iterable[int],
    document_ids: Iterable[int] | None = None,
) -> list[FaqEntry]:
    """The entries for the chosen answers on each document (all linked ones by default),
    the new and the existing ones alike."""
    question_ids = list(dict.fromkeys(int(pk) for pk in question_ids))
    if not question_ids:
        raise InvalidInput("Choose at least one answered question.", field="question_ids")
    if len(question_ids) > MAX_CHOSEN:
        raise InvalidInput(f"Choose at most {MAX_CHOSEN} questions.", field="question_ids")
    with transaction.atomic():
        ama = lock_session(ama_id)
        require_runner(user, ama, "make FAQ entries from this session")
        if ama.state != AmaState.ENDED:
            raise Conflict("FAQ entries are made once the session has ended.")
        linked = list(ama.documents.order_by("pk"))
        if document_ids is not None:
            wanted = list(dict.fromkeys(int(pk) for pk in document_ids))
            by_id = {doc.pk: doc for doc in linked}
            if not wanted or any(pk not in by_id for pk in wanted):
                raise InvalidInput(
                    "Choose among the documents linked to this session.", field="document_ids"
                )
            linked = [by_id[pk] for pk in wanted]
        if not linked:
            raise Conflict("This session has no linked documents to add FAQ entries to.")
        questions = {
            q.pk: q
            for q in AmaQuestion.objects.filter(
                session=ama, pk__in=question_ids, status=AmaQuestionStatus.ANSWERED
            )
        }
        missing = [pk for pk in question_ids if pk not in questions]
        if missing:
            raise InvalidInput(
                f"Question {missing[0]} is not an answered question of this session.",
                field="question_ids",
            )
        entries = []
        for document in linked:
            position = (
                FaqEntry.objects.filter(document=document).aggregate(top=Max("position"))["top"]
                or 0
            )
            for question_id in question_ids:
                question = questions[question_id]
                entry = FaqEntry.objects.filter(document=document, source=question).first()
                if entry is None:
                    position += 1
                    entry = FaqEntry.objects.create(
                        document=document,
                        question=question.content,
                        answer=question.answer,
                        source=question,
                        position=position,
                        created_by=user,
                    )
                entries.append(entry)
    return entries


def faq_can_remove(user, entry: FaqEntry) -> bool:
    ama = entry.source.session if entry.source_id else None
    return can_manage_document(user, entry.document) or (ama is not None and can_run(user, ama))


def faq_remove(*, entry_id: int, user: User) -> None:
    with transaction.atomic():
        entry = (
            FaqEntry.objects.select_for_update(of=("self",))
            .select_related("document", "source__session")
            .filter(pk=entry_id)
            .first()
        )
        if entry is None:
            return  # already gone: removing twice is the same as once
        if not faq_can_remove(user, entry):
            raise NotAllowed(
                "Only the session's host, the document's owner or a moderator can remove it."
            )
        entry.delete()
