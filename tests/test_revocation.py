"""Rights taken away (or given) reach open sockets at once, on every server process.

Two real daphne processes on PostgreSQL + Redis. For every change that narrows access,
the change is made through the site (REST, or the password page) on process A while the
affected person's socket is open on process A ("same") or on process B ("other"). Meanwhile
another editor keeps committing edits, so a socket that wrongly kept receiving would see
revisions written after the change.

- Lost the right to read: an `error` frame (code `forbidden`, the reason), the socket
  closes with 4403, and it received no revision committed after the change.
- Lost the right to edit: `access_changed` with `can_edit: false`; the socket stays open
  and reading; an edit sent right after the change, before the notice could arrive, is
  refused with `forbidden` and never committed.
- Gained the right to edit: `access_changed` with `can_edit: true`, and edits commit.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pytest
import requests
from asgiref.sync import sync_to_async
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connections
from django.utils import timezone
from websockets.exceptions import ConnectionClosed

from accounts.roles import Role
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from collaboration.models import (
    Document,
    DocumentMember,
    EditPolicy,
    MemberRole,
    Operation,
    Visibility,
)
from collaboration.tests.factories import DocumentFactory
from tests.live import LiveSocket, access_token
from tests.servers import SEVERAL_PROCESSES, DaphneServer, start_servers

pytestmark = SEVERAL_PROCESSES

NOTICE_SECONDS = 1.0  # the bound: within one second, on every process
_names = itertools.count()


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        # The writer below edits faster than the default per-connection limit allows.
        started = start_servers(2, log_name="revocation", env={"WS_EDIT_RATE_PER_SECOND": "1000"})
    yield started
    for server in started:
        server.stop()


def api(server: DaphneServer, method: str, path: str, actor, body: dict | None = None):
    response = requests.request(
        method,
        f"{server.base_url}{path}",
        json=body,
        headers={"Authorization": f"Bearer {access_token(actor)}"},
        timeout=10,
    )
    assert response.status_code < 300, (method, path, response.status_code, response.text)
    return response


def change_password(server: DaphneServer, user) -> None:
    """Through the password page, as the person would (signed in with the session)."""
    # Tests hash with MD5 for speed; the server only knows the real hashers. Django still
    # verifies a hash made with fewer iterations (and upgrades it on sign-in).
    user.password = PBKDF2PasswordHasher().encode(DEFAULT_PASSWORD, secrets.token_hex(8), 1000)
    user.save(update_fields=["password"])
    session = requests.Session()
    login = session.get(f"{server.base_url}/accounts/login/", timeout=10)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    signed_in = session.post(
        f"{server.base_url}/accounts/login/",
        data={
            "csrfmiddlewaretoken": csrf,
            "identifier": user.username,
            "password": DEFAULT_PASSWORD,
        },
        headers={"Referer": f"{server.base_url}/accounts/login/"},
        timeout=10,
    )
    assert signed_in.url.rstrip("/") != f"{server.base_url}/accounts/login", signed_in.text[:500]
    page = session.get(f"{server.base_url}/accounts/password/", timeout=10)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    changed = session.post(
        f"{server.base_url}/accounts/password/",
        data={
            "csrfmiddlewaretoken": csrf,
            "old_password": DEFAULT_PASSWORD,
            "new_password1": "a-new-and-long-password-93",
            "new_password2": "a-new-and-long-password-93",
        },
        headers={"Referer": f"{server.base_url}/accounts/password/"},
        timeout=10,
    )
    assert "/accounts/password/done" in changed.url, changed.text[:500]


@dataclass
class Case:
    """A change, the document it needs, and what the subject's socket must see."""

    name: str
    visibility: str = Visibility.PUBLIC
    edit_policy: str = EditPolicy.OPEN
    member_role: str | None = None  # the subject's DocumentMember role before the change
    subject_role: str = Role.LEARNER
    outcome: str = "read_lost"  # read_lost, edit_lost, edit_gained
    reason: str = "access_removed"


CASES = [
    Case("member_removed", Visibility.RESTRICTED, member_role=MemberRole.EDITOR),
    Case(
        "member_made_viewer",
        edit_policy=EditPolicy.MEMBERS,
        member_role=MemberRole.EDITOR,
        outcome="edit_lost",
    ),
    Case("visibility_narrowed"),
    Case("edit_policy_narrowed", outcome="edit_lost"),
    Case("document_deleted", reason="document_deleted"),
    Case("user_deactivated", reason="account_disabled"),
    Case("user_suspended", reason="account_suspended"),
    Case("role_lowered", Visibility.PRIVATE, subject_role=Role.MODERATOR),
    Case("password_changed", reason="signed_out"),
    Case("signed_out_everywhere", reason="signed_out"),
    Case(
        "editor_added",
        edit_policy=EditPolicy.MEMBERS,
        member_role=MemberRole.VIEWER,
        outcome="edit_gained",
    ),
]


def make_change(case: Case, server: DaphneServer, people: dict, document: Document) -> None:
    owner, subject = people["owner"], people["subject"]
    doc = f"/api/documents/{document.pk}"
    users = f"/api/auth/users/{subject.pk}"
    match case.name:
        case "member_removed":
            api(server, "DELETE", f"{doc}/members/{subject.username}/", owner)
        case "member_made_viewer":
            api(server, "POST", f"{doc}/members/", owner, {"username": subject.username,
                                                          "role": "viewer"})  # fmt: skip
        case "visibility_narrowed":
            api(server, "PATCH", f"{doc}/", owner, {"visibility": "private"})
        case "edit_policy_narrowed":
            api(server, "PATCH", f"{doc}/", owner, {"edit_policy": "members"})
        case "document_deleted":
            api(server, "DELETE", f"{doc}/", owner)
        case "user_deactivated":
            api(server, "POST", f"{users}/active", people["admin"], {"is_active": False})
        case "user_suspended":
            until = (timezone.now() + timedelta(days=3)).isoformat()
            api(server, "POST", f"{users}/suspend", people["moderator"],
                {"until": until, "reason": "Spam in the chat"})  # fmt: skip
        case "role_lowered":
            api(server, "POST", f"{users}/role", people["admin"], {"role": "learner"})
        case "password_changed":
            change_password(server, subject)
        case "signed_out_everywhere":
            api(server, "POST", "/api/auth/logout-all", subject)
        case "editor_added":
            api(server, "POST", f"{doc}/members/", owner, {"username": subject.username,
                                                          "role": "editor"})  # fmt: skip


def setup_case(case: Case) -> tuple[dict, Document]:
    n = next(_names)
    people = {
        "owner": UserFactory(username=f"owner{n}"),
        "subject": UserFactory(username=f"subject{n}", role=case.subject_role),
        "writer": UserFactory(username=f"writer{n}", role=Role.MODERATOR),
        "admin": UserFactory(username=f"admin{n}", role=Role.ADMIN),
        "moderator": UserFactory(username=f"moderator{n}", role=Role.MODERATOR),
    }
    document = DocumentFactory(
        owner=people["owner"],
        content="The text everyone starts from.\n",
        visibility=case.visibility,
        edit_policy=case.edit_policy,
    )
    if case.member_role is not None:
        DocumentMember.objects.create(
            document=document, user=people["subject"], role=case.member_role
        )
    return people, document


async def keep_writing(socket: LiveSocket, joined: dict, stop: asyncio.Event) -> None:
    """Another editor commits an edit every 2 ms until told to stop (or is cut off), so
    revisions keep arriving while the affected socket's rights are decided again."""
    counter = itertools.count()
    while not stop.is_set() and socket.close_code is None and not socket.reader.done():
        # Inserting at 0 is valid on any base revision: the server transforms it.
        base = max(socket.revisions_seen() | {joined["revision"]})
        try:
            await socket.send(
                {"type": "edit", "revision": base, "client_op_id": f"w-{next(counter)}",
                 "edit": {"operation": "insert", "position": 0, "text": "w"}}
            )  # fmt: skip
        except ConnectionClosed:
            return
        await asyncio.sleep(0.002)


def current_revision(document_id: int) -> int | None:
    return Document.objects.filter(pk=document_id).values_list("revision", flat=True).first()


@pytest.mark.parametrize("placement", ["same", "other"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_change_of_rights_reaches_the_open_socket(servers, case: Case, placement: str):
    people, document = setup_case(case)
    subject_token, writer_token = access_token(people["subject"]), access_token(people["writer"])
    changer = servers[0]
    subject_server = servers[0] if placement == "same" else servers[1]
    writer_server = servers[1] if placement == "same" else servers[0]

    async def run() -> None:
        subject, joined = await LiveSocket.open(subject_server.url, subject_token, document.pk)
        assert joined["can_edit"] is (case.outcome != "edit_gained")
        writer, writer_joined = await LiveSocket.open(writer_server.url, writer_token, document.pk)
        stop = asyncio.Event()
        writing = asyncio.create_task(keep_writing(writer, writer_joined, stop))
        await writer.wait_for("ack", timeout=10)  # edits are flowing

        await sync_to_async(make_change)(case, changer, people, document)
        changed_at = await sync_to_async(current_revision)(document.pk)
        if case.outcome == "edit_lost":
            # Sent before the notice can have arrived: the commit path must refuse it.
            base = max(subject.revisions_seen() | {joined["revision"]})
            await subject.send(
                {
                    "type": "edit",
                    "revision": base,
                    "client_op_id": "too-late",
                    "edit": {"operation": "insert", "position": 0, "text": "!"},
                }
            )

        if case.outcome == "read_lost":
            error = await subject.wait_for("error", timeout=NOTICE_SECONDS, code="forbidden")
            assert error["reason"] == case.reason, error
            assert error["message"]
            assert await subject.wait_closed(timeout=5) == 4403
            assert subject.frames[-1] is error, "frames arrived after the refusal"
            if changed_at is not None:
                await asyncio.sleep(0.3)  # the writer went on committing meanwhile
                assert await sync_to_async(current_revision)(document.pk) > changed_at
                late = {r for r in subject.revisions_seen() if r > changed_at}
                assert not late, f"revisions {sorted(late)} reached a socket without access"
        else:
            gained = case.outcome == "edit_gained"
            notice = await subject.wait_for("access_changed", timeout=NOTICE_SECONDS)
            assert notice["can_edit"] is gained
            assert notice["message"]
            if gained:
                base = max(subject.revisions_seen() | {joined["revision"]})
                await subject.send(
                    {
                        "type": "edit",
                        "revision": base,
                        "client_op_id": "now-allowed",
                        "edit": {"operation": "insert", "position": 0, "text": "+"},
                    }
                )
                await subject.wait_for("ack", timeout=5, client_op_id="now-allowed")
            else:
                refused = await subject.wait_for("error", timeout=5, client_op_id="too-late")
                assert refused["code"] == "forbidden"
                # Still a reader: what the writer commits now keeps arriving.
                seen = max(subject.revisions_seen() | {0})
                await writer.wait_for("ack", timeout=5)
                await asyncio.sleep(0.2)
                assert max(subject.revisions_seen()) > seen
                assert subject.close_code is None
        stop.set()
        await writing
        await subject.close()
        await writer.close()
        await sync_to_async(connections.close_all)()

    asyncio.run(run())
    assert not Operation.objects.filter(client_op_id="too-late").exists()
