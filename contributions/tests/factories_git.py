"""Helpers for the Git tests: documents made through the services (so revision 0 has its
snapshot), edits by given people at given times, and reading a repository back."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from dulwich.repo import Repo

from collaboration import services
from collaboration.models import Document, Operation
from contributions.git import repository


@pytest.fixture
def git_root(settings, tmp_path):
    settings.GIT_ROOT = tmp_path / "git"
    return settings.GIT_ROOT


def make_document(owner, *, title="Attention", content="# Attention\n", visibility="public"):
    return services.document_create(
        owner=owner, title=title, content=content, visibility=visibility
    )


def append(document: Document, user, text: str, *, at: datetime | None = None) -> int:
    """Appends `text` as `user`; `at` backdates the revision. Returns the revision."""
    document.refresh_from_db()
    length = len(document.content)
    result = services.document_apply_operation(
        document_id=document.pk,
        user=user,
        base_revision=document.revision,
        client_op_id=f"git-test-{uuid.uuid4().hex}",
        ops=[length, text] if length else [text],
    )
    assert result.committed, result.error
    if at is not None:
        Operation.objects.filter(document=document, revision=result.revision).update(created_at=at)
    document.refresh_from_db()
    return result.revision


def log(document_id: int) -> list:
    """Commits on main, newest first."""
    repo = Repo(str(repository.path_for(document_id)))
    head = repo.refs[repository.BRANCH]
    return [entry.commit for entry in repo.get_walker(include=[head])]


def head_text(document_id: int, path: str) -> str | None:
    repo = Repo(str(repository.path_for(document_id)))
    return repository.file_at(repo, repo.refs[repository.BRANCH].decode(), path)
