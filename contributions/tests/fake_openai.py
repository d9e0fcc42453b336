"""A small local server speaking the OpenAI chat-completions streaming protocol, for the
writing assistant's tests: `POST /v1/chat/completions` answers `pieces` as server-sent
events (`pause` seconds apart), or `status` with an error body when that is not 200."""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAI(BaseHTTPRequestHandler):
    pieces: list[str] = []
    status = 200
    pause = 0.0
    requests: list[dict] = []
    sent_last_at: float | None = None

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "body": body})
        if self.status != 200:
            self.send_response(self.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error": {"message": "overloaded"}}')
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for index, piece in enumerate(self.pieces):
            if index and self.pause:
                time.sleep(self.pause)
            delta = {"index": 0, "delta": {"content": piece}, "finish_reason": None}
            chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0}
            chunk.update(model=body["model"], choices=[delta])
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        type(self).sent_last_at = time.monotonic()
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args):
        """Quiet: a test's output is its assertions, not an access log."""


@contextmanager
def fake_openai(*, pieces=(), status=200, pause=0.0):
    """Runs the server (reset to these answers); yields the handler class and its URL."""
    FakeOpenAI.pieces, FakeOpenAI.status, FakeOpenAI.pause = list(pieces), status, pause
    FakeOpenAI.requests, FakeOpenAI.sent_last_at = [], None
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield FakeOpenAI, f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        server.shutdown()
