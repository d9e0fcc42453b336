"""The writing assistant streams through daphne: the first words reach the browser while
the endpoint is still writing (nothing is buffered on the way), and an improvement ends as
a suggestion."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from accounts.tests.factories import UserFactory
from contributions.models import Suggestion
from tests.live import access_token
from tests.servers import DaphneServer

from .factories_proposals import make_document

pytestmark = pytest.mark.django_db(transaction=True)

PIECES = ["The softmax ", "turns scores ", "into probabilities."]
PAUSE = 1.0  # seconds between two pieces from the endpoint


class SlowOpenAI(BaseHTTPRequestHandler):
    sent_last_at: float | None = None

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for index, piece in enumerate(PIECES):
            if index:
                time.sleep(PAUSE)
            delta = {"index": 0, "delta": {"content": piece}, "finish_reason": None}
            chunk = {"id": "c", "object": "chat.completion.chunk", "model": "m", "created": 0}
            chunk["choices"] = [delta]
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        type(self).sent_last_at = time.monotonic()
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowOpenAI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()


def test_the_answer_streams_through_daphne_as_it_is_written(endpoint):
    daphne = DaphneServer(
        log_name="assist-live.log",
        env={
            "ENABLE_CONTENT_SUGGESTIONS": "true",
            "OPENAI_API_KEY": "k",
            "OPENAI_BASE_URL": endpoint,
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
        assert first_delta < SlowOpenAI.sent_last_at - PAUSE
        suggestion = Suggestion.objects.get()
        assert suggestion.author == user and suggestion.text == "".join(PIECES)
    finally:
        daphne.stop()
