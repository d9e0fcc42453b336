"""The read replica (DATABASE_REPLICA_URL, config/db_router.py) on a real server process.

The "replica" is a second PostgreSQL database that this test keeps in step by hand: a copy
of the test database, refreshed only when the test says so. Whatever the server shows
before that refresh came from the replica; whatever it shows of a change the replica has
not received came from the primary. So the test can tell which database every read used.
"""

from __future__ import annotations

import asyncio
import json

import psycopg
import pytest
import requests
import websockets
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection, connections
from psycopg import sql

from accounts.models import User
from accounts.tests.factories import UserFactory
from collaboration.models import Document, Operation
from collaboration.tests.factories import DocumentFactory
from tests.live import access_token
from tests.servers import SEVERAL_PROCESSES, DaphneServer, database_url

pytestmark = SEVERAL_PROCESSES

PASSWORD = "replica-test-password-1"


def _connect(dbname: str) -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        dbname=dbname,
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None,
        autocommit=True,
    )


class Replica:
    """A copy of the test database that changes only when `sync()` is called."""

    def __init__(self):
        self.primary = connection.settings_dict["NAME"]
        self.name = f"{self.primary}_replica"

    def create(self) -> str:
        # A template copy needs the primary to itself: this process lets go of it first.
        connections.close_all()
        for alias in connections:
            connections[alias].close_pool()
        with _connect("postgres") as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(self.name)))
            admin.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(self.name), sql.Identifier(self.primary)
                )
            )
        return database_url({**connection.settings_dict, "NAME": self.name})

    def sync(self) -> None:
        """Brings every table of the replica to the primary's rows (what replication does)."""
        with _connect(self.primary) as source, _connect(self.name) as target:
            tables = [
                row[0]
                for row in source.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            ]
            target.execute("SET session_replication_role = replica")  # no FK checks
            target.execute(
                sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(map(sql.Identifier, tables)))
            )
            for table in map(sql.Identifier, tables):
                copy_out = sql.SQL("COPY {} TO STDOUT (FORMAT BINARY)").format(table)
                copy_in = sql.SQL("COPY {} FROM STDIN (FORMAT BINARY)").format(table)
                with source.cursor().copy(copy_out) as rows, target.cursor().copy(copy_in) as sink:
                    for block in rows:
                        sink.write(block)

    def drop(self) -> None:
        with _connect("postgres") as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )


@pytest.fixture
def site():
    """Ada's public document, then a server whose replica is a copy of the database now."""
    ada = UserFactory(username="ada", email="ada@example.org")
    document = DocumentFactory(owner=ada, title="Attention", content="Attention is all you need.")
    replica = Replica()
    url = replica.create()
    server = DaphneServer(
        log_name="replica.log", env={"DATABASE_REPLICA_URL": url, "REPLICA_PIN_SECONDS": "60"}
    )
    try:
        yield server, replica, ada, document
    finally:
        server.stop()
        replica.drop()


def title_seen(session: requests.Session, server: DaphneServer, document: Document) -> str:
    response = session.get(f"{server.base_url}/api/documents/{document.slug}/", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["title"]


def test_reads_use_the_replica_and_writers_read_their_own_writes(site):
    server, replica, ada, document = site
    visitor = requests.Session()
    assert title_seen(visitor, server, document) == "Attention"

    # A change the replica has not received yet: pages and the API still show the old text.
    Document.objects.filter(pk=document.pk).update(title="Attention, revised")
    assert title_seen(visitor, server, document) == "Attention"
    page = visitor.get(f"{server.base_url}/docs/{document.slug}/", timeout=10)
    assert page.status_code == 200 and "Attention, revised" not in page.text

    # Ada renames it through the API: she reads her own write back at once, from any
    # request that follows (her client keeps the site's cookies, as browsers do)...
    writer = requests.Session()
    writer.headers["Authorization"] = f"Bearer {access_token(ada)}"
    renamed = writer.patch(
        f"{server.base_url}/api/documents/{document.pk}/",
        json={"title": "Attention is all you need"},
        timeout=10,
    )
    assert renamed.status_code == 200, renamed.text
    assert title_seen(writer, server, document) == "Attention is all you need"
    # ...while other people read the replica, a little behind, until it catches up.
    assert title_seen(visitor, server, document) == "Attention"
    replica.sync()
    assert title_seen(visitor, server, document) == "Attention is all you need"


def test_sign_in_and_accounts_read_the_primary(site):
    server, _replica, _ada, _document = site
    # A person who signed up after the replica's last update (the server checks passwords
    # with the site's own hasher, not the tests' fast one).
    lin = UserFactory(username="lin", email="lin@example.org")
    hasher = PBKDF2PasswordHasher()
    User.objects.filter(pk=lin.pk).update(password=hasher.encode(PASSWORD, hasher.salt()))
    client = requests.Session()
    login = client.post(
        f"{server.base_url}/api/auth/login",
        json={"email": "lin@example.org", "password": PASSWORD},
        timeout=10,
    )
    assert login.status_code == 200, login.text
    me = requests.get(
        f"{server.base_url}/api/auth/me",
        headers={"Authorization": f"Bearer {login.json()['access']}"},
        timeout=10,
    )
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "lin"
    # Any page read of hers authenticates her against the primary too (the replica does not
    # know her yet), while the documents listed come from the replica.
    listed = requests.get(
        f"{server.base_url}/api/documents/",
        headers={"Authorization": f"Bearer {login.json()['access']}"},
        timeout=10,
    )
    assert listed.status_code == 200, listed.text
    assert [d["title"] for d in listed.json()["results"]] == ["Attention"]


def test_the_live_edit_path_reads_and_writes_the_primary(site):
    server, _replica, _ada, _document = site
    lin = UserFactory(username="lin")
    fresh = DocumentFactory(owner=lin, title="Fresh", content="new")  # not in the replica
    token = access_token(lin)

    async def edit() -> tuple[dict, dict]:
        async with websockets.connect(server.url, open_timeout=10) as ws:
            await ws.send(
                json.dumps({"type": "authenticate", "token": token, "document_id": str(fresh.pk)})
            )
            joined = json.loads(await asyncio.wait_for(ws.recv(), 10))
            edit = {"type": "edit", "revision": 0, "client_op_id": "l-1", "edit": {"ops": [3, "!"]}}
            await ws.send(json.dumps(edit))
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if frame["type"] in ("ack", "error"):
                    return joined, frame

    joined, answer = asyncio.run(edit())
    assert joined["type"] == "authenticated" and joined["content"] == "new"
    assert answer == {"type": "ack", "client_op_id": "l-1", "revision": 1}
    fresh.refresh_from_db()
    assert fresh.content == "new!"
    assert Operation.objects.filter(document=fresh).count() == 1
