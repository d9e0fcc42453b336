"""Hybrid search: the three modes, the type, tag and owner filters, permissions (a private
document's sections never reach anyone else, in any mode, page or API), the fallback when
the embedder is unavailable, and the page and API around it."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from collaboration.models import Visibility
from collaboration.semantic import retrieval
from collaboration.semantic.embedders import EmbeddingsUnavailable
from collaboration.semantic.retrieval import Scope, search, trigram_ranking
from collaboration.tests.api_helpers import assert_error, client_for
from collaboration.tests.factories import DocumentFactory, TagFactory
from collaboration.tests.semantic_helpers import OVERFITTING, Q_LEARNING, embed_everything
from community.tests.factories import AnswerFactory, QuestionFactory

pytestmark = pytest.mark.django_db

API_URL = "/api/search"
PARAPHRASE = "my validation error keeps rising"  # no page holds these words together


class BrokenEmbedder:
    name = "test/broken"
    dimension = 3

    def embed(self, texts):
        raise EmbeddingsUnavailable("the embedding service did not answer")


@pytest.fixture
def site():
    olga, bob = UserFactory(username="olga"), UserFactory(username="bob")
    ml = TagFactory(slug="ml", name="ML")
    regularisation = DocumentFactory(
        title="Regularisation", content=OVERFITTING, owner=olga, tags=[ml]
    )
    rl = DocumentFactory(title="Reinforcement learning", content=Q_LEARNING, owner=bob)
    secret = DocumentFactory(
        title="Secret training diary",
        content="## Early stopping notes\n\nMy validation error keeps rising after epoch "
        "three, so I stop training early.",
        owner=bob,
        visibility=Visibility.PRIVATE,
    )
    answer = AnswerFactory(
        question=QuestionFactory(
            title="How do I stop my network from overfitting?",
            content="Training accuracy is perfect but validation accuracy is poor.",
            author=bob,
        ),
        content="Stop training when the validation loss stops improving, and add dropout.",
        author=olga,
    )
    embed_everything()
    return {
        "olga": olga,
        "bob": bob,
        "regularisation": regularisation,
        "rl": rl,
        "secret": secret,
        "answer": answer,
    }


def _places(hits):
    return [(h.type, h.slug or h.title, h.section_anchor) for h in hits]


def test_semantic_mode_finds_what_keyword_mode_cannot(site):
    assert search(user=None, query=PARAPHRASE, mode="keyword").hits == []

    hits = search(user=None, query=PARAPHRASE, mode="semantic", types=["section"]).hits

    assert _places(hits)[0] == ("section", "regularisation", "early-stopping")
    assert hits[0].url == "/docs/regularisation/#early-stopping"
    assert hits[0].section == {"anchor": "early-stopping", "title": "Early stopping"}


def test_hybrid_keeps_exact_matches_first_and_adds_matches_by_meaning(site):
    hybrid = _places(search(user=None, query="dropout", mode="hybrid").hits)
    keyword = _places(search(user=None, query="dropout", mode="keyword").hits)

    assert hybrid[0] == keyword[0] == ("section", "regularisation", "dropout")
    assert ("answer", "How do I stop my network from overfitting?", "") in keyword
    # Hybrid is the default, and finds by meaning what no page says in these words.
    assert ("section", "regularisation", "early-stopping") in _places(
        search(user=None, query=PARAPHRASE).hits[:3]
    )


def test_titles_with_a_typo_are_found_by_trigrams(site):
    scope = Scope(user=None)
    assert trigram_ranking(scope, "dropuot")[0] == ("section", site["regularisation"].pk, "dropout")
    assert ("section", "regularisation", "dropout") in _places(
        search(user=None, query="dropuot").hits
    )


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_a_private_documents_sections_never_reach_anyone_else(client, site, mode):
    query = "validation early stopping"  # the private page has these words too
    for reader in (None, site["olga"]):
        titles = {hit.title for hit in search(user=reader, query=query, mode=mode).hits}
        assert "Secret training diary" not in titles
        assert "Regularisation" in titles

        body = client_for(reader).get(API_URL, {"q": query, "mode": mode}).json()
        assert "Secret training diary" not in {r["title"] for r in body["results"]}
        if reader:
            client.force_login(reader)
        page = client.get(reverse("collaboration:search"), {"q": query, "mode": mode})
        assert "Secret training diary" not in page.content.decode()
        assert "Regularisation" in page.content.decode()

    owners_titles = {h.title for h in search(user=site["bob"], query=query, mode=mode).hits}
    assert "Secret training diary" in owners_titles


def test_type_tag_and_owner_filters(site):
    query = "how to stop overfitting with early stopping"
    questions = search(user=None, query=query, types=["question"]).hits
    answers = search(user=None, query=query, types=["answer"]).hits
    sections = search(user=None, query=query, types=["section"]).hits

    assert {h.type for h in questions} == {"question"} and questions
    assert {h.type for h in answers} == {"answer"} and answers
    assert answers[0].url.endswith(f"#answer-{site['answer'].pk}")
    assert {h.type for h in sections} == {"section"} and sections

    tagged = search(user=None, query=query, tag="ml").hits
    assert {h.slug for h in tagged} == {"regularisation"}  # the only thing tagged ML
    by_bob = search(user=None, query="learning from rewards", owner="bob").hits
    assert by_bob and {h.owner for h in by_bob} == {site["bob"]}
    assert search(user=None, query=query, tag="no-such-tag").hits == []


def test_an_unavailable_embedder_falls_back_to_keyword_with_a_notice(site, settings):
    settings.EMBEDDINGS_BACKEND = "collaboration.tests.test_semantic_search.BrokenEmbedder"

    outcome = search(user=None, query="dropout", mode="semantic")

    assert outcome.mode == "keyword"
    assert outcome.notice == retrieval.UNAVAILABLE
    assert _places(outcome.hits)[0] == ("section", "regularisation", "dropout")
    body = client_for().get(API_URL, {"q": "dropout"}).json()
    assert (body["mode"], body["notice"]) == ("keyword", retrieval.UNAVAILABLE)


def test_api_results_say_what_and_where(site):
    body = client_for().get(API_URL, {"q": PARAPHRASE, "mode": "semantic"}).json()

    assert body["mode"] == "semantic" and body["notice"] == ""
    first = next(r for r in body["results"] if r["type"] == "section")
    assert first["type"] == "section"
    assert first["slug"] == "regularisation" and first["title"] == "Regularisation"
    assert first["section"] == {"anchor": "early-stopping", "title": "Early stopping"}
    assert first["url"] == "/docs/regularisation/#early-stopping"
    assert first["owner"]["username"] == "olga" and first["tags"] == ["ml"]
    question = next(r for r in body["results"] if r["type"] == "question")
    assert question["slug"] is None and question["section"] is None
    assert question["url"] == f"/questions/{site['answer'].question_id}/"


@pytest.mark.parametrize(
    ("params", "field"),
    [({"q": "dropout", "mode": "fuzzy"}, "mode"), ({"q": "dropout", "type": "video"}, "type")],
)
def test_api_refuses_an_unknown_mode_or_type(params, field):
    error = assert_error(client_for().get(API_URL, params), 400, "invalid")
    assert field in error["fields"]


def test_the_page_offers_the_modes_and_keeps_them_across_pages(client, site):
    for n in range(25):
        DocumentFactory(title=f"Dropout note {n}", content="Dropout zeroes activations.")

    response = client.get(
        reverse("collaboration:search"), {"q": "dropout", "mode": "keyword", "type": "section"}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert '<option value="keyword" selected>' in body
    assert '<option value="section" selected>' in body
    assert "mode=keyword" in body and "type=section" in body and "page=2" in body


def test_an_unknown_mode_on_the_page_is_the_default(client, site):
    response = client.get(reverse("collaboration:search"), {"q": PARAPHRASE, "mode": "nope"})
    assert response.status_code == 200
    body = response.content.decode()
    assert '<option value="hybrid" selected>' in body
    assert "/docs/regularisation/#early-stopping" in body
    assert "\u203a Early stopping" in body  # the section's heading beside its document's title
