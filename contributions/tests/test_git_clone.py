"""THE real clone: `git clone` against a running server finds the history with its
authors, private documents need a username and a personal API key, pushing is refused."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.services import api_key_create
from accounts.tests.factories import UserFactory
from contributions.git import branches
from contributions.proposals import lifecycle
from tests.servers import IN_CI, DaphneServer

from .factories_git import append, make_document
from .factories_proposals import replace_in

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        shutil.which("git") is None and not IN_CI, reason="needs the git command-line client"
    ),
]


@pytest.fixture
def server(settings, tmp_path):
    root = tmp_path / "git"
    settings.GIT_ROOT = root
    daphne = DaphneServer(log_name="git-clone.log", env={"GIT_ROOT": str(root)})
    yield daphne
    daphne.stop()


def git(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(cwd),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "LC_ALL": "C",
    }
    return subprocess.run(
        ["git", "-c", "credential.helper=", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def status_of(url: str, *, auth: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def test_git_clone_finds_the_history_with_its_authors(server, tmp_path):
    ada = UserFactory(username="ada", full_name="Ada Lovelace")
    lin = UserFactory(username="lin", full_name="Lin Chen")
    document = make_document(ada, title="Transformers", content="# Transformers\n")
    start = timezone.now() - timedelta(hours=1)
    append(document, ada, "Attention is all you need.\n", at=start)
    append(document, lin, "Lin adds a note.\n", at=start + timedelta(minutes=1))
    append(document, lin, "Typed a moment ago: the open period.\n")

    done = git("clone", f"{server.base_url}/git/{document.slug}.git", "copy", cwd=tmp_path)
    assert done.returncode == 0, done.stderr

    copy = tmp_path / "copy"
    document.refresh_from_db()
    assert (copy / f"{document.slug}.md").read_text() == document.content
    history = git("log", "--format=%an <%ae>|%s|%(trailers:key=Co-authored-by,valueonly)", cwd=copy)
    lines = [line for line in history.stdout.splitlines() if line.strip()]
    assert lines[0].startswith("Lin Chen <lin@") and "Edits by lin (revision 3)" in lines[0]
    assert lines[1].startswith("Ada Lovelace <ada@")
    assert "Edits by ada and lin (revisions 1–2)" in lines[1]  # noqa: RUF001
    assert lines[1].split("|")[2].startswith("Lin Chen <lin@")  # its Co-authored-by trailer
    assert "Create “Transformers” (revision 0)" in history.stdout

    # By id, and without ".git", too.
    by_id = git("clone", f"{server.base_url}/git/{document.pk}", "by-id", cwd=tmp_path)
    assert by_id.returncode == 0, by_id.stderr

    # Pushing is refused with 403.
    (copy / "x.md").write_text("no\n")
    git("add", "x.md", cwd=copy)
    git("-c", "user.name=x", "-c", "user.email=x@example.com", "commit", "-m", "x", cwd=copy)
    pushed = git("push", "origin", "HEAD:main", cwd=copy)
    assert pushed.returncode != 0 and "403" in pushed.stderr
    code, _ = status_of(
        f"{server.base_url}/git/{document.slug}.git/info/refs?service=git-receive-pack"
    )
    assert code == 403


def test_private_documents_clone_with_username_and_api_key(server, tmp_path):
    owner = UserFactory(username="owner")
    stranger = UserFactory(username="stranger")
    document = make_document(owner, title="Secret notes", visibility="private")
    append(document, owner, "Private text.\n")
    _key, raw_key = api_key_create(user=owner, name="git")
    _other, stranger_key = api_key_create(user=stranger, name="git")
    url = f"{server.base_url}/git/{document.slug}.git"

    anonymous = git("clone", url, "anon", cwd=tmp_path)
    assert anonymous.returncode != 0 and not (tmp_path / "anon" / "secret-notes.md").exists()
    code, headers = status_of(f"{url}/info/refs?service=git-upload-pack")
    assert code == 401 and headers["WWW-Authenticate"].startswith("Basic")

    assert status_of(f"{url}/info/refs?service=git-upload-pack", auth="owner:wrong")[0] == 401
    code, _ = status_of(f"{url}/info/refs?service=git-upload-pack", auth=f"stranger:{stranger_key}")
    assert code == 404  # signed in but may not read: as if it did not exist

    authed = url.replace("http://", f"http://owner:{raw_key}@")
    done = git("clone", authed, "mine", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    document.refresh_from_db()
    assert (tmp_path / "mine" / "secret-notes.md").read_text() == document.content


def test_proposals_open_for_review_are_branches_of_the_clone(server, tmp_path):
    ada = UserFactory(username="ada2", full_name="Ada Lovelace")
    lin = UserFactory(username="lin2", full_name="Lin Chen")
    document = make_document(ada, title="Optimisers", content="# Optimisers\n\nSGD.\n")
    proposal = lifecycle.proposal_create(document=document, user=lin, title="Add Adam")
    draft = lifecycle.proposal_create(document=document, user=lin, title="Secret", draft=True)
    replace_in(proposal.branch, lin, "SGD.", "SGD, then Adam.")
    assert branches.sync_proposal_branch(proposal_id=proposal.pk)
    assert branches.sync_proposal_branch(proposal_id=draft.pk) is None

    done = git("clone", f"{server.base_url}/git/{document.slug}.git", "copy", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    copy = tmp_path / "copy"
    remote = git("branch", "-r", cwd=copy).stdout
    assert f"origin/proposals/{proposal.number}" in remote
    assert f"origin/proposals/{draft.number}" not in remote
    log = git("log", "--format=%an|%s", f"origin/proposals/{proposal.number}", cwd=copy).stdout
    assert log.splitlines()[0].startswith("Lin Chen|Proposal #1: Add Adam")
    shown = git("show", f"origin/proposals/{proposal.number}:{document.slug}.md", cwd=copy)
    assert shown.stdout == "# Optimisers\n\nSGD, then Adam.\n"
    # Its diff against main is the proposal's change alone.
    diff = git("diff", f"main...origin/proposals/{proposal.number}", cwd=copy).stdout
    assert "+SGD, then Adam." in diff and "-SGD." in diff
