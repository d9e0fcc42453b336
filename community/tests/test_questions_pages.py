"""The Q&A pages as people use them: the list and its filters, a question with its
answers and buttons, the ask form and its errors, answering, accepting, closing, editing,
the history, and the questions panel on a document's page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration.models import Visibility
from collaboration.tests.factories import DocumentFactory, TagFactory
from community.models import Answer, Question, QuestionRevision
from community.services import answers as answer_services
from community.services import questions as question_services
from community.tests.factories import AnswerFactory, QuestionFactory
from community.views import questions as question_views

pytestmark = pytest.mark.django_db

DOC_TEXT = "# Attention\n\n## Scaled dot product\n\nSoftmax.\n\n## Multi-head attention\n\nHeads.\n"
QUESTION = {
    "title": "Why divide attention scores by sqrt(d_k)?",
    "content": "The page says the softmax saturates; why does that hurt training?",
    "tags": "attention, Transformers",
    "difficulty_level": "intermediate",
    "document": "",
    "document_section": "",
}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.content[:500]
    return response.content.decode()


def asked(author=None, **fields) -> Question:
    return question_services.question_create(
        author=author or UserFactory(),
        title=fields.pop("title", "How does multi-head attention split the model?"),
        content=fields.pop("content", "Each head gets a slice; **why** is that not a loss?"),
        **fields,
    )


# --- the list ------------------------------------------------------------------------------


def test_the_list_shows_questions_with_their_counts_and_filters(client):
    tag = TagFactory(slug="attention", name="Attention")
    asker = UserFactory()
    tagged = asked(author=asker, tags=["attention"])
    other = asked(title="What does a convolution kernel learn?")
    answer = answer_services.answer_create(
        question_id=tagged.pk, author=UserFactory(), content="Each head attends separately."
    )
    answer_services.answer_accept(answer_id=answer.pk, user=asker)

    html = page(client, reverse("community:question-list"))
    assert tagged.title in html and other.title in html
    assert "<strong>1</strong> answer<" in html and "2 questions" in html

    html = page(client, f"{reverse('community:question-list')}?tag={tag.slug}")
    assert tagged.title in html and other.title not in html
    html = page(client, f"{reverse('community:question-list')}?status=unanswered&sort=votes")
    assert other.title in html and tagged.title not in html
    # Nonsense in the query string narrows nothing and breaks nothing.
    html = page(client, f"{reverse('community:question-list')}?sort=loud&status=x&difficulty=y")
    assert tagged.title in html and other.title in html


def test_the_list_about_a_document_names_it_and_leaves_other_questions_out(client):
    document = DocumentFactory(title="Attention explained")
    about = asked(document=document.slug)
    other = asked(title="A question about nothing in particular")
    html = page(client, f"{reverse('community:question-list')}?document={document.slug}")
    assert "Questions about “Attention explained”" in html
    assert about.title in html and other.title not in html


def test_questions_you_may_not_see_are_not_listed_or_shown(client):
    private = DocumentFactory(visibility=Visibility.PRIVATE)
    secret = QuestionFactory(document=private, title="A secret question about a private page")
    gone = QuestionFactory(title="A deleted question", deleted_at=timezone.now())
    html = page(client, reverse("community:question-list"))
    assert secret.title not in html and gone.title not in html
    page(client, reverse("community:question-detail", args=[secret.pk]), 404)
    page(client, reverse("community:question-revisions", args=[secret.pk]), 404)
    page(signed_in(UserFactory()), reverse("community:question-detail", args=[gone.pk]), 404)
    moderator_view = page(
        signed_in(UserFactory(role=Role.MODERATOR)),
        reverse("community:question-detail", args=[gone.pk]),
    )
    assert "was deleted" in moderator_view


# --- a question ----------------------------------------------------------------------------


def test_a_question_shows_rendered_sanitised_text_and_answers_accepted_first(client):
    question = asked(content="Why is **softmax** used? <script>alert(1)</script>")
    best = AnswerFactory(question=question, score=5, content="The **highest** score.")
    accepted = AnswerFactory(question=question, score=0, is_accepted=True, content="Accepted one.")

    html = page(client, reverse("community:question-detail", args=[question.pk]))

    assert "<strong>softmax</strong>" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert html.index(f'id="answer-{accepted.pk}"') < html.index(f'id="answer-{best.pk}"')
    assert "Accepted answer" in html
    assert f'data-vote-url="/api/answers/{best.pk}/vote"' in html
    assert f'data-vote-url="/api/questions/{question.pk}/vote"' in html
    assert "Log in</a> or" in html  # to answer


def test_the_asker_sees_accept_buttons_and_others_do_not():
    asker = UserFactory()
    question = asked(author=asker)
    answer = AnswerFactory(question=question)
    url = reverse("community:question-detail", args=[question.pk])
    accept_url = reverse("community:answer-accept", args=[answer.pk])

    assert accept_url in page(signed_in(asker), url)
    assert accept_url not in page(signed_in(UserFactory()), url)

    response = signed_in(asker).post(accept_url)
    assert response.status_code == 302
    assert response["Location"] == f"{url}#answer-{answer.pk}"
    answer.refresh_from_db()
    assert answer.is_accepted
    html = page(signed_in(asker), url)
    assert reverse("community:answer-unaccept", args=[answer.pk]) in html

    assert (
        signed_in(asker).post(reverse("community:answer-unaccept", args=[answer.pk])).status_code
        == 302
    )
    answer.refresh_from_db()
    assert not answer.is_accepted


def test_accepting_someone_elses_question_is_a_403_page_with_the_reason():
    answer = AnswerFactory(question=asked())
    response = signed_in(UserFactory()).post(reverse("community:answer-accept", args=[answer.pk]))
    assert response.status_code == 403
    assert "Only the person who asked" in response.content.decode()


def test_edit_links_follow_the_privileges():
    author = UserFactory()
    question = asked(author=author)
    url = reverse("community:question-detail", args=[question.pk])
    edit_url = reverse("community:question-edit", args=[question.pk])
    assert edit_url in page(signed_in(author), url)
    assert edit_url not in page(signed_in(UserFactory(reputation=999)), url)
    assert edit_url in page(signed_in(UserFactory(reputation=1000)), url)

    refused = page(signed_in(UserFactory(reputation=999)), edit_url, 403)
    assert "1000 reputation" in refused


def test_the_question_page_counts_a_viewer_once(client, settings):
    # A cache of this test's own: with Redis, other test processes clear the shared one.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "qa"}
    }
    question = asked()
    url = reverse("community:question-detail", args=[question.pk])
    page(client, url)
    page(client, url)
    question.refresh_from_db()
    assert question.view_count == 1


# --- asking --------------------------------------------------------------------------------


def test_asking_needs_signing_in(client):
    response = client.get(reverse("community:question-ask"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_ask_form_explains_what_is_wrong_and_keeps_what_was_typed(user):
    client = signed_in(user)
    response = client.post(
        reverse("community:question-ask"),
        {**QUESTION, "title": "Why?", "content": "Help", "tags": "a, b, c, d, e, f"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Write a title of at least 10 characters" in html
    assert 'value="a, b, c, d, e, f"' in html
    assert not Question.objects.exists()

    response = client.post(
        reverse("community:question-ask"), {**QUESTION, "tags": "a, b, c, d, e, f"}
    )
    assert "Use at most 5 tags." in response.content.decode()
    assert not Question.objects.exists()


def test_asking_posts_the_question_and_shows_it(user):
    document = DocumentFactory(content=DOC_TEXT)
    response = signed_in(user).post(
        reverse("community:question-ask"),
        {**QUESTION, "document": str(document.pk), "document_section": "multi-head-attention"},
    )
    question = Question.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("community:question-detail", args=[question.pk])
    assert question.author == user and question.difficulty_level == "intermediate"
    assert sorted(question.tags.values_list("slug", flat=True)) == ["attention", "transformers"]
    assert (question.document, question.document_section) == (document, "multi-head-attention")
    html = page(signed_in(user), response["Location"])
    assert "Multi-head attention" in html and document.title in html


def test_the_ask_form_comes_prefilled_from_a_document_page(user):
    document = DocumentFactory(title="Attention explained", content=DOC_TEXT)
    html = page(
        signed_in(user),
        f"{reverse('community:question-ask')}?document={document.slug}&section=scaled-dot-product",
    )
    assert f'<option value="{document.pk}" selected>Attention explained</option>' in html
    assert '<option value="scaled-dot-product" selected>' in html
    assert 'data-sections-url="/questions/ask/sections/"' in html


def test_the_ask_form_refuses_a_section_of_another_document(user):
    document = DocumentFactory(content=DOC_TEXT)
    response = signed_in(user).post(
        reverse("community:question-ask"),
        {**QUESTION, "document": str(document.pk), "document_section": "conclusion"},
    )
    assert "Choose one of the chosen document&#x27;s sections" in response.content.decode()
    assert not Question.objects.exists()


def test_sections_of_a_readable_document_for_the_form(user):
    document = DocumentFactory(content=DOC_TEXT)
    private = DocumentFactory(visibility=Visibility.PRIVATE, content=DOC_TEXT)
    url = reverse("community:question-sections")
    body = signed_in(user).get(f"{url}?document={document.pk}").json()
    assert [s["id"] for s in body["sections"]] == [
        "attention",
        "scaled-dot-product",
        "multi-head-attention",
    ]
    assert signed_in(user).get(f"{url}?document={private.pk}").status_code == 404


# --- answering, closing --------------------------------------------------------------------


def test_answering_from_the_page(user):
    question = asked()
    response = signed_in(user).post(
        reverse("community:answer-create", args=[question.pk]),
        {"content": "Each head works in a smaller space, so the cost stays the same."},
    )
    answer = Answer.objects.get()
    assert response["Location"].endswith(f"#answer-{answer.pk}")

    response = signed_in(user).post(
        reverse("community:answer-create", args=[question.pk]), {"content": "Thanks!"}
    )
    assert "too short" in response.content.decode()
    assert Answer.objects.count() == 1


def test_a_closed_question_says_so_and_takes_no_answer(user):
    question = asked()
    original = asked(title="The original question about heads")
    question_services.question_close(
        question_id=question.pk,
        user=UserFactory(role=Role.MODERATOR),
        reason="duplicate",
        duplicate_of=original.pk,
    )
    url = reverse("community:question-detail", args=[question.pk])
    html = page(signed_in(user), url)
    assert "This question already has an answer here" in html
    assert reverse("community:question-detail", args=[original.pk]) in html
    assert "This question is closed, so it takes no new answers." in html
    assert reverse("community:answer-create", args=[question.pk]) not in html

    response = signed_in(user).post(
        reverse("community:answer-create", args=[question.pk]),
        {"content": "An answer long enough to be accepted by the form."},
    )
    assert "closed" in response.content.decode()
    assert not Answer.objects.exists()


def test_closing_from_the_page():
    question = asked()
    url = reverse("community:question-close", args=[question.pk])
    closer = signed_in(UserFactory(reputation=2000))

    refused = signed_in(UserFactory()).post(url, {"reason": "off_topic"})
    assert refused.status_code == 403 and "2000 reputation" in refused.content.decode()

    response = closer.post(url, {"reason": "duplicate", "duplicate_of": ""})
    assert "Say which question this one duplicates." in response.content.decode()
    question.refresh_from_db()
    assert not question.is_closed

    original = asked(title="The question it repeats, about heads")
    response = closer.post(
        url,
        {"reason": "duplicate", "duplicate_of": f"https://example.org/questions/{original.pk}/"},
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.duplicate_of == original

    assert closer.post(reverse("community:question-reopen", args=[question.pk])).status_code == 302
    question.refresh_from_db()
    assert not question.is_closed


# --- editing and history -------------------------------------------------------------------


def test_editing_and_the_history_page(user):
    question = asked(author=user)
    response = signed_in(user).post(
        reverse("community:question-edit", args=[question.pk]),
        {**QUESTION, "summary": "added the formula"},
    )
    assert response.status_code == 302
    assert QuestionRevision.objects.filter(question=question).count() == 2

    html = page(Client(), reverse("community:question-revisions", args=[question.pk]))
    assert "Revision 2" in html and "Revision 1" in html and "(original)" in html
    assert "added the formula" in html
    assert user.get_full_name() in html
    assert "diff-insert" in html and "diff-delete" in html


def test_editing_an_answer_and_its_history(user):
    answer = AnswerFactory(author=user, question=asked())
    response = signed_in(user).post(
        reverse("community:answer-edit", args=[answer.pk]),
        {"content": "A better answer, with the formula in it.", "summary": "formula"},
    )
    assert response.status_code == 302
    answer.refresh_from_db()
    assert answer.content == "A better answer, with the formula in it."
    html = page(Client(), reverse("community:answer-revisions", args=[answer.pk]))
    assert "formula" in html and "Revision 1" in html


def test_the_share_link_of_an_answer_leads_to_it_on_its_page(client, monkeypatch):
    monkeypatch.setattr(question_views, "ANSWERS_PER_PAGE", 2)
    question = asked()
    answers = [AnswerFactory(question=question, score=score) for score in (3, 2, 1)]
    url = reverse("community:question-detail", args=[question.pk])

    first = client.get(reverse("community:answer-link", args=[answers[0].pk]))
    last = client.get(reverse("community:answer-link", args=[answers[2].pk]))

    assert first["Location"] == f"{url}#answer-{answers[0].pk}"
    assert last["Location"] == f"{url}?page=2#answer-{answers[2].pk}"
    assert f'id="answer-{answers[2].pk}"' in page(client, f"{url}?page=2")


# --- the document page's panel -------------------------------------------------------------


def test_a_document_page_lists_its_questions_and_offers_to_ask(client):
    document = DocumentFactory(content=DOC_TEXT)
    about = asked(document=document.slug, title="How many heads should a model have?")
    asked(title="Unrelated question about convolutions")
    QuestionFactory(document=document, title="Deleted about this page", deleted_at=timezone.now())

    html = page(client, document.get_absolute_url())

    assert "Questions about this page" in html
    assert about.title in html
    assert "Unrelated question" not in html and "Deleted about this page" not in html
    assert 'action="/questions/ask/"' in html
    assert f'name="document" value="{document.slug}"' in html
    assert '<option value="multi-head-attention">' in html


def test_closing_a_question_someone_just_closed_says_so():
    question = asked()
    closer = UserFactory(role=Role.EXPERT)
    question_services.question_close(question_id=question.pk, user=closer, reason="off_topic")
    client = signed_in(UserFactory(role=Role.MODERATOR))

    response = client.post(
        reverse("community:question-close", args=[question.pk]), {"reason": "unclear"}, follow=True
    )

    assert "This question is already closed." in response.content.decode()
    question.refresh_from_db()
    assert question.close_reason == "off_topic"
