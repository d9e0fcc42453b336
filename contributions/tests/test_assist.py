"""The writing assistant against a small local server speaking the OpenAI chat-completions
streaming protocol: off without configuration, explanations and improvements streamed as
server-sent events, an improvement ending as a pending suggestion (never an edit), a clear
error when the service fails, the hourly rate, and refusals before any stream."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from contributions.models import Suggestion, SuggestionState

from .factories_proposals import make_document
from .fake_openai import fake_openai

pytestmark = [
    pytest.mark.django_db,
    # The test client is synchronous, so it gathers the stream that daphne sends event by
    # event; Django warns about exactly that.
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume asynchronous"),
]

TEXT = "# Softmax\n\nThe softmax turn scores in probabilitys.\n"
PASSAGE = "The softmax turn scores in probabilitys."


@pytest.fixture
def endpoint(settings):
    with fake_openai() as (server, url):
        settings.ENABLE_CONTENT_SUGGESTIONS = True
        settings.OPENAI_API_KEY = "test-key"
        settings.OPENAI_BASE_URL = url
        settings.OPENAI_MODEL = "tiny-model"
        settings.ASSIST_RATE_PER_HOUR = 5
        yield server


@pytest.fixture
def reader():
    return UserFactory()


@pytest.fixture
def document():
    return make_document(content=TEXT)


def ask(user, document, **body):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    start = document.content.index(PASSAGE)
    payload = {
        "action": "improve",
        "start": start,
        "end": start + len(PASSAGE),
        "revision": document.revision,
        **body,
    }
    return client.post(f"/api/documents/{document.slug}/assist", payload, format="json")


def events(response) -> list[tuple[str, dict]]:
    raw = b"".join(response).decode()
    found = []
    for block in raw.strip().split("\n\n"):
        name = block.split("\n")[0].removeprefix("event: ")
        data = json.loads(block.split("\n")[1].removeprefix("data: "))
        found.append((name, data))
    return found


def test_without_configuration_the_assistant_does_not_exist(reader, document):
    assert APIClient().get("/api/assist").json() == {"enabled": False, "actions": []}
    response = ask(reader, document)
    assert response.status_code == 404


def test_an_explanation_streams_as_it_is_written(endpoint, reader, document):
    endpoint.pieces = ["Softmax turns ", "numbers into ", "probabilities."]
    assert APIClient().get("/api/assist").json()["enabled"] is True
    response = ask(reader, document, action="explain")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    got = events(response)
    assert got[0] == ("progress", {"state": "waiting"})
    assert got[1] == ("progress", {"state": "writing"})
    assert [data["text"] for name, data in got if name == "delta"] == endpoint.pieces
    assert got[-1] == ("done", {"text": "Softmax turns numbers into probabilities."})
    sent = endpoint.requests[0]
    assert sent["path"] == "/v1/chat/completions" and sent["body"]["model"] == "tiny-model"
    assert PASSAGE in sent["body"]["messages"][-1]["content"]
    assert not Suggestion.objects.exists()


def test_an_improvement_becomes_a_suggestion_not_an_edit(endpoint, reader, document):
    endpoint.pieces = ["The softmax turns scores ", "into probabilities."]
    got = events(ask(reader, document))
    name, data = got[-1]
    assert name == "done" and data["text"] == "The softmax turns scores into probabilities."
    suggestion = Suggestion.objects.get()
    assert suggestion.state == SuggestionState.PENDING and suggestion.author == reader
    assert suggestion.original == PASSAGE
    assert suggestion.text == "The softmax turns scores into probabilities."
    assert data["suggestion"]["id"] == suggestion.pk
    document.refresh_from_db()
    assert document.content == TEXT  # nobody's text changed


def test_a_failing_service_ends_the_stream_with_a_clear_error(endpoint, reader, document):
    endpoint.status = 503
    got = events(ask(reader, document))
    assert got[-1][0] == "error"
    assert "not answering" in got[-1][1]["message"]
    assert not Suggestion.objects.exists()


def test_the_hourly_rate_holds(endpoint, settings, reader, document):
    settings.ASSIST_RATE_PER_HOUR = 1
    endpoint.pieces = ["Fine."]
    first = ask(reader, document, action="explain")
    assert first.status_code == 200 and events(first)[-1][0] == "done"
    refused = ask(reader, document, action="explain")
    assert refused.status_code == 429 and "Retry-After" in refused
    assert len(endpoint.requests) == 1


def test_bad_requests_are_refused_before_any_stream(endpoint, reader, document):
    assert ask(None, document).status_code == 401
    assert ask(reader, document, end=10**6).status_code == 400
    assert ask(reader, document, action="rewrite-everything").status_code == 400
    assert ask(reader, document, revision=document.revision + 5).status_code == 400
    private = make_document(content=TEXT, visibility="private")
    assert ask(reader, private).status_code == 404
    assert endpoint.requests == []


def test_the_editor_offers_the_assistant_only_when_it_is_set_up(client, settings, reader, document):
    client.force_login(reader)
    url = f"/docs/{document.slug}/edit/"
    assert 'id="assist-bar"' not in client.get(url).content.decode()
    settings.ENABLE_CONTENT_SUGGESTIONS = True
    assert 'id="assist-bar"' not in client.get(url).content.decode()  # no key: still off
    settings.OPENAI_API_KEY = "test-key"
    page = client.get(url).content.decode()
    assert 'id="assist-bar"' in page and "Suggest an improvement" in page
    assert f"/api/documents/{document.pk}/assist" in page
