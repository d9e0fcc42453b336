"""Property-based API testing from the OpenAPI schema, as a client would: the schemathesis
CLI against daphne, so the schema and the code cannot drift.

Every operation of /api/schema/ is called with generated input, once anonymously and
once signed in, by the command a developer would type:

    schemathesis run http://127.0.0.1:PORT/api/schema/ --max-examples 25 --checks \\
        not_a_server_error,response_schema_conformance,status_code_conformance,\\
        content_type_conformance

Any failure fails the test, with schemathesis' report (each failure with a curl line to
replay it, and the run's seed); the whole output is also kept in test-output/. The
server's throttles are raised through the documented THROTTLE_* settings, so generated
calls are not all refused with 429 (which stays documented on every operation). Half
of the path parameters name objects that exist (a schemathesis config of dictionaries),
so the calls get past "not found" into each endpoint's own logic.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from accounts.roles import Role
from accounts.services import api_key_create
from accounts.tests.factories import UserFactory
from collaboration import services
from collaboration.models import Visibility
from collaboration.tests.factories import commit_edit
from community.services import comments
from tests.live import access_token
from tests.servers import ROOT, DaphneServer

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # Each run fuzzes every operation of the API (about 150): minutes, not the default 300 s.
    pytest.mark.timeout(900),
]

CHECKS = (
    "not_a_server_error,response_schema_conformance,status_code_conformance,"
    "content_type_conformance"
)
MAX_EXAMPLES = 25
RAISED_THROTTLES = {
    "THROTTLE_ANON": "100000/min",
    "THROTTLE_USER": "100000/min",
    "THROTTLE_AUTH": "100000/min",
    "THROTTLE_ATTACHMENTS": "100000/min",
}
# How often a path or query parameter takes a known value instead of a generated one:
# often enough to get past "no such document" to the endpoint's own logic, rarely enough
# that unknown and malformed values are still tried.
KNOWN_VALUE_PROBABILITY = 0.5


@pytest.fixture(scope="module")
def api_server(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        server = DaphneServer(log_name="schemathesis-daphne.log", env=RAISED_THROTTLES)
    yield server
    server.stop()


def _known_objects() -> dict[str, Any]:
    """Something to find for each path parameter, made as the site makes it, and the
    values that find it.

    The signed-in user is an admin who owns the documents, so every operation can
    succeed; `bob` is the account and member that the admin operations act on.
    """
    admin = UserFactory(username="schemathesis", role=Role.ADMIN)
    bob = UserFactory(username="bob")
    attention = services.document_create(owner=admin, title="Attention", content="# Attention\n")
    private = services.document_create(
        owner=admin, title="Private notes", content="Q, K, V.\n", visibility=Visibility.PRIVATE
    )
    for line in ("Softmax of QKᵀ.\n", "Scaled by √d_k.\n", "Then times V.\n"):  # revisions 1-3
        commit_edit(attention, admin, [len(attention.content), line])
    services.document_member_set(document=attention, username=bob.username, role="editor", by=admin)
    services.chat_message_create(document=attention, user=bob, message="What is d_k?")
    thread = comments.comment_create(
        user=bob, document_id=attention.pk, content="Why divide by √d_k?", start=0, end=11
    )
    reply = comments.comment_reply(user=admin, comment_id=thread.pk, content="To keep it soft.")
    session = services.session_create(document=attention, user=admin)
    api_key, _ = api_key_create(user=admin, name="schemathesis")
    # Separate documents for DELETE, so deleting one does not hide the others.
    doomed = [services.document_create(owner=admin, title=f"Scratch {i}") for i in range(3)]
    return {
        "admin": admin,
        "ref": [str(attention.pk), attention.slug, str(private.pk)],
        "doomed_ref": [str(document.pk) for document in doomed],
        "revision": [0, 1, 2, 3],
        "username": [bob.username],
        "user_id": [bob.pk],
        "key_id": [api_key.pk],
        "session_id": [session.pk],
        "comment_id": [thread.pk, reply.pk],
    }


def _config(known: dict[str, Any]) -> str:
    """A schemathesis.toml that draws parameters from `known` some of the time."""
    lines = []
    names = ("ref", "doomed_ref", "revision", "username", "user_id", "key_id", "session_id",
             "comment_id")  # fmt: skip
    for name in names:
        # A JSON array of strings and integers is also a TOML one.
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(known[name])}", ""]

    def binding(dictionary: str) -> str:
        return f'{{ dictionary = "{dictionary}", probability = {KNOWN_VALUE_PROBABILITY} }}'

    lines.append("[parameters]")
    for parameter in ("ref", "revision", "username", "user_id", "key_id", "session_id",
                      "comment_id"):  # fmt: skip
        lines.append(f'"path.{parameter}" = {binding(parameter)}')
    lines += [
        f'"query.document" = {binding("ref")}',
        f'"query.from" = {binding("revision")}',
        f'"query.to" = {binding("revision")}',
        "",
        "[[operations]]",
        'include-path = "/api/documents/{ref}/"',
        'include-method = "DELETE"',
        f'parameters = {{ "path.ref" = {binding("doomed_ref")} }}',
    ]
    return "\n".join(lines) + "\n"


def _run_schemathesis(
    server: DaphneServer,
    tmp_path: Path,
    *,
    name: str,
    known: dict[str, Any],
    options: tuple[str, ...] = (),
) -> None:
    """Runs the CLI, keeps its output in test-output/schemathesis-<name>.txt, and fails
    the test with that output unless every operation was tested and nothing failed."""
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(known))
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config),
        "run", f"{server.base_url}/api/schema/",
        "--checks", CHECKS, "--max-examples", str(MAX_EXAMPLES),
        "--generation-database", "none", "--no-color", *options,
    ]  # fmt: skip
    # In tmp_path: whatever schemathesis writes where it runs stays out of the project.
    result = subprocess.run(
        command, cwd=tmp_path, capture_output=True, encoding="utf-8", errors="replace",
        timeout=840, check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    (ROOT / "test-output").mkdir(exist_ok=True)
    (ROOT / "test-output" / f"schemathesis-{name}.txt").write_text(output)
    if result.returncode != 0:
        pytest.fail(f"schemathesis found failures ({name}):\n{output}", pytrace=False)
    operations = re.search(r"Selected: (\d+)/(\d+)\s+Tested: (\d+)", output)
    assert operations, output
    selected, _total, tested = operations.groups()
    assert tested == selected, f"operations left untested:\n{output}"


def test_every_operation_keeps_its_schema_anonymously(api_server, tmp_path):
    known = _known_objects()
    _run_schemathesis(api_server, tmp_path, name="anonymous", known=known)


def test_every_operation_keeps_its_schema_signed_in(api_server, tmp_path):
    known = _known_objects()
    token = access_token(known["admin"])
    _run_schemathesis(
        api_server,
        tmp_path,
        name="signed-in",
        known=known,
        # Signing out everywhere would end this token for the rest of the run; the
        # anonymous run still calls it.
        options=(
            "-H", f"Authorization: Bearer {token}",
            "--exclude-path", "/api/auth/logout-all",
        ),
    )  # fmt: skip


@pytest.mark.parametrize(
    "path", ["/api/auth/login", "/api/auth/refresh", "/api/auth/logout", "/api/documents/"]
)
def test_an_empty_multipart_body_gets_a_json_error_from_daphne_too(api_server, path):
    """Twisted under daphne used to refuse a multipart body with no parts itself, with a
    bare 400 and no body, before the app saw it; every /api/ answer is JSON in the
    documented shape (config/asgi.py turns Twisted's form parsing off)."""
    request = urllib.request.Request(
        f"{api_server.base_url}{path}",
        data=b"--x--\r\n",
        method="POST",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    try:
        urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as answer:
        status, body, kind = answer.code, answer.read(), answer.headers["Content-Type"]
    else:
        pytest.fail("an empty multipart body was accepted")
    assert kind == "application/json"
    assert status in (401, 415), body  # signed out of /api/documents/, or not JSON
    assert set(json.loads(body)["error"]) >= {"code", "message"}
