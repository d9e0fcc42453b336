"""The writing assistant streams through daphne: the first words reach the browser while
the endpoint is still writing (nothing is buffered on the way), and an improvement ends as
a suggestion."""

from __future__ import annotations

import time

import pytest
import requests

from accounts.tests.factories import UserFactory
from contributions.models import Suggestion
from tests.live import access_token
from tests.servers import DaphneServer

from .factories_proposals import make_document
from .fake_openai import fake_openai

pytestmark = pytest.mark.django_db(transaction=True)

PIECES = ["The softmax ", "turns scores ", "into probabilities."]
PAUSE = 1.0  # seconds between two pieces from the endpoint


@pytest.fixture
def endpoint():
    with fake_openai(pieces=PIECES, pause=PAUSE) as (server, url):
        yield server, url


def test_the_answer_streams_through_daphne_as_it_is_written(endpoint):
    server, url = endpoint
    daphne = DaphneServer(
        log_name="assist-live.log",
        env={
            "ENABLE_CONTENT_SUGGESTIONS": "true",
            "OPENAI_API_KEY": "k",
            "OPENAI_BASE_URL": url,
        },
    )
    try:
        user = UserFactory()
        document = make_document(content="# Softmax\n\nThe softmax turn scores in probabilitys.\n")
        start = document.content.index("The softmax")
        response = requests.post(
            f"{daphne.base_url}/api/documents/{document.pk}/assist",
            json={"action": "improve", "start": start, "end": len(document.content) - 1,
                  "revision": document.revision},
            headers={"Authorization": f"Bearer {access_token(user)}"},
            stream=True,
            timeout=30,
        )  # fmt: skip
        assert response.status_code == 200, response.text
        arrivals = []
        for line in response.iter_lines(decode_unicode=True):
            if line.startswith("event: "):
                arrivals.append((line.removeprefix("event: "), time.monotonic()))
        names = [name for name, _ in arrivals]
        assert names[:2] == ["progress", "progress"] and names[-1] == "done"
        first_delta = next(at for name, at in arrivals if name == "delta")
        # The first words arrived while the endpoint was still writing the rest.
        assert first_delta < server.sent_last_at - PAUSE
        suggestion = Suggestion.objects.get()
        assert suggestion.author == user and suggestion.text == "".join(PIECES)
    finally:
        daphne.stop()
