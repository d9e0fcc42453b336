"""The bare repository of one document, on disk under settings.GIT_ROOT.

Named by the document's id (slugs change), `<GIT_ROOT>/<id>.git`, with one branch,
`main`, holding the document as one Markdown file. Writers hold `locked(document_id)`, an
flock beside the repository, as well as the GitSync row lock: the row lock orders the
database, the file lock guards the files even against a process using another database
connection (or none, like the admin's shell).
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from dulwich.objects import Blob, Commit, Tag, Tree
from dulwich.repo import Repo

BRANCH = b"refs/heads/main"
FILE_MODE = 0o100644


@dataclass(frozen=True)
class CommitSpec:
    """Everything a commit says, so the same revisions always give the same commit id."""

    path: str
    text: str
    author: str  # "Name <email>"
    authored_at: datetime
    committed_at: datetime
    message: str


def root() -> Path:
    return Path(settings.GIT_ROOT)


def path_for(document_id: int) -> Path:
    return root() / f"{int(document_id)}.git"


@contextmanager
def locked(document_id: int) -> Iterator[None]:
    """Exclusive lock on the document's repository, across processes."""
    root().mkdir(parents=True, exist_ok=True)
    with open(root() / f"{int(document_id)}.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def open_or_init(document_id: int) -> Repo:
    """The document's repository, created (bare, HEAD on main) when missing."""
    path = path_for(document_id)
    if (path / "HEAD").exists():
        return Repo(str(path))
    path.mkdir(parents=True, exist_ok=True)
    repo = Repo.init_bare(str(path))
    repo.refs.set_symbolic_ref(b"HEAD", BRANCH)
    return repo


def exists(document_id: int) -> bool:
    return (path_for(document_id) / "HEAD").exists()


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def write_commit(repo: Repo, *, parent: str | None, spec: CommitSpec) -> str:
    """Writes the commit (tree of one file) on top of `parent`; returns its id.

    Does not move the branch: the caller does once every commit of a sync is written.
    """
    blob = Blob.from_string(spec.text.encode("utf-8"))
    tree = Tree()
    tree.add(spec.path.encode("utf-8"), FILE_MODE, blob.id)
    commit = Commit()
    commit.tree = tree.id
    commit.parents = [parent.encode("ascii")] if parent else []
    commit.author = spec.author.encode("utf-8")
    commit.committer = settings.GIT_COMMITTER.encode("utf-8")
    commit.author_time = _seconds(spec.authored_at)
    commit.commit_time = _seconds(spec.committed_at)
    commit.author_timezone = commit.commit_timezone = 0
    commit.encoding = b"UTF-8"
    commit.message = spec.message.encode("utf-8")
    for obj in (blob, tree, commit):
        repo.object_store.add_object(obj)
    return commit.id.decode("ascii")


def head(repo: Repo) -> str | None:
    """The commit main points at, None in an empty repository."""
    try:
        return repo.refs[BRANCH].decode("ascii")
    except KeyError:
        return None


def set_head(repo: Repo, sha: str) -> None:
    repo.refs[BRANCH] = sha.encode("ascii")


def file_at(repo: Repo, sha: str, path: str) -> str | None:
    """The text of `path` in commit `sha`, None when the commit has no such file."""
    tree = repo[repo[sha.encode("ascii")].tree]
    try:
        _mode, blob_id = tree[path.encode("utf-8")]
    except KeyError:
        return None
    return repo[blob_id].data.decode("utf-8")


def create_tag(
    repo: Repo, *, name: str, sha: str, message: str, tagger: str, when: datetime
) -> None:
    """A lightweight tag (no message) or an annotated one (with message and tagger)."""
    ref = b"refs/tags/" + name.encode("utf-8")
    if not message:
        repo.refs[ref] = sha.encode("ascii")
        return
    tag = Tag()
    tag.name = name.encode("utf-8")
    tag.object = (Commit, sha.encode("ascii"))
    tag.tagger = tagger.encode("utf-8")
    tag.tag_time = _seconds(when)
    tag.tag_timezone = 0
    tag.message = message.encode("utf-8") + (b"" if message.endswith("\n") else b"\n")
    repo.object_store.add_object(tag)
    repo.refs[ref] = tag.id
