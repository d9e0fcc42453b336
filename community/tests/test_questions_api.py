"""The questions API as a client sees it: asking, listing with filters and sorts, editing
with history, privileges, closing and reopening, deleting, visibility, preview and
similar questions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration.models import Tag, Visibility
from collaboration.tests.factories import DocumentFactory, DocumentMemberFactory, TagFactory
from community.models import Question, QuestionRevision
from community.tests.factories import AnswerFactory, QuestionFactory

pytestmark = pytest.mark.django_db

DOC_TEXT = (
    "# Attention\n\n## Scaled dot product\n\nSoftmax of QK.\n\n## Multi-head attention\n\nHeads.\n"
)
GOOD = {
    "title": "Why divide attention scores by sqrt(d_k)?",
    "content": "The page says the softmax saturates; why does that hurt training?",
}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def ask(user, **fields):
    return client_for(user).post("/api/questions", {**GOOD, **fields}, format="json")


def error_of(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:500]
    error = response.json()["error"]
    if code:
        assert error["code"] == code
    return error


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:500]
    return [item["id"] for item in response.json()["results"]]


# --- asking --------------------------------------------------------------------------------


def test_asking_creates_the_question_and_its_first_revision(user):
    document = DocumentFactory(content=DOC_TEXT)
    TagFactory(slug="attention", name="Attention")

    response = ask(
        user,
        tags=["attention", "Neural Networks"],
        difficulty_level="advanced",
        document_id=document.slug,
        document_section="scaled-dot-product",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == GOOD["title"]
    assert body["author"] == {"id": user.pk, "username": user.username}
    assert sorted(body["tags"]) == ["attention", "neural-networks"]
    assert Tag.objects.get(slug="neural-networks").name == "Neural Networks"  # created
    assert body["difficulty_level"] == "advanced"
    assert body["document"]["id"] == document.pk
    assert body["document_section"] == "scaled-dot-product"
    assert body["answer_count"] == 0 and body["is_answered"] is False
    assert body["url"] == f"/questions/{body['id']}/"
    revisions = list(QuestionRevision.objects.filter(question_id=body["id"]))
    assert [(r.number, r.title, r.editor_id) for r in revisions] == [(1, GOOD["title"], user.pk)]
    assert revisions[0].tags == ["attention", "neural-networks"]


def test_a_tag_given_by_its_name_finds_the_existing_tag(user):
    TagFactory(slug="nlp", name="NLP")
    response = ask(user, tags=["nlp", "NLP"])
    assert response.json()["tags"] == ["nlp"]
    assert Tag.objects.filter(name__iexact="nlp").count() == 1


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"title": "Why?"}, "title", "at least 10"),
        ({"content": "Too short"}, "content", "at least 20"),
        ({"tags": ["a", "b", "c", "d", "e", "f"]}, "tags", "at most 5"),
        ({"tags": ["!!!"]}, "tags", "cannot be a tag"),
        ({"difficulty_level": "guru"}, "difficulty_level", ""),
        ({"document_section": "intro"}, "document_section", "document first"),
    ],
)
def test_bad_input_is_a_400_on_its_field_and_creates_nothing(user, fields, field, words):
    error = error_of(ask(user, **fields), 400, "invalid")
    assert field in error["fields"]
    assert words in " ".join(error["fields"][field])
    assert not Question.objects.exists()


def test_a_document_the_asker_cannot_read_is_refused_on_its_field(user):
    private = DocumentFactory(visibility=Visibility.PRIVATE)
    for ref in (private.slug, private.pk, "no-such-document"):
        error = error_of(ask(user, document_id=ref), 400)
        assert "document_id" in error["fields"]
    assert not Question.objects.exists()


def test_a_section_must_be_a_heading_of_the_document(user):
    document = DocumentFactory(content=DOC_TEXT)
    error = error_of(ask(user, document_id=document.pk, document_section="conclusion"), 400)
    assert "is not a section" in error["fields"]["document_section"][0]


def test_signed_out_people_cannot_ask(api_client):
    error_of(api_client.post("/api/questions", GOOD, format="json"), 401)


# --- listing -------------------------------------------------------------------------------


def test_the_list_filters_by_tag_difficulty_document_and_title_words(api_client):
    transformers, vision = TagFactory(slug="transformers"), TagFactory(slug="vision")
    document = DocumentFactory()
    q1 = QuestionFactory(title="What is a transformer block?", difficulty_level="beginner")
    q1.tags.set([transformers])
    q2 = QuestionFactory(title="How do convolutions see edges?", difficulty_level="expert")
    q2.tags.set([vision])
    q3 = QuestionFactory(title="Transformer depth and vision", document=document)

    assert ids(api_client.get("/api/questions?tag=transformers")) == [q1.pk]
    assert ids(api_client.get("/api/questions?difficulty=expert")) == [q2.pk]
    assert ids(api_client.get(f"/api/questions?document={document.slug}")) == [q3.pk]
    assert ids(api_client.get(f"/api/questions?document={document.pk}")) == [q3.pk]
    assert ids(api_client.get("/api/questions?document=nope")) == []
    assert ids(api_client.get("/api/questions?q=transformer")) == [q3.pk, q1.pk]
    assert ids(api_client.get("/api/questions?q=transformer+vision")) == [q3.pk]


def test_answered_means_an_accepted_or_a_positively_scored_answer(api_client):
    accepted = QuestionFactory()
    answer = AnswerFactory(question=accepted, is_accepted=True)
    accepted.accepted_answer = answer
    accepted.save()
    upvoted = QuestionFactory()
    AnswerFactory(question=upvoted, score=2)
    zero = QuestionFactory()
    AnswerFactory(question=zero, score=0)
    deleted_only = QuestionFactory()
    AnswerFactory(question=deleted_only, score=5, deleted_at=timezone.now())
    bare = QuestionFactory()

    answered = set(ids(api_client.get("/api/questions?status=answered")))
    unanswered = set(ids(api_client.get("/api/questions?status=unanswered")))

    assert answered == {accepted.pk, upvoted.pk}
    assert unanswered == {zero.pk, deleted_only.pk, bare.pk}
    listed = {q["id"]: q for q in api_client.get("/api/questions").json()["results"]}
    assert listed[upvoted.pk]["is_answered"] and not listed[zero.pk]["is_answered"]


def test_the_list_sorts_by_newest_votes_and_activity(api_client):
    now = timezone.now()
    old = QuestionFactory(score=5, last_activity_at=now)
    middle = QuestionFactory(score=-1, last_activity_at=now - timedelta(days=3))
    new = QuestionFactory(score=2, last_activity_at=now - timedelta(days=1))
    for question, days in ((old, 10), (middle, 5), (new, 1)):
        Question.objects.filter(pk=question.pk).update(created_at=now - timedelta(days=days))

    assert ids(api_client.get("/api/questions")) == [new.pk, middle.pk, old.pk]
    assert ids(api_client.get("/api/questions?sort=votes")) == [old.pk, new.pk, middle.pk]
    assert ids(api_client.get("/api/questions?sort=activity")) == [old.pk, new.pk, middle.pk]
    error = error_of(api_client.get("/api/questions?sort=loudest"), 400)
    assert "sort" in error["fields"]


def test_the_list_is_paginated(api_client):
    QuestionFactory.create_batch(3)
    body = api_client.get("/api/questions?page_size=2").json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    error_of(api_client.get("/api/questions?page=9"), 404)


# --- who sees what -------------------------------------------------------------------------


def test_questions_about_a_document_you_cannot_read_do_not_exist_for_you(api_client):
    owner, member, stranger = UserFactory(), UserFactory(), UserFactory()
    restricted = DocumentFactory(owner=owner, visibility=Visibility.RESTRICTED)
    DocumentMemberFactory(document=restricted, user=member)
    question = QuestionFactory(document=restricted)
    AnswerFactory(question=question)
    public = QuestionFactory()

    assert ids(api_client.get("/api/questions")) == [public.pk]
    error_of(api_client.get(f"/api/questions/{question.pk}"), 404)
    error_of(client_for(stranger).get(f"/api/questions/{question.pk}/answers"), 404)
    error_of(client_for(stranger).get(f"/api/questions/{question.pk}/revisions"), 404)
    assert question.pk in ids(client_for(member).get("/api/questions"))
    assert client_for(owner).get(f"/api/questions/{question.pk}").status_code == 200
    similar = api_client.get(f"/api/questions/similar?title={question.title}").json()
    assert question.pk not in [q["id"] for q in similar]


def test_deleted_questions_are_for_moderators_and_hidden_ones_for_the_author_too(api_client):
    author = UserFactory()
    deleted = QuestionFactory(author=author, deleted_at=timezone.now())
    hidden = QuestionFactory(author=author, is_hidden=True, hidden_reason="moderator")
    moderator = UserFactory(role=Role.MODERATOR)

    for client in (api_client, client_for(UserFactory())):
        assert ids(client.get("/api/questions")) == []
        error_of(client.get(f"/api/questions/{hidden.pk}"), 404)
    error_of(client_for(author).get(f"/api/questions/{deleted.pk}"), 404)
    assert client_for(author).get(f"/api/questions/{hidden.pk}").json()["is_hidden"] is True
    body = client_for(moderator).get(f"/api/questions/{deleted.pk}").json()
    assert body["is_deleted"] is True


# --- editing -------------------------------------------------------------------------------


def test_editing_your_question_records_a_revision_with_its_summary(user):
    question_id = ask(user).json()["id"]
    before = Question.objects.get(pk=question_id).last_activity_at

    response = client_for(user).patch(
        f"/api/questions/{question_id}",
        {"title": "Why scale attention scores by sqrt(d_k)?", "tags": ["attention"],
         "summary": "clearer title"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["title"] == "Why scale attention scores by sqrt(d_k)?"
    assert body["tags"] == ["attention"]
    assert body["edited_by"]["id"] == user.pk and body["edited_at"]
    assert Question.objects.get(pk=question_id).last_activity_at > before
    revisions = client_for(user).get(f"/api/questions/{question_id}/revisions").json()["results"]
    assert [(r["number"], r["summary"], r["tags"]) for r in revisions] == [
        (1, "", []),
        (2, "clearer title", ["attention"]),
    ]
    assert revisions[1]["editor"]["username"] == user.username
    assert revisions[0]["title"] == GOOD["title"]


def test_an_edit_that_changes_nothing_writes_no_revision(user):
    question_id = ask(user).json()["id"]
    response = client_for(user).patch(f"/api/questions/{question_id}", GOOD, format="json")
    assert response.status_code == 200
    assert response.json()["edited_at"] is None
    assert QuestionRevision.objects.filter(question_id=question_id).count() == 1


def test_editing_others_needs_the_edit_privilege(settings):
    question = QuestionFactory()
    QuestionRevision.objects.create(question=question, number=1, title="t", content="c")
    url = f"/api/questions/{question.pk}"
    edit = {"content": "A clearer version of the question, with the formula."}

    error = error_of(
        client_for(UserFactory(reputation=999)).patch(url, edit, format="json"),
        403,
        "insufficient_reputation",
    )
    assert error["threshold"] == settings.PRIVILEGE_EDIT_OTHERS == 1000
    assert "1000" in error["message"]
    question.refresh_from_db()
    assert question.content != edit["content"]

    for editor in (
        UserFactory(reputation=1000),
        UserFactory(role=Role.EXPERT),
        UserFactory(role=Role.MODERATOR),
    ):
        edit["content"] += "!"
        response = client_for(editor).patch(url, edit, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["edited_by"]["id"] == editor.pk
    assert QuestionRevision.objects.filter(question=question).count() == 4


def test_a_locked_question_takes_no_edits(user):
    question = QuestionFactory(author=user, is_locked=True)
    response = client_for(user).patch(
        f"/api/questions/{question.pk}", {"content": "x" * 40}, format="json"
    )
    assert "locked" in error_of(response, 409, "conflict")["message"]


# --- closing and reopening -----------------------------------------------------------------


def test_closing_needs_the_close_privilege(settings):
    question = QuestionFactory()
    url = f"/api/questions/{question.pk}/close"
    error = error_of(
        client_for(UserFactory(reputation=1999)).post(url, {"reason": "off_topic"}, format="json"),
        403,
        "insufficient_reputation",
    )
    assert error["threshold"] == settings.PRIVILEGE_CLOSE == 2000

    response = client_for(UserFactory(reputation=2000)).post(
        url, {"reason": "unclear", "note": "Which model do you mean?"}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["is_closed"] and body["close_reason"] == "unclear"
    assert body["close_note"] == "Which model do you mean?"
    assert body["can"]["answer"] is False


def test_a_duplicate_names_another_visible_question():
    closer = UserFactory(role=Role.EXPERT)
    question, original = QuestionFactory(), QuestionFactory()
    secret = QuestionFactory(document=DocumentFactory(visibility=Visibility.PRIVATE))
    url = f"/api/questions/{question.pk}/close"
    client = client_for(closer)

    for bad in ({}, {"duplicate_of": question.pk}, {"duplicate_of": secret.pk}):
        error = error_of(client.post(url, {"reason": "duplicate", **bad}, format="json"), 400)
        assert "duplicate_of" in error["fields"]
    error = error_of(
        client.post(url, {"reason": "off_topic", "duplicate_of": original.pk}, format="json"), 400
    )
    assert "duplicate_of" in error["fields"]

    body = client.post(
        url, {"reason": "duplicate", "duplicate_of": original.pk}, format="json"
    ).json()
    assert body["duplicate_of"] == {"id": original.pk, "title": original.title}
    error_of(client.post(url, {"reason": "off_topic"}, format="json"), 409)  # closed already


def test_a_closed_question_takes_no_answers_until_it_is_reopened():
    moderator = UserFactory(role=Role.MODERATOR)
    question = QuestionFactory()
    client_for(moderator).post(
        f"/api/questions/{question.pk}/close", {"reason": "too_broad"}, format="json"
    )
    answer = {"content": "Here is a long enough answer to the question."}
    answerer = client_for(UserFactory())

    error = error_of(answerer.post(f"/api/questions/{question.pk}/answers", answer), 409)
    assert "closed" in error["message"]

    error_of(client_for(UserFactory()).post(f"/api/questions/{question.pk}/reopen"), 403)
    body = client_for(moderator).post(f"/api/questions/{question.pk}/reopen").json()
    assert body["is_closed"] is False and body["close_reason"] == ""
    assert answerer.post(f"/api/questions/{question.pk}/answers", answer).status_code == 201
    error_of(client_for(moderator).post(f"/api/questions/{question.pk}/reopen"), 409)


# --- deleting ------------------------------------------------------------------------------


def test_you_delete_your_question_only_while_it_has_no_answers(user):
    lonely = QuestionFactory(author=user)
    answered = QuestionFactory(author=user, answer_count=1)
    AnswerFactory(question=answered)

    assert client_for(user).delete(f"/api/questions/{lonely.pk}").status_code == 204
    error_of(client_for(user).get(f"/api/questions/{lonely.pk}"), 404)
    error = error_of(client_for(user).delete(f"/api/questions/{answered.pk}"), 409)
    assert "has answers" in error["message"]
    error_of(client_for(UserFactory()).delete(f"/api/questions/{answered.pk}"), 403)

    moderator = UserFactory(role=Role.MODERATOR)
    assert client_for(moderator).delete(f"/api/questions/{answered.pk}").status_code == 204
    body = client_for(moderator).get(f"/api/questions/{answered.pk}").json()
    assert body["is_deleted"] is True


# --- preview and similar questions ---------------------------------------------------------


def test_preview_renders_markdown_and_sanitises_html(user):
    response = client_for(user).post(
        "/api/preview",
        {"content": "**bold** <script>alert(1)</script> [x](javascript:alert(1))"},
        format="json",
    )
    html = response.json()["html"]
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html


def test_preview_is_for_signed_in_people_and_size_limited(api_client, user):
    error_of(api_client.post("/api/preview", {"content": "x"}, format="json"), 401)
    error = error_of(
        client_for(user).post("/api/preview", {"content": "x" * 30_001}, format="json"), 400
    )
    assert "content" in error["fields"]


def test_similar_questions_share_words_with_the_title(api_client):
    softmax = QuestionFactory(title="Why does softmax saturate in attention?")
    QuestionFactory(title="How do convolutions detect edges?", content="Kernels and images.")
    QuestionFactory(title="Deleted softmax question", deleted_at=timezone.now())

    found = api_client.get("/api/questions/similar?title=softmax saturation").json()

    assert [q["id"] for q in found] == [softmax.pk]
    assert found[0]["url"] == f"/questions/{softmax.pk}/"
    assert api_client.get("/api/questions/similar?title=").json() == []


def test_similar_questions_are_at_most_five(api_client):
    QuestionFactory.create_batch(7, title="Gradient descent learning rate question")
    assert len(api_client.get("/api/questions/similar?title=gradient descent").json()) == 5


def test_every_qa_address_answers_options_for_clients_that_ask(user):
    """OPTIONS (CORS preflights, API explorers) describes an endpoint, never a 500."""
    answer = AnswerFactory()
    question_id, answer_id = answer.question_id, answer.pk
    for url in (
        "/api/questions",
        "/api/questions/similar",
        f"/api/questions/{question_id}",
        f"/api/questions/{question_id}/revisions",
        f"/api/questions/{question_id}/answers",
        f"/api/questions/{question_id}/close",
        f"/api/questions/{question_id}/reopen",
        f"/api/answers/{answer_id}",
        f"/api/answers/{answer_id}/revisions",
        f"/api/answers/{answer_id}/accept",
        f"/api/answers/{answer_id}/unaccept",
        "/api/preview",
    ):
        assert client_for(user).options(url).status_code == 200, url
