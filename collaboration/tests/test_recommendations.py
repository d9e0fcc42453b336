"""Reads and recommendations: recording reads, ranking, reasons, access, API and home page."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration.models import DocumentRead, Visibility
from collaboration.reads import document_read_record
from collaboration.recommendations import recommend_documents
from collaboration.tests.api_helpers import assert_error, client_for
from collaboration.tests.factories import (
    DocumentFactory,
    DocumentMemberFactory,
    OperationFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/recommendations"


@pytest.fixture
def reader():
    return UserFactory(username="rita")


@pytest.fixture
def tags():
    return {
        slug: TagFactory(slug=slug, name=name)
        for slug, name in [
            ("attention", "Attention"),
            ("optimisation", "Optimisation"),
            ("vision", "Vision"),
            ("rl", "Reinforcement learning"),
        ]
    }


def _read(user, document, *, days_ago=0, count=1):
    return DocumentRead.objects.create(
        user=user,
        document=document,
        read_at=timezone.now() - timedelta(days=days_ago),
        count=count,
    )


def _by_title(recommendations):
    return {r.document.title: r for r in recommendations}


# --- recording reads ---------------------------------------------------------------------


def test_viewing_a_document_records_a_read_once_per_ten_minutes(client, reader):
    doc = DocumentFactory(title="Backpropagation")
    client.force_login(reader)

    assert client.get(doc.get_absolute_url()).status_code == 200
    read = DocumentRead.objects.get(user=reader, document=doc)
    assert read.count == 1
    first_read_at = read.read_at

    assert client.get(doc.get_absolute_url()).status_code == 200
    read.refresh_from_db()
    assert (read.count, read.read_at) == (1, first_read_at)


def test_second_read_within_ten_minutes_writes_nothing_even_without_the_cache(
    reader, django_assert_num_queries
):
    doc = DocumentFactory()
    document_read_record(user=reader, document=doc)
    with django_assert_num_queries(0):  # the cache answers
        document_read_record(user=reader, document=doc)
    cache.clear()
    document_read_record(user=reader, document=doc)  # the database guard answers
    assert DocumentRead.objects.get(user=reader, document=doc).count == 1


def test_read_after_ten_minutes_counts_again(reader):
    doc = DocumentFactory()
    _read(reader, doc, days_ago=1)
    document_read_record(user=reader, document=doc)
    read = DocumentRead.objects.get(user=reader, document=doc)
    assert read.count == 2
    assert timezone.now() - read.read_at < timedelta(minutes=1)


def test_anonymous_reads_are_not_recorded(client):
    doc = DocumentFactory()
    assert client.get(doc.get_absolute_url()).status_code == 200
    assert not DocumentRead.objects.exists()


# --- ranking and reasons -----------------------------------------------------------------


def test_expertise_areas_are_favoured(reader, tags):
    reader.expertise_areas = ["attention"]
    reader.save()
    DocumentFactory(title="Convolutions", tags=[tags["vision"]])
    DocumentFactory(title="Transformers", tags=[tags["attention"]])

    recommendations = recommend_documents(user=reader)

    assert recommendations[0].document.title == "Transformers"
    assert recommendations[0].reason == "Because you know Attention"
    assert "Convolutions" not in _by_title(recommendations)  # no signal, no activity


def test_a_read_documents_tag_pulls_in_a_related_document(reader, tags):
    backprop = DocumentFactory(title="Backpropagation", tags=[tags["optimisation"]])
    DocumentFactory(title="Gradient descent", tags=[tags["optimisation"]])
    DocumentFactory(title="Q-learning", tags=[tags["rl"]])
    _read(reader, backprop, days_ago=1)

    recommendations = _by_title(recommend_documents(user=reader))

    assert recommendations["Gradient descent"].reason == "Because you read Backpropagation"
    # Read in the last 30 days: not recommended again. Nothing pulls in Q-learning.
    assert "Backpropagation" not in recommendations
    assert "Q-learning" not in recommendations


def test_documents_read_long_ago_may_come_back(reader, tags):
    old = DocumentFactory(title="Old favourite", tags=[tags["vision"]])
    _read(reader, old, days_ago=90)
    reader.expertise_areas = ["vision"]
    reader.save()
    assert "Old favourite" in _by_title(recommend_documents(user=reader))


def test_edited_documents_count_and_recent_reads_weigh_more(reader, tags):
    edited = DocumentFactory(title="Adam", tags=[tags["optimisation"]])
    OperationFactory(document=edited, user=reader)
    DocumentFactory(title="Momentum", tags=[tags["optimisation"]])
    recent = DocumentFactory(title="ViT", tags=[tags["vision"]])
    DocumentFactory(title="ResNet", tags=[tags["vision"]])
    stale = DocumentFactory(title="PPO", tags=[tags["rl"]])
    DocumentFactory(title="DQN", tags=[tags["rl"]])
    _read(reader, recent, days_ago=0)
    _read(reader, stale, days_ago=100)  # old enough to be recommended itself again

    recommendations = _by_title(recommend_documents(user=reader))

    assert recommendations["Momentum"].reason == "Because you edited Adam"
    assert "Adam" not in recommendations  # edited just now
    assert recommendations["ResNet"].reason == "Because you read ViT"
    assert recommendations["DQN"].reason == "Because you read PPO"
    assert recommendations["ResNet"].score > recommendations["DQN"].score


def test_co_reads_recommend_what_readers_of_the_same_document_read(reader, tags):
    seed = DocumentFactory(title="Gradient descent", tags=[tags["optimisation"]])
    other = DocumentFactory(title="Dropout")  # no tags: only the co-read can find it
    DocumentFactory(title="Unrelated")
    _read(reader, seed)
    for name in ("ann", "bob"):
        person = UserFactory(username=name)
        _read(person, seed)
        _read(person, other)

    recommendations = _by_title(recommend_documents(user=reader))

    assert recommendations["Dropout"].reason == "Readers of Gradient descent also read this"
    assert "Unrelated" not in recommendations


def test_own_documents_are_never_recommended(reader, tags):
    reader.expertise_areas = ["attention"]
    reader.save()
    DocumentFactory(title="Mine", owner=reader, tags=[tags["attention"]])
    assert "Mine" not in _by_title(recommend_documents(user=reader))


@pytest.mark.parametrize("role", [Role.LEARNER, Role.MODERATOR])
def test_private_documents_of_others_never_appear(reader, tags, role):
    reader.role = role
    reader.expertise_areas = ["attention"]
    reader.save()
    owner = UserFactory()
    private = DocumentFactory(
        title="Secret", owner=owner, visibility=Visibility.PRIVATE, tags=[tags["attention"]]
    )
    restricted = DocumentFactory(
        title="Members only",
        owner=owner,
        visibility=Visibility.RESTRICTED,
        tags=[tags["attention"]],
    )
    shared = DocumentFactory(
        title="Shared with me",
        owner=owner,
        visibility=Visibility.RESTRICTED,
        tags=[tags["attention"]],
    )
    DocumentMemberFactory(document=shared, user=reader)
    # Every other signal points at them too: co-reads and popularity.
    seed = DocumentFactory(title="Seed")
    _read(reader, seed)
    _read(owner, seed)
    for document in (private, restricted):
        _read(owner, document)
        OperationFactory(document=document, user=owner)

    titles = set(_by_title(recommend_documents(user=reader, limit=50)))

    assert "Secret" not in titles
    assert "Members only" not in titles
    assert "Shared with me" in titles


def test_documents_read_only_before_losing_access_are_not_named_in_reasons(reader, tags):
    owner = UserFactory()
    secret = DocumentFactory(
        title="Now private", owner=owner, visibility=Visibility.PRIVATE, tags=[tags["vision"]]
    )
    DocumentFactory(title="ResNet", tags=[tags["vision"]])
    _read(reader, secret)
    reasons = [r.reason for r in recommend_documents(user=reader)]
    assert not any("Now private" in reason for reason in reasons)


def test_cold_start_recommends_popular_documents(reader):
    busy = DocumentFactory(title="Busy")
    quiet = DocumentFactory(title="Quiet")
    DocumentFactory(title="Idle")
    for _ in range(3):
        _read(UserFactory(), busy)
    _read(UserFactory(), quiet)

    recommendations = recommend_documents(user=reader, limit=2)

    assert [(r.document.title, r.reason) for r in recommendations] == [
        ("Busy", "Popular this week"),
        ("Quiet", "Popular this week"),
    ]


def test_cold_start_on_a_quiet_site_falls_back_to_recent_documents(reader):
    DocumentFactory(title="Something")
    recommendations = recommend_documents(user=reader)
    assert [(r.document.title, r.reason) for r in recommendations] == [
        ("Something", "Recently updated")
    ]


def test_anonymous_users_get_no_recommendations():
    DocumentFactory()
    assert recommend_documents(user=None) == []


def test_limit_and_query_count_are_bounded(reader, tags, django_assert_max_num_queries):
    reader.expertise_areas = ["attention", "vision"]
    reader.save()
    for i in range(15):
        document = DocumentFactory(title=f"Doc {i}", tags=[tags["attention"], tags["vision"]])
        _read(reader, document, days_ago=40 + i)
        _read(UserFactory(), document)
    with django_assert_max_num_queries(12):
        recommendations = recommend_documents(user=reader, limit=5)
    assert len(recommendations) == 5
    scores = [r.score for r in recommendations]
    assert scores == sorted(scores, reverse=True)


# --- API ---------------------------------------------------------------------------------


def test_api_anonymous_is_401():
    assert_error(client_for().get(URL), 401, "not_authenticated")


def test_api_lists_recommendations(reader, tags):
    reader.expertise_areas = ["attention"]
    reader.save()
    doc = DocumentFactory(title="Transformers", tags=[tags["attention"]])

    response = client_for(reader).get(URL)

    assert response.status_code == 200, response.content
    [item] = response.json()
    assert item["reason"] == "Because you know Attention"
    assert item["score"] > 0
    assert item["document"]["id"] == doc.pk
    assert item["document"]["slug"] == doc.slug
    assert item["document"]["title"] == "Transformers"
    assert item["document"]["tags"] == ["attention"]
    assert "updated_at" in item["document"]
    assert set(item["document"]) == {"id", "slug", "title", "tags", "updated_at"}


def test_api_limit(reader, tags):
    reader.expertise_areas = ["attention"]
    reader.save()
    for _ in range(3):
        DocumentFactory(tags=[tags["attention"]])
    assert len(client_for(reader).get(URL, {"limit": 2}).json()) == 2
    assert_error(client_for(reader).get(URL, {"limit": 0}), 400, "invalid")
    assert client_for(reader).get(URL + "/").status_code == 200


def test_api_is_in_the_schema(reader):
    response = client_for(reader).get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    assert "/api/recommendations" in response.json()["paths"]


# --- home page ---------------------------------------------------------------------------


def test_home_page_shows_recommendations_when_signed_in(client, reader, tags):
    reader.expertise_areas = ["attention"]
    reader.save()
    DocumentFactory(title="Transformers", tags=[tags["attention"]])
    client.force_login(reader)

    response = client.get(reverse("collaboration:home"))

    assert response.status_code == 200
    assert "Recommended for you" in response.text
    assert "Because you know Attention" in response.text


def test_home_page_has_no_recommendations_when_anonymous(client, tags):
    DocumentFactory(title="Transformers", tags=[tags["attention"]])
    response = client.get(reverse("collaboration:home"))
    assert response.status_code == 200
    assert "Recommended for you" not in response.text
