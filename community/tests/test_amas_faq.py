"""After an AMA: the host turns chosen answers into FAQ entries on the linked documents
(once per document and question however often they choose them), shown on the document
page, and removable by the host, moderators and the document's owner only."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration.tests.factories import DocumentFactory
from community.errors import Conflict, InvalidInput, NotAllowed
from community.models import AmaState, FaqEntry
from community.services import amas as services
from community.services import amas_faq as faq
from community.services import amas_questions as questions
from community.tests.factories_amas import make_ama

pytestmark = pytest.mark.django_db


@pytest.fixture
def session():
    owner = UserFactory()
    documents = [DocumentFactory(owner=owner), DocumentFactory(owner=owner)]
    ama = make_ama(state=AmaState.LIVE, documents=documents)
    answered = questions.question_ask(ama_id=ama.pk, author=UserFactory(), content="Why?")
    questions.question_answer(
        ama_id=ama.pk, question_id=answered.pk, user=ama.host, answer="Because."
    )
    waiting = questions.question_ask(ama_id=ama.pk, author=UserFactory(), content="How?")
    return ama, documents, answered, waiting, owner


def test_faq_entries_come_after_the_end_and_once_per_document(session):
    ama, documents, answered, _waiting, _owner = session
    with pytest.raises(Conflict, match="ended"):
        faq.faq_from_answers(ama_id=ama.pk, user=ama.host, question_ids=[answered.pk])
    services.ama_end(ama_id=ama.pk, user=ama.host)

    first = faq.faq_from_answers(ama_id=ama.pk, user=ama.host, question_ids=[answered.pk])
    again = faq.faq_from_answers(ama_id=ama.pk, user=ama.host, question_ids=[answered.pk])

    assert [e.pk for e in first] == [e.pk for e in again]
    assert FaqEntry.objects.count() == 2  # one per linked document
    entry = FaqEntry.objects.get(document=documents[0])
    assert (entry.question, entry.answer, entry.source_id) == ("Why?", "Because.", answered.pk)


def test_only_answered_questions_of_the_session_and_its_documents(session):
    ama, documents, answered, waiting, _owner = session
    services.ama_end(ama_id=ama.pk, user=ama.host)
    with pytest.raises(InvalidInput) as refused:
        faq.faq_from_answers(ama_id=ama.pk, user=ama.host, question_ids=[waiting.pk])
    assert refused.value.field == "question_ids"
    with pytest.raises(InvalidInput) as refused:
        faq.faq_from_answers(
            ama_id=ama.pk,
            user=ama.host,
            question_ids=[answered.pk],
            document_ids=[DocumentFactory().pk],
        )
    assert refused.value.field == "document_ids"
    with pytest.raises(NotAllowed):
        faq.faq_from_answers(ama_id=ama.pk, user=UserFactory(), question_ids=[answered.pk])
    faq.faq_from_answers(
        ama_id=ama.pk, user=ama.host, question_ids=[answered.pk], document_ids=[documents[1].pk]
    )
    assert list(FaqEntry.objects.values_list("document_id", flat=True)) == [documents[1].pk]


def test_who_removes_an_entry(session):
    ama, _documents, answered, _waiting, owner = session
    services.ama_end(ama_id=ama.pk, user=ama.host)
    entries = faq.faq_from_answers(ama_id=ama.pk, user=ama.host, question_ids=[answered.pk])
    with pytest.raises(NotAllowed):
        faq.faq_remove(entry_id=entries[0].pk, user=UserFactory())
    faq.faq_remove(entry_id=entries[0].pk, user=owner)
    faq.faq_remove(entry_id=entries[1].pk, user=UserFactory(role=Role.MODERATOR))
    faq.faq_remove(entry_id=entries[1].pk, user=ama.host)  # gone already: no error
    assert not FaqEntry.objects.exists()


def test_the_document_page_shows_the_faq(session, client):
    ama, documents, answered, _waiting, _owner = session
    services.ama_end(ama_id=ama.pk, user=ama.host)
    faq.faq_from_answers(ama_id=ama.pk, user=ama.host, question_ids=[answered.pk])
    page = client.get(documents[0].get_absolute_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="faq"' in text and "Why?" in text and "<p>Because.</p>" in text
    assert f"/amas/{ama.pk}/" in text
