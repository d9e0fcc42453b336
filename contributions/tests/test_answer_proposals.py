"""Accepted answer → proposed change: the question page offers "Propose this for the
document" for the accepted answer of a question about a document; the proposal's branch is
the document with the answer at the end of the question's section, crediting the asker and
the answerer; asking again answers the same proposal; refusals are 4xx with nothing made."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import close_old_connections, connection
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from community.services import answers as answer_services
from community.tests.factories import AnswerFactory, QuestionFactory
from contributions.models import Proposal, ProposalState
from contributions.proposals import lifecycle, merge, reviews
from contributions.proposals.from_answer import proposal_from_answer, with_answer
from contributions.tests import factories_proposals
from contributions.tests.factories_git import git_root  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
BUTTON = "Propose this for the document"
TEXT = (
    "# Attention\n\n"
    "## Softmax\n\nScores become weights.\n\n"
    "### Temperature\n\nDivide by T.\n\n"
    "## Values\n\nA weighted sum of values.\n"
)
CLICKS = 6
ANSWER = "Subtract the largest score first:\nsoftmax does not change, and exp cannot overflow."


@pytest.fixture(autouse=True)
def _repositories_in_tmp(git_root):  # noqa: F811 - the imported fixture
    """Merges commit to the document's Git repository: keep them out of the project."""


def make_document(visibility: str = "public", owner=None):
    return factories_proposals.make_document(owner=owner, content=TEXT, visibility=visibility)


def accepted_answer(*, document=None, section: str = "softmax", accept: bool = True, asker=None):
    """An answer to a question about `document` (its `section`), accepted by the asker."""
    question = QuestionFactory(
        author=asker or UserFactory(),
        document=document,
        document_section=section if document is not None else "",
        title="Why subtract the max in softmax?",
        content="Every implementation does it.\nIs it only for speed?",
    )
    answer = AnswerFactory(question=question, content=ANSWER)
    if accept:
        answer_services.answer_accept(answer_id=answer.pk, user=question.author)
        answer.refresh_from_db()
    return answer


def propose_page(client, answer, user):
    client.force_login(user)
    return client.post(reverse("contributions:answer-propose", args=[answer.pk]))


def propose_api(answer_id, user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client.post(f"/api/answers/{answer_id}/propose")


def question_page(client, question, user=None) -> str:
    if user is not None:
        client.force_login(user)
    response = client.get(reverse("community:question-detail", args=[question.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html)  # the CSP allows no inline script
    return html


# --- where the answer goes ---------------------------------------------------------------


def test_the_answer_goes_at_the_end_of_its_section_after_its_subsections():
    text = with_answer(text=TEXT, section="softmax", heading="Q", answer="New.\n\n")

    assert text == TEXT.replace("Divide by T.\n\n", "Divide by T.\n\nNew.\n\n")


def test_the_answer_goes_at_the_end_of_the_last_section():
    text = with_answer(text=TEXT, section="values", heading="Q", answer="New.")

    assert text == f"{TEXT}\nNew.\n"


def test_without_a_section_the_answer_is_appended_under_the_questions_title():
    for section in ("", "a-heading-since-renamed"):
        text = with_answer(text=TEXT, section=section, heading="Why\nthe max?", answer="New.")
        assert text == f"{TEXT}\n## Why the max?\n\nNew.\n"


def test_an_empty_document_gets_the_heading_and_the_answer():
    assert with_answer(text="", section="", heading="Why?", answer="New.") == "## Why?\n\nNew.\n"


def test_a_heading_inside_a_code_block_does_not_end_the_section():
    text = "## Softmax\n\n```\n## not a heading\n```\n\n## Values\n\nSum.\n"

    result = with_answer(text=text, section="softmax", heading="Q", answer="New.")

    assert result == text.replace("```\n\n## Values", "```\n\nNew.\n\n## Values")


# --- the flow end to end -----------------------------------------------------------------


def test_a_reader_proposes_the_accepted_answer_and_lands_on_the_proposal(client):
    document = make_document()
    answer = accepted_answer(document=document)
    question = answer.question
    reader = UserFactory()

    response = propose_page(client, answer, reader)

    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("contributions:proposal", args=[proposal.pk])
    assert proposal.author == reader
    assert proposal.state == ProposalState.OPEN
    assert proposal.title == f"From Q&A: {question.title}"
    assert proposal.origin == f"answer:{answer.pk}"
    assert set(proposal.credited.all()) == {question.author, answer.author}
    assert proposal.branch.content == TEXT.replace(
        "Divide by T.\n\n", f"Divide by T.\n\n{ANSWER}\n\n"
    )
    assert proposal.base_content == TEXT
    assert "> Every implementation does it.\n> Is it only for speed?" in proposal.description
    assert reverse("community:question-detail", args=[question.pk]) in proposal.description
    assert reverse("community:answer-link", args=[answer.pk]) in proposal.description
    assert f"@{question.author.username} (asked)" in proposal.description
    assert f"@{answer.author.username} (answered)" in proposal.description
    document.refresh_from_db()
    assert document.content == TEXT  # nothing changes before the merge


def test_brackets_in_the_question_title_keep_the_link_whole():
    answer = accepted_answer(document=make_document())
    answer.question.title = "What does [CLS] mean?"
    answer.question.save(update_fields=["title"])

    body = propose_api(answer.pk, UserFactory()).json()

    url = reverse("community:question-detail", args=[answer.question.pk])
    description = Proposal.objects.get(pk=body["id"]).description
    assert f"[What does \\[CLS\\] mean?]({url})" in description
    assert body["title"] == "From Q&A: What does [CLS] mean?"


def test_a_second_click_answers_the_same_proposal(client):
    answer = accepted_answer(document=make_document())
    first = propose_page(client, answer, UserFactory())

    second = propose_page(client, answer, UserFactory())
    again = propose_api(answer.pk, UserFactory())

    assert Proposal.objects.count() == 1
    assert second["Location"] == first["Location"]
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["id"] == Proposal.objects.get().pk


@pytest.mark.django_db(transaction=True)
def test_people_clicking_at_once_make_one_proposal():
    answer = accepted_answer(document=make_document())
    readers = [UserFactory() for _ in range(CLICKS)]
    start = threading.Barrier(CLICKS)

    def click(reader) -> object:
        try:
            start.wait(timeout=30)
            return proposal_from_answer(user=reader, answer_id=answer.pk).proposal.pk
        except Exception as exc:  # reported by the assertion below
            return repr(exc)
        finally:
            connection.close()  # each thread has its own connection

    with ThreadPoolExecutor(max_workers=CLICKS) as pool:
        outcomes = list(pool.map(click, readers))
    close_old_connections()

    assert outcomes == [Proposal.objects.get().pk] * CLICKS


def test_once_closed_the_answer_can_be_proposed_again():
    answer = accepted_answer(document=make_document())
    reader = UserFactory()
    first = propose_api(answer.pk, reader).json()
    lifecycle.proposal_close(proposal=Proposal.objects.get(pk=first["id"]), user=reader)

    second = propose_api(answer.pk, reader)

    assert second.status_code == 201
    assert second.json()["id"] != first["id"]


def test_the_api_makes_the_proposal_with_its_credits():
    answer = accepted_answer(document=make_document(), section="")
    asker, answerer = answer.question.author, answer.author

    response = propose_api(answer.pk, answerer)

    assert response.status_code == 201
    body = response.json()
    assert body["created"] is True
    assert body["author"] == answerer.username
    assert body["credited"] == [asker.username]  # the answerer is the author
    assert body["url"] == reverse("contributions:proposal", args=[body["id"]])
    branch = Proposal.objects.get(pk=body["id"]).branch
    assert branch.content.endswith(f"\n## {answer.question.title}\n\n{ANSWER}\n")


def test_merging_it_credits_the_asker_and_the_answerer(
    eager_tasks, django_capture_on_commit_callbacks
):
    document = make_document()
    answer = accepted_answer(document=document)
    asker, answerer = answer.question.author, answer.author
    asker.refresh_from_db()
    answerer.refresh_from_db()
    before = {asker.pk: asker.reputation, answerer.pk: answerer.reputation}
    reviewer = factories_proposals.reviewer()
    proposal = Proposal.objects.get(pk=propose_api(answer.pk, UserFactory()).json()["id"])
    reviews.review_submit(proposal=proposal, user=reviewer, verdict="approve")

    with django_capture_on_commit_callbacks(execute=True):
        merge.proposal_merge(proposal=proposal, user=reviewer)

    document.refresh_from_db()
    assert ANSWER in document.content
    for person in (asker, answerer):
        person.refresh_from_db()
        gained = person.reputation - before[person.pk]
        assert gained == settings.REPUTATION_PROPOSAL_CO_AUTHOR


# --- the button ---------------------------------------------------------------------------


def test_the_question_page_offers_the_button_for_an_accepted_answer(client):
    answer = accepted_answer(document=make_document())

    html = question_page(client, answer.question, UserFactory())

    assert BUTTON in html
    assert reverse("contributions:answer-propose", args=[answer.pk]) in html
    assert "at the end of the section “Softmax”" in html


def test_no_button_without_an_accepted_answer_a_document_or_a_sign_in(client):
    not_accepted = accepted_answer(document=make_document(), accept=False)
    no_document = accepted_answer(document=None)
    accepted = accepted_answer(document=make_document())

    assert BUTTON not in question_page(client, accepted.question)  # signed out
    reader = UserFactory()
    assert BUTTON not in question_page(client, not_accepted.question, reader)
    assert BUTTON not in question_page(client, no_document.question, reader)


def test_once_proposed_the_page_links_the_proposal_instead(client):
    answer = accepted_answer(document=make_document())
    reader = UserFactory()
    propose_page(client, answer, reader)
    proposal = Proposal.objects.get()

    html = question_page(client, answer.question, UserFactory())

    assert BUTTON not in html
    assert reverse("contributions:proposal", args=[proposal.pk]) in html
    assert "This accepted answer is proposed for the document" in html


# --- refusals -------------------------------------------------------------------------------


def test_an_answer_that_is_not_accepted_is_refused_with_nothing_made(client):
    answer = accepted_answer(document=make_document(), accept=False)

    api = propose_api(answer.pk, UserFactory())
    page = propose_page(client, answer, UserFactory())

    assert api.status_code == 409
    assert api.json()["error"]["message"] == (
        "Only the accepted answer can be proposed for the document."
    )
    assert page.status_code == 302
    assert page["Location"] == reverse("community:answer-link", args=[answer.pk])
    assert Proposal.objects.count() == 0


def test_a_question_about_no_document_is_refused():
    answer = accepted_answer(document=None)

    response = propose_api(answer.pk, UserFactory())

    assert response.status_code == 409
    assert "not about a document" in response.json()["error"]["message"]
    assert Proposal.objects.count() == 0


def test_an_answer_about_a_private_document_does_not_exist_for_outsiders(client):
    owner = UserFactory()
    document = make_document(visibility="private", owner=owner)
    answer = accepted_answer(document=document, asker=owner)

    assert propose_api(answer.pk, UserFactory()).status_code == 404
    assert propose_page(client, answer, UserFactory()).status_code == 404
    assert Proposal.objects.count() == 0


def test_the_documents_owner_may_propose_it_on_a_private_document():
    owner = UserFactory()
    document = make_document(visibility="private", owner=owner)
    answer = accepted_answer(document=document, asker=owner)

    assert propose_api(answer.pk, owner).status_code == 201


def test_unknown_and_deleted_answers_are_404():
    answer = accepted_answer(document=make_document())
    answer_services.answer_delete(answer_id=answer.pk, user=UserFactory(role=Role.MODERATOR))

    assert propose_api(answer.pk, UserFactory()).status_code == 404
    assert propose_api(answer.pk + 1000, UserFactory()).status_code == 404
    assert propose_api(10**30, UserFactory()).status_code == 404
    assert propose_api(answer.pk, UserFactory(role=Role.MODERATOR)).status_code == 404
    assert Proposal.objects.count() == 0


def test_signing_in_is_required(client):
    answer = accepted_answer(document=make_document())

    page = client.post(reverse("contributions:answer-propose", args=[answer.pk]))

    assert propose_api(answer.pk).status_code == 401
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:login"))
    assert Proposal.objects.count() == 0


def test_the_page_takes_only_post(client):
    answer = accepted_answer(document=make_document())
    client.force_login(UserFactory())

    response = client.get(reverse("contributions:answer-propose", args=[answer.pk]))

    assert response.status_code == 405
    assert Proposal.objects.count() == 0


def test_a_document_that_would_grow_past_the_size_limit_is_refused(settings):
    answer = accepted_answer(document=make_document())
    settings.MAX_DOCUMENT_CHARS = len(TEXT) + 10

    response = propose_api(answer.pk, UserFactory())

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "The answer does not fit in the document. The document would have "
        f"{len(TEXT) + len(ANSWER) + 2} characters; the limit is {len(TEXT) + 10}."
    )
    assert Proposal.objects.count() == 0
