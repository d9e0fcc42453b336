"""The live editor page (/docs/<slug>/edit/) and the service worker script (/sw.js)."""

import json
import re

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from collaboration.models import EditPolicy, MemberRole, Visibility
from collaboration.tests.factories import DocumentFactory, DocumentMemberFactory

pytestmark = pytest.mark.django_db

CONTENT = "# Notes\n\nEmoji 😀 and </script><script>alert(1)</script> stay text.\n"


@pytest.fixture
def owner():
    return UserFactory(username="olga")


@pytest.fixture
def document(owner):
    return DocumentFactory(slug="notes", title="Notes", content=CONTENT, owner=owner, revision=3)


def edit_url(doc) -> str:
    return reverse("collaboration:edit", kwargs={"slug": doc.slug})


def editor_data(response) -> dict:
    match = re.search(
        r'<script id="editor-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "the page carries its data in a JSON script block"
    return json.loads(match.group(1))


def test_url_name_and_path(document):
    assert edit_url(document) == "/docs/notes/edit/"


def test_anonymous_visitors_are_sent_to_log_in(client, document):
    response = client.get(edit_url(document))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/docs/notes/edit/"


def test_unknown_document_is_404(client, owner):
    client.force_login(owner)
    assert client.get("/docs/no-such-document/edit/").status_code == 404


@pytest.mark.parametrize("visibility", [Visibility.PRIVATE, Visibility.RESTRICTED])
def test_documents_the_user_cannot_read_are_404(client, owner, visibility):
    doc = DocumentFactory(slug="hidden", title="Hidden plans", owner=owner, visibility=visibility)
    client.force_login(UserFactory())
    response = client.get(edit_url(doc))
    assert response.status_code == 404
    assert "Hidden plans" not in response.content.decode()


def test_editor_page_has_what_the_script_needs(client, owner, document):
    client.force_login(owner)
    response = client.get(edit_url(document))
    assert response.status_code == 200
    body = response.content.decode()
    data = editor_data(response)
    assert data == {
        "documentId": str(document.pk),
        "slug": "notes",
        "title": "Notes",
        "revision": 3,
        "content": CONTENT,
        "canEdit": True,
        "user": {"id": owner.pk, "username": "olga"},
        "wsPath": "/ws/collab/",
        "chatUrl": f"/api/documents/{document.pk}/chat",
        "documentUrl": "/docs/notes/",
    }
    # The content cannot break out of the JSON block, and no token is in the page.
    assert "<script>alert(1)</script>" not in body
    assert "token" not in json.dumps(data).lower()
    assert 'src="/static/vendor/editor.bundle.js"' in body
    assert 'href="/static/css/editor.css"' in body
    assert 'id="readonly-banner"' not in body
    for element in ("editor", "preview", "conn-badge", "participants", "chat-log", "typing"):
        assert f'id="{element}"' in body
    assert 'id="conflict-banner"' in body and 'id="conflict-text"' in body


def test_csp_allows_no_inline_script(client, owner, document):
    client.force_login(owner)
    response = client.get(edit_url(document))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    body = response.content.decode()
    # Every executable <script> has a src; the only inline one is JSON data.
    for tag in re.findall(r"<script\b[^>]*>", body):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\son[a-z]+=", body), "no inline event handlers"


def test_read_only_banner_for_readers_who_may_not_edit(client, owner):
    doc = DocumentFactory(slug="members-only", owner=owner, edit_policy=EditPolicy.MEMBERS)
    reader = UserFactory()
    client.force_login(reader)
    response = client.get(edit_url(doc))
    assert response.status_code == 200
    assert 'id="readonly-banner"' in response.content.decode()
    assert editor_data(response)["canEdit"] is False


def test_members_with_the_editor_role_may_edit(client, owner):
    doc = DocumentFactory(
        slug="team", owner=owner, visibility=Visibility.RESTRICTED, edit_policy=EditPolicy.MEMBERS
    )
    member = DocumentMemberFactory(document=doc, role=MemberRole.EDITOR).user
    viewer = DocumentMemberFactory(document=doc, role=MemberRole.VIEWER).user
    client.force_login(member)
    assert editor_data(client.get(edit_url(doc)))["canEdit"] is True
    client.force_login(viewer)
    assert editor_data(client.get(edit_url(doc)))["canEdit"] is False


def test_document_page_links_to_the_editor(client, document):
    body = client.get(reverse("collaboration:document", kwargs={"slug": "notes"})).content.decode()
    assert 'href="/docs/notes/edit/"' in body


def test_service_worker_is_served_from_the_root_with_scope_headers(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    version = re.match(r'const VERSION = "([0-9a-f]{12})";\nconst SHELL = (\[.*?\]);\n', body)
    assert version, body[:200]
    shell = json.loads(version.group(2))
    assert "/static/css/site.css" in shell
    assert "/static/vendor/editor.bundle.js" in shell
    assert 'addEventListener("fetch"' in body
    assert client.head("/sw.js").status_code == 200
    assert client.post("/sw.js").status_code == 405


def test_service_worker_version_changes_with_the_script(client, tmp_path, settings):
    first = client.get("/sw.js").content.decode().split("\n", 1)[0]
    static = tmp_path / "static" / "js"
    static.mkdir(parents=True)
    (static / "sw.js").write_text("// another version\n", encoding="utf-8")
    settings.BASE_DIR = tmp_path
    second = client.get("/sw.js").content.decode()
    assert second.split("\n", 1)[0] != first
    assert second.endswith("// another version\n")
