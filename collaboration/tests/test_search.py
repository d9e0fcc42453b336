"""Search: matching, ranking, snippets (and their escaping), visibility, filters, empty queries,
and that edits are found at once (the PostgreSQL index table is refreshed before searching).

Runs on SQLite and on PostgreSQL (full-text search there)."""

import pytest
from django.db import connection
from django.urls import reverse

from accounts.tests.factories import UserFactory
from collaboration import services, tasks
from collaboration.models import Document, DocumentSearch, Visibility
from collaboration.search import document_search, refresh_search_index
from collaboration.tests.api_helpers import assert_error, client_for
from collaboration.tests.factories import DocumentFactory, TagFactory, commit_edit

pytestmark = pytest.mark.django_db

API_URL = "/api/search"


def _titles(results):
    return [doc.title for doc in results]


@pytest.fixture
def owner():
    return UserFactory(username="olga")


def test_finds_a_document_by_a_word_in_its_body(owner):
    DocumentFactory(title="Optimisers", owner=owner, content="Adam uses momentum and RMS.")
    DocumentFactory(title="Tokenisers", owner=owner, content="Byte pair encoding merges.")

    results = document_search(user=None, query="momentum")

    assert _titles(results) == ["Optimisers"]
    assert "<mark>" in results[0].snippet
    assert results[0].rank > 0


def test_finds_by_heading_and_by_tag(owner):
    DocumentFactory(
        title="Notes",
        owner=owner,
        content="## Gradient clipping\n\nKeep updates small.",
    )
    DocumentFactory(
        title="Other notes",
        owner=owner,
        content="Nothing relevant here.",
        tags=[TagFactory(slug="transformers", name="Transformers")],
    )

    assert _titles(document_search(user=None, query="clipping")) == ["Notes"]
    assert _titles(document_search(user=None, query="transformers")) == ["Other notes"]


def test_ranks_a_title_match_above_a_body_match(owner):
    DocumentFactory(
        title="Training tips",
        owner=owner,
        content="Dropout regularises a network by zeroing activations.",
    )
    DocumentFactory(title="Dropout", owner=owner, content="A short note on a technique.")

    results = document_search(user=None, query="dropout")

    assert _titles(results) == ["Dropout", "Training tips"]
    assert results[0].rank > results[1].rank


def test_snippet_marks_the_hit_and_escapes_the_document_html(owner):
    DocumentFactory(
        title="Unsafe",
        owner=owner,
        content='Attention <script>alert("x")</script> <img src=x onerror=alert(1)> '
        "attention is all you need <b>bold</b> <mark>fake</mark>",
    )

    [result] = list(document_search(user=None, query="attention"))

    assert "<mark>" in result.snippet
    assert "<script" not in result.snippet
    assert "<img" not in result.snippet
    assert "<b>" not in result.snippet
    assert "&lt;" in result.snippet
    # Once every <mark> and </mark> we added is removed, no markup is left.
    remainder = result.snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in remainder and ">" not in remainder


def test_page_escapes_snippets(client, owner):
    DocumentFactory(
        title="Unsafe page",
        owner=owner,
        content='Softmax <script>alert("x")</script> softmax',
    )

    response = client.get(reverse("collaboration:search"), {"q": "softmax"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "Unsafe page" in body
    assert "<mark>" in body
    assert '<script>alert("x")</script>' not in body


@pytest.fixture
def hidden_docs(owner):
    private = DocumentFactory(
        title="Secret embeddings",
        owner=owner,
        content="embeddings",
        visibility=Visibility.PRIVATE,
    )
    restricted = DocumentFactory(
        title="Members embeddings",
        owner=owner,
        content="embeddings",
        visibility=Visibility.RESTRICTED,
    )
    public = DocumentFactory(title="Public embeddings", owner=owner, content="embeddings")
    return private, restricted, public


@pytest.mark.parametrize("as_user", [False, True])
def test_private_documents_of_others_never_appear(client, hidden_docs, as_user):
    stranger = UserFactory() if as_user else None
    if stranger:
        client.force_login(stranger)

    assert _titles(document_search(user=stranger, query="embeddings")) == ["Public embeddings"]

    page = client.get(reverse("collaboration:search"), {"q": "embeddings"}).content.decode()
    assert "Public embeddings" in page
    assert "Secret embeddings" not in page
    assert "Members embeddings" not in page

    response = client_for(stranger).get(API_URL, {"q": "embeddings"})
    assert response.status_code == 200
    assert [r["title"] for r in response.json()["results"]] == ["Public embeddings"]


def test_the_owner_finds_their_private_documents(hidden_docs, owner):
    titles = set(_titles(document_search(user=owner, query="embeddings")))
    assert titles == {"Secret embeddings", "Members embeddings", "Public embeddings"}


def test_tag_and_owner_filters(owner):
    other = UserFactory(username="bob")
    vision = TagFactory(slug="vision", name="Vision")
    DocumentFactory(title="Convolutions", owner=owner, content="kernel", tags=[vision])
    DocumentFactory(title="Kernels", owner=other, content="kernel", tags=[vision])
    DocumentFactory(title="Kernel methods", owner=owner, content="kernel")

    assert set(_titles(document_search(user=None, query="kernel", tag="vision"))) == {
        "Convolutions",
        "Kernels",
    }
    assert set(_titles(document_search(user=None, query="kernel", owner="olga"))) == {
        "Convolutions",
        "Kernel methods",
    }
    assert _titles(document_search(user=None, query="kernel", tag="vision", owner="bob")) == [
        "Kernels"
    ]
    assert _titles(document_search(user=None, query="kernel", tag="nope")) == []

    response = client_for().get(API_URL, {"q": "kernel", "tag": "vision", "owner": "olga"})
    assert [r["title"] for r in response.json()["results"]] == ["Convolutions"]


def test_api_result_shape_and_pagination(owner):
    tag = TagFactory(slug="rl", name="Reinforcement learning")
    for n in range(3):
        DocumentFactory(title=f"Policy {n}", owner=owner, content="policy gradient", tags=[tag])

    response = client_for().get(API_URL, {"q": "policy", "page_size": 2})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert body["next"]
    assert len(body["results"]) == 2
    result = body["results"][0]
    assert set(result) == {
        "id",
        "slug",
        "title",
        "type",
        "section",
        "url",
        "snippet",
        "rank",
        "tags",
        "owner",
        "updated_at",
    }
    assert result["tags"] == ["rl"]
    assert result["owner"]["username"] == "olga"
    assert "<mark>" in result["snippet"]

    second = client_for().get(API_URL, {"q": "policy", "page_size": 2, "page": 2}).json()
    assert len(second["results"]) == 1


def test_trailing_slash_spelling_works(owner):
    DocumentFactory(title="Loss", owner=owner, content="cross entropy")
    assert client_for().get(API_URL + "/", {"q": "entropy"}).status_code == 200


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}])
def test_empty_query_is_a_400_in_the_api(params):
    error = assert_error(client_for().get(API_URL, params), 400, "invalid")
    assert "q" in error["fields"]


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "  "}])
def test_empty_query_shows_a_friendly_prompt(client, params):
    response = client.get(reverse("collaboration:search"), params)

    assert response.status_code == 200
    assert "Type a word or two" in response.content.decode()


def test_no_results_page(client, owner):
    DocumentFactory(title="Loss", owner=owner, content="cross entropy")
    response = client.get(reverse("collaboration:search"), {"q": "zzzyzzx"})
    assert response.status_code == 200
    assert "Nothing matched" in response.content.decode()


def test_nav_has_the_search_box(client):
    body = client.get("/").content.decode()
    assert f'action="{reverse("collaboration:search")}"' in body
    assert 'name="q"' in body


def _replace_text(document, user, new_text):
    """Replaces the whole text through the editor's commit path."""
    document.refresh_from_db()
    commit_edit(document, user, [new_text, -len(document.content)])
    assert document.content == new_text


def test_an_edited_document_is_found_by_its_new_words_only(owner):
    document = services.document_create(
        owner=owner, title="Activations", content="The sigmoid squashes its input."
    )
    assert _titles(document_search(user=None, query="sigmoid")) == ["Activations"]

    _replace_text(document, owner, "## Rectifiers\n\nThe softplus is a smooth rectifier.")

    assert _titles(document_search(user=None, query="softplus")) == ["Activations"]
    assert _titles(document_search(user=None, query="rectifiers")) == ["Activations"]
    assert _titles(document_search(user=None, query="sigmoid")) == []

    # And again: a second edit after a search is picked up too.
    _replace_text(document, owner, "Tanh is centred on zero.")
    assert _titles(document_search(user=None, query="tanh")) == ["Activations"]
    assert _titles(document_search(user=None, query="softplus")) == []


def test_a_renamed_document_is_found_by_its_new_title(owner):
    document = services.document_create(owner=owner, title="Perceptrons", content="Notes.")
    assert _titles(document_search(user=None, query="perceptrons")) == ["Perceptrons"]

    services.document_update_metadata(document=document, user=owner, title="Kohonen maps")

    assert _titles(document_search(user=None, query="kohonen")) == ["Kohonen maps"]
    assert _titles(document_search(user=None, query="perceptrons")) == []
    response = client_for().get(API_URL, {"q": "kohonen"})
    assert [r["title"] for r in response.json()["results"]] == ["Kohonen maps"]


def test_the_refresh_task_runs(owner):
    document = DocumentFactory(title="Boltzmann machines", owner=owner, content="energy")
    postgres = connection.vendor == "postgresql"

    assert tasks.refresh_search_index_task.apply().get() == (1 if postgres else 0)
    assert tasks.refresh_search_index_task.apply().get() == 0  # nothing stale any more

    if postgres:
        row = DocumentSearch.objects.get(document=document)
        assert row.source_updated_at == document.updated_at
        assert row.vector
        _replace_text(document, owner, "Restricted Boltzmann machines, contrastive divergence.")
        assert tasks.refresh_search_index_task.apply().get() == 1
        assert refresh_search_index() == 0
        assert _titles(document_search(user=None, query="contrastive")) == ["Boltzmann machines"]
    else:
        assert not DocumentSearch.objects.exists()  # SQLite searches the documents directly


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the vector table is used only on PostgreSQL (SQLite has no full-text index to "
    "check); CI runs this test on PostgreSQL",
)
def test_deleting_a_searched_document_deletes_its_vector(owner):
    document = DocumentFactory(title="Hopfield networks", owner=owner, content="memory")
    assert _titles(document_search(user=None, query="hopfield")) == ["Hopfield networks"]
    assert DocumentSearch.objects.filter(document=document).exists()

    services.document_delete(document=document, user=owner)

    assert not DocumentSearch.objects.exists()
    assert _titles(document_search(user=None, query="hopfield")) == []


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the GIN index exists only on PostgreSQL (SQLite has no full-text index to check); "
    "CI runs this test on PostgreSQL",
)
def test_postgres_gin_index_exists_and_is_usable(owner):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s",
            ["collaboration_documentsearch"],
        )
        gin = [name for name, definition in cursor.fetchall() if "using gin" in definition.lower()]
        # The row the editor updates many times a second carries no full-text index.
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexdef ILIKE %s",
            ["collaboration_document", "%to_tsvector%"],
        )
        assert cursor.fetchall() == []
    assert gin == ["documentsearch_vector_idx"]

    DocumentFactory(title="Attention", owner=owner, content="heads")
    results = document_search(user=None, query="attention")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = results.queryset.explain()
    assert "documentsearch_vector_idx" in plan
    assert Document.objects.count() == 1
    assert _titles(results) == ["Attention"]
