"""Accepted answer → proposed change: "Propose this for the document" on a question page.

An accepted answer to a question about a document becomes a branch proposal whose text is
the document with the answer inserted at the end of the question's section (or, when the
question names no section or the heading is gone, appended under a new heading titled
like the question). The proposal credits the asker and the answerer, so both share the
merge's reputation and the Git commit's authorship, and its description quotes the
question and links both posts.

Any signed-in reader of the document may start it; it is theirs to edit before review.
One answer has at most one active proposal: asking again answers the one in progress
(decided under the document's row lock, so two clicks at once make one proposal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from collaboration.locking import take_sqlite_write_lock
from collaboration.models import Document
from collaboration.permissions import can_read_document, is_signed_in
from collaboration.services.validation import check_size
from community.models import Answer, Question
from community.selectors.questions import answer_visible_queryset, section_title

from ..checks.source import parse
from ..errors import Conflict, ContributionsError, InvalidInput, NotAllowed, NotFound
from ..models import ACTIVE_STATES, Proposal
from . import lifecycle, rules

if TYPE_CHECKING:
    from accounts.models import User

TITLE_PREFIX = "From Q&A: "
QUOTE_MAX = 2_000  # characters of the question quoted in the description
NEW_HEADING_LEVEL = 2


@dataclass(frozen=True)
class FromAnswer:
    proposal: Proposal
    created: bool  # False: the answer's proposal already in progress


@dataclass(frozen=True)
class Offer:
    """What a question page offers its reader: the accepted answer to propose, and the
    latest proposal made from it (None when there is none the reader may see)."""

    answer: Answer
    question: Question
    section_title: str
    proposal: Proposal | None

    @property
    def in_progress(self) -> bool:
        return self.proposal is not None and self.proposal.state in ACTIVE_STATES


def origin_of(answer: Answer) -> str:
    return f"answer:{answer.pk}"


# --- the text ------------------------------------------------------------------------------


def _blank(line: str) -> bool:
    return not line.strip()


def with_answer(*, text: str, section: str, heading: str, answer: str) -> str:
    """`text` with `answer` (Markdown) at the end of the section whose heading id is
    `section`, before the next heading of the same or a higher level; with no such section,
    appended under a new level-2 heading `heading`. Blank lines keep the blocks apart."""
    answer_lines = answer.replace("\r\n", "\n").strip("\n").split("\n")
    lines = text.split("\n") if text else []
    headings = parse(text).headings if section else []
    for index, found in enumerate(headings):
        if found.anchor != section:
            continue
        end = len(lines)
        for later in headings[index + 1 :]:
            if later.level <= found.level:
                end = later.line - 1
                break
        last = end - 1
        while last >= found.line and _blank(lines[last]):
            last -= 1
        before, after = lines[: last + 1], lines[last + 1 :]
        while after and _blank(after[0]):
            after.pop(0)
        middle = ["", *answer_lines, ""] if after else ["", *answer_lines]
        result = "\n".join([*before, *middle, *after])
        return result if result.endswith("\n") else f"{result}\n"
    title = " ".join(heading.split())
    block = "\n".join([f"{'#' * NEW_HEADING_LEVEL} {title}", "", *answer_lines]) + "\n"
    kept = text.rstrip("\n")
    return f"{kept}\n\n{block}" if kept.strip() else block


# --- the description ----------------------------------------------------------------------


def _name(person: User | None) -> str:
    return f"@{person.username}" if person is not None else "a former member"


def _quote(markdown: str) -> str:
    text = markdown.replace("\r\n", "\n").strip()
    if len(text) > QUOTE_MAX:
        text = text[:QUOTE_MAX].rstrip() + " …"
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.split("\n"))


def _link_text(text: str) -> str:
    """`text` safe inside a Markdown link's brackets."""
    return " ".join(text.split()).replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def description_for(answer: Answer) -> str:
    question = answer.question
    question_url = reverse("community:question-detail", args=[question.pk])
    answer_url = reverse("community:answer-link", args=[answer.pk])
    return "\n\n".join(
        [
            f"Proposed from [the accepted answer]({answer_url}) by {_name(answer.author)} "
            f"to the question [{_link_text(question.title)}]({question_url}) "
            f"asked by {_name(question.author)}.",
            _quote(question.content),
            f"Credited: {_name(question.author)} (asked) and {_name(answer.author)} (answered).",
        ]
    )


def title_for(question: Question) -> str:
    title = f"{TITLE_PREFIX}{' '.join(question.title.split())}"
    if len(title) > lifecycle.TITLE_MAX:
        title = title[: lifecycle.TITLE_MAX - 1].rstrip() + "…"
    return title


# --- who may, and the service --------------------------------------------------------------


def _answer(*, user, answer_id: object) -> Answer:
    """The answer if `user` may see it (NotFound otherwise, also for a deleted one)."""
    if type(answer_id) is not int:
        try:
            answer_id = int(str(answer_id))
        except ValueError:
            raise NotFound("No such answer.") from None
    answer = (
        answer_visible_queryset(user)
        .select_related("author", "question", "question__author", "question__document")
        .filter(pk=answer_id, deleted_at__isnull=True)
        .first()
    )
    if answer is None:
        raise NotFound("No such answer.")
    return answer


def _check_proposable(user, answer: Answer) -> Document:
    """The document the answer may be proposed for by `user`; raises why not."""
    if not is_signed_in(user):
        raise NotAllowed("Sign in to propose changes.")
    question = answer.question
    if not answer.is_accepted or question.accepted_answer_id != answer.pk:
        raise Conflict(
            "Only the accepted answer can be proposed for the document.", code="not_accepted"
        )
    if answer.is_hidden:
        raise Conflict("This answer is hidden until a moderator looks at it.", code="hidden")
    document = question.document
    if document is None:
        raise Conflict(
            "This question is not about a document, so there is nothing to propose it for.",
            code="no_document",
        )
    if not can_read_document(user, document):
        raise NotFound("No such answer.")
    return document


def _latest_from(document: Document, origin: str, *, active: bool) -> Proposal | None:
    proposals = Proposal.objects.filter(document=document, origin=origin)
    if active:
        proposals = proposals.filter(state__in=ACTIVE_STATES)
    return proposals.select_related("author").order_by("-created_at", "-pk").first()


def proposal_from_answer(*, user: User, answer_id: object) -> FromAnswer:
    """The proposal of the accepted answer `answer_id` (see the module docstring): a new one,
    or the one already in progress. NotFound when the user may not see the answer,
    NotAllowed when signed out, Conflict when the answer cannot be proposed (not accepted,
    hidden, no document, or its proposal is someone's draft), InvalidInput when the text
    would grow past the document size limit."""
    answer = _answer(user=user, answer_id=answer_id)
    document = _check_proposable(user, answer)
    question = answer.question
    origin = origin_of(answer)
    with transaction.atomic():
        # Every proposal of this document is numbered under this lock: holding it while
        # looking for the answer's proposal makes "find or create" one step.
        take_sqlite_write_lock(Document, document.pk)
        locked = Document.objects.select_for_update().get(pk=document.pk)
        existing = _latest_from(document, origin, active=True)
        if existing is not None:
            if not rules.can_see(user, existing):
                raise Conflict(
                    "Someone is already preparing a proposal from this answer; it will "
                    "appear here once they open it for review.",
                    code="in_progress",
                )
            return FromAnswer(existing, created=False)
        content = with_answer(
            text=locked.content,
            section=question.document_section,
            heading=question.title,
            answer=answer.content,
        )
        try:
            check_size(content)
        except ValidationError as exc:
            raise InvalidInput(
                f"The answer does not fit in the document. {' '.join(exc.messages)}"
            ) from None
        proposal = lifecycle.proposal_create(
            document=document,
            user=user,
            title=title_for(question),
            description=description_for(answer),
            content=content,
            origin=origin,
            credited=[question.author, answer.author],
        )
    return FromAnswer(proposal, created=True)


def answer_offer(*, user, question: Question) -> Offer | None:
    """What the question page offers `user` (None: nothing, e.g. no accepted answer, no
    document, signed out). The rules are `proposal_from_answer`'s own."""
    if question.accepted_answer_id is None or not is_signed_in(user):
        return None
    try:
        answer = _answer(user=user, answer_id=question.accepted_answer_id)
        document = _check_proposable(user, answer)
    except ContributionsError:
        return None
    latest = _latest_from(document, origin_of(answer), active=False)
    if latest is not None and not rules.can_see(user, latest):
        latest = None
    title = section_title(document, question.document_section)
    return Offer(answer, answer.question, title, latest)
