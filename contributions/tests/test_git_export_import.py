"""Exports (a revision as Markdown, the history as a zipped clone) and imports (a Markdown
file, a zipped Git repository with its history; unsafe or oversized zips refused)."""

from __future__ import annotations

import base64
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from dulwich.repo import Repo
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from collaboration.models import Document
from contributions.models import RevisionNote
from tests.servers import IN_CI

from .factories_git import append, git_root, log, make_document  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada():
    return UserFactory(username="ada", full_name="Ada Lovelace", email="ada@example.com")


def _upload(user, name: str, data: bytes):
    body = {"filename": name, "content_base64": base64.b64encode(data).decode()}
    return _api(user).post("/api/imports", body, format="json")


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_export_a_revision_as_markdown(git_root, ada, client):  # noqa: F811
    document = make_document(ada, content="# Attention\n")
    append(document, ada, "Second line.\n")
    old = APIClient().get(f"/api/documents/{document.pk}/export?revision=0")
    assert old.status_code == 200 and old.content == b"# Attention\n"
    assert 'filename="attention-r0.md"' in old["Content-Disposition"]
    assert APIClient().get(f"/api/documents/{document.pk}/export?revision=9").status_code == 404
    assert APIClient().get(f"/api/documents/{document.pk}/export?revision=x").status_code == 400
    page = client.get(f"/docs/{document.slug}/export.md")
    assert page.content.decode() == "# Attention\nSecond line.\n"
    assert page["Content-Disposition"].startswith("attachment")


def test_private_documents_do_not_export_to_strangers(git_root, ada, client):  # noqa: F811
    document = make_document(ada, visibility="private")
    assert APIClient().get(f"/api/documents/{document.pk}/export").status_code == 404
    assert client.get(f"/docs/{document.slug}/export.zip").status_code == 404


def test_export_the_history_as_a_zipped_clone(git_root, ada, client, tmp_path):  # noqa: F811
    document = make_document(ada)
    append(document, ada, "Edited.\n")
    response = client.get(f"/docs/{document.slug}/export.zip")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(tmp_path)
    clone = Repo(str(tmp_path / document.slug))
    document.refresh_from_db()
    assert (tmp_path / document.slug / "attention.md").read_text() == document.content
    assert len(list(clone.get_walker())) == 2
    assert b"git/attention.git" in clone.get_config().get((b"remote", b"origin"), b"url")


def test_import_a_markdown_file(git_root, ada):  # noqa: F811
    response = _upload(ada, "notes.md", "# My notes\n\nHello ünïcode.\n".encode())
    assert response.status_code == 201, response.content
    created = response.json()["documents"][0]
    document = Document.objects.get(pk=created["id"])
    assert document.title == "My notes" and document.owner == ada
    assert document.content == "# My notes\n\nHello ünïcode.\n"
    assert document.visibility == "private"


def test_import_refuses_what_is_not_utf8_markdown(git_root, ada):  # noqa: F811
    response = _upload(ada, "notes.md", b"\xff\xfe binary")
    assert (
        response.status_code == 400
        and "UTF-8" in response.json()["error"]["fields"]["content_base64"][0]
    )
    assert not Document.objects.exists()


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_path_traversal_is_refused(git_root, ada):  # noqa: F811
    data = _zip({"ok.md": b"# ok\n", "../../evil.md": b"# evil\n"})
    response = _upload(ada, "repo.zip", data)
    assert response.status_code == 400
    assert "unsafe path" in response.json()["error"]["fields"]["content_base64"][0]
    assert not Document.objects.exists()


def test_oversized_zips_are_refused(git_root, ada, settings):  # noqa: F811
    settings.GIT_IMPORT_MAX_BYTES = 100_000
    data = _zip({"bomb.md": b"a" * 1_000_000})  # compresses to ~1 kB
    response = _upload(ada, "bomb.zip", data)
    assert (
        response.status_code == 400
        and "unpacks to more" in response.json()["error"]["fields"]["content_base64"][0]
    )
    assert not Document.objects.exists()


@pytest.mark.skipif(
    shutil.which("git") is None and not IN_CI,  # CI fails without it rather than skip
    reason="needs the git command-line client",
)
def test_import_a_zipped_git_repository_with_its_history(git_root, ada, tmp_path):  # noqa: F811
    work = tmp_path / "repo"
    work.mkdir()

    def run(*args, name="Ada Lovelace", email="ada@example.com", date="2024-01-02T10:00:00"):
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
        }
        subprocess.run(["git", *args], cwd=work, env=env, check=True, capture_output=True)

    run("init", "-q", "-b", "main")
    (work / "guide.md").write_text("# Guide\n")
    run("add", "guide.md")
    run("commit", "-q", "-m", "Start the guide")
    (work / "guide.md").write_text("# Guide\n\nA stranger's paragraph.\n")
    run("commit", "-qam", "Add a paragraph", name="Grace", email="grace@elsewhere.org")
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for path in sorted(Path(work).rglob("*")):
            if path.is_file():
                archive.write(path, str(path.relative_to(tmp_path)))

    response = _upload(ada, "repo.zip", data.getvalue())
    assert response.status_code == 201, response.content
    document = Document.objects.get(pk=response.json()["documents"][0]["id"])
    assert document.content == "# Guide\n\nA stranger's paragraph.\n"
    assert document.revision == 2
    operations = list(document.operations.order_by("revision"))
    assert operations[0].user == ada  # the email matched Ada's account
    assert operations[1].user == ada  # no account for Grace: credited to the importer...
    note = RevisionNote.objects.get(document=document, revision=2)
    assert note.author_name == "Grace" and note.message == "Add a paragraph"  # ...named here

    # The document's own repository shows the original commits again.
    from contributions.git.sync import sync_document

    sync_document(document_id=document.pk, force=True)
    commits = log(document.pk)
    assert commits[0].author.decode() == "Grace <grace@elsewhere.org>"
    assert commits[0].message.decode().startswith("Add a paragraph")


def test_import_page_shows_errors_and_creates_documents(git_root, ada, client):  # noqa: F811
    client.force_login(ada)
    assert client.get("/import/").status_code == 200
    bad = client.post(
        "/import/", {"file": SimpleUploadedFile("x.exe", b"MZ"), "visibility": "public"}
    )
    assert bad.status_code == 400 and "Upload a Markdown file" in bad.content.decode()
    good = client.post(
        "/import/", {"file": SimpleUploadedFile("a.md", b"# A\n"), "visibility": "public"}
    )
    assert good.status_code == 302
    assert Document.objects.get().visibility == "public"


def test_the_import_markdown_command(git_root, ada, tmp_path):  # noqa: F811
    from django.core.management import call_command

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "one.md").write_text("# One\n")
    (tmp_path / "docs" / "two.md").write_text("# Two\n")
    output = io.StringIO()
    call_command("import_markdown", str(tmp_path / "docs"), owner="ada", stdout=output)
    assert "2 document(s) imported." in output.getvalue()
    assert sorted(Document.objects.values_list("title", flat=True)) == ["One", "Two"]
