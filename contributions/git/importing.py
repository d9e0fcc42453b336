"""Uploads becoming documents: a Markdown file, or a zip of Markdown files or of a Git
repository of Markdown files (each file a document, with its history when it has one).

Everything is checked before anything is written, and the writes happen in one
transaction: a refused upload changes nothing. Checks: UTF-8 text without NUL, at most
MAX_DOCUMENT_CHARS per version; zips with at most GIT_IMPORT_MAX_ENTRIES entries and
GIT_IMPORT_MAX_BYTES uncompressed (counted while extracting, whatever the headers claim),
no absolute paths, no "..", no links, and no Git files that point outside the upload
(alternates, commondir, gitdir files).

Each commit that changed a file becomes a revision (source "system") credited to the user
whose address matches the commit's author (authors.user_for_email), else to the importer;
its original author, date, message and id are kept in a RevisionNote, so the document's
own repository shows them again.
"""

from __future__ import annotations

import io
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import transaction
from dulwich.errors import NotGitRepository
from dulwich.objects import Blob, Commit, Tree
from dulwich.repo import Repo

from collaboration import history
from collaboration.models import Document, EditSource
from collaboration.services import document_apply_operation, document_create

from ..errors import ImportRefused
from ..models import RevisionNote
from . import authors

MARKDOWN_SUFFIXES = (".md", ".markdown")
UNSAFE_GIT_FILES = ("alternates", "http-alternates", "commondir", "gitdir")


@dataclass
class Version:
    text: str
    author_name: str = ""
    author_email: str = ""
    when: datetime | None = None
    message: str = ""
    sha: str = ""


@dataclass
class ImportedFile:
    path: str
    versions: list[Version] = field(default_factory=list)

    @property
    def title(self) -> str:
        for line in self.versions[-1].text.splitlines():
            if line.startswith("# ") and line[2:].strip():
                return line[2:].strip()[:200]
        return PurePosixPath(self.path).stem.replace("-", " ").replace("_", " ")[:200] or "Imported"


# --- checks ----------------------------------------------------------------------------------


def _text(data: bytes, where: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportRefused(f"{where} is not UTF-8 text.", field="file") from None
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise ImportRefused(f"{where} contains NUL characters: it is not Markdown.", field="file")
    if len(text) > settings.MAX_DOCUMENT_CHARS:
        raise ImportRefused(
            f"{where} has {len(text):,} characters; documents hold at most "
            f"{settings.MAX_DOCUMENT_CHARS:,}.",
            field="file",
        )
    return text


def _safe_member(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if (
        not name
        or name.startswith(("/", "\\"))
        or "\\" in name
        or "\x00" in name
        or ":" in path.parts[0]
        or any(part == ".." for part in path.parts)
    ):
        raise ImportRefused(
            f"The zip holds an unsafe path ({name[:80]!r}): paths must stay inside the archive.",
            field="file",
        )
    if path.name in UNSAFE_GIT_FILES:
        raise ImportRefused(
            f"The zip holds {name[:80]!r}, which points outside the repository.", field="file"
        )
    return path


def _extract(data: bytes, target: Path) -> None:
    """Extracts the zip into `target`, refusing anything unsafe or too large."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise ImportRefused("This is not a valid zip file.", field="file") from None
    with archive:
        members = archive.infolist()
        if len(members) > settings.GIT_IMPORT_MAX_ENTRIES:
            raise ImportRefused(
                f"The zip holds {len(members):,} entries; at most "
                f"{settings.GIT_IMPORT_MAX_ENTRIES:,} are accepted.",
                field="file",
            )
        budget = settings.GIT_IMPORT_MAX_BYTES
        too_large = ImportRefused(
            f"The zip unpacks to more than {budget:,} bytes, the most accepted.", field="file"
        )
        if sum(m.file_size for m in members) > budget:
            raise too_large
        for member in members:
            path = _safe_member(member.filename)
            if stat.S_ISLNK(member.external_attr >> 16):
                raise ImportRefused(
                    f"The zip holds a link ({member.filename[:80]!r}); links are not accepted.",
                    field="file",
                )
            destination = target.joinpath(*path.parts)
            if member.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(member) as source, open(destination, "wb") as sink:
                    while chunk := source.read(64 * 1024):
                        budget -= len(chunk)
                        if budget < 0:
                            raise too_large
                        sink.write(chunk)
            except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError):
                raise ImportRefused(
                    f"The zip entry {member.filename[:80]!r} cannot be read.", field="file"
                ) from None


# --- reading ---------------------------------------------------------------------------------


def _find_repository(root: Path) -> Path | None:
    """The shallowest Git directory in the upload (a .git or a bare repository)."""
    candidates = [p.parent for p in root.rglob("HEAD") if (p.parent / "objects").is_dir()]
    if not candidates:
        return None
    return min(candidates, key=lambda p: len(p.parts))


def _markdown_blobs(repo: Repo, tree_id: bytes, prefix: str = "") -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    tree = repo[tree_id]
    assert isinstance(tree, Tree)
    for entry in tree.iteritems():
        name = entry.path.decode("utf-8", "replace")
        path = f"{prefix}{name}"
        if stat.S_ISDIR(entry.mode):
            found.update(_markdown_blobs(repo, entry.sha, f"{path}/"))
        elif stat.S_ISREG(entry.mode) and name.lower().endswith(MARKDOWN_SUFFIXES):
            found[path] = entry.sha
    return found


def _loose_object_too_large(gitdir: Path, sha: bytes, limit: int) -> bool:
    """A loose object's header says its size: refuse a compressed giant before inflating it."""
    hexsha = sha.decode()
    path = gitdir / "objects" / hexsha[:2] / hexsha[2:]
    if not path.is_file():
        return False
    with open(path, "rb") as handle:
        header = zlib.decompressobj().decompress(handle.read(1024), 64)
    try:
        size = int(header.split(b"\x00", 1)[0].split(b" ", 1)[1])
    except (IndexError, ValueError):
        return True
    return size > limit


def _parse_identity(raw: bytes) -> tuple[str, str]:
    text = raw.decode("utf-8", "replace")
    name, _, email = text.partition("<")
    return name.strip()[:200], email.rstrip(">").strip()[:254]


def _history(gitdir: Path) -> list[ImportedFile]:
    try:
        repo = Repo(str(gitdir))
    except (NotGitRepository, OSError, ValueError):
        raise ImportRefused(
            "The zip holds a Git directory that cannot be read.", field="file"
        ) from None
    try:
        head = repo.head()
    except KeyError:
        raise ImportRefused("The Git repository in the zip has no commits.", field="file") from None
    chain: list[Commit] = []
    sha: bytes | None = head
    while sha is not None and len(chain) < settings.GIT_IMPORT_MAX_COMMITS:
        commit = repo[sha]
        assert isinstance(commit, Commit)
        chain.append(commit)
        sha = commit.parents[0] if commit.parents else None
    files: dict[str, ImportedFile] = {}
    seen: dict[str, bytes] = {}
    budget = 4 * settings.GIT_IMPORT_MAX_BYTES
    byte_limit = 4 * settings.MAX_DOCUMENT_CHARS
    for commit in reversed(chain):  # oldest first, along the first parents
        for path, blob_id in _markdown_blobs(repo, commit.tree).items():
            if seen.get(path) == blob_id:
                continue
            seen[path] = blob_id
            if path not in files and len(files) >= settings.GIT_IMPORT_MAX_DOCUMENTS:
                raise ImportRefused(
                    f"The repository holds more than {settings.GIT_IMPORT_MAX_DOCUMENTS} "
                    "Markdown files, the most one import accepts.",
                    field="file",
                )
            if _loose_object_too_large(gitdir, blob_id, byte_limit):
                raise ImportRefused(f"{path} is too large to be a document.", field="file")
            blob = repo[blob_id]
            assert isinstance(blob, Blob)
            budget -= len(blob.data)
            if budget < 0:
                raise ImportRefused(
                    "The repository's history is too large to import.", field="file"
                )
            where = f"{path} (commit {commit.id.decode()[:7]})"
            name, email = _parse_identity(commit.author)
            files.setdefault(path, ImportedFile(path)).versions.append(
                Version(
                    text=_text(blob.data, where),
                    author_name=name,
                    author_email=email,
                    when=datetime.fromtimestamp(commit.author_time, tz=UTC),
                    message=commit.message.decode("utf-8", "replace").strip()[:5000],
                    sha=commit.id.decode(),
                )
            )
    return list(files.values())


def _plain_files(root: Path) -> list[ImportedFile]:
    paths = sorted(
        p for p in root.rglob("*") if p.is_file() and p.name.lower().endswith(MARKDOWN_SUFFIXES)
    )
    if len(paths) > settings.GIT_IMPORT_MAX_DOCUMENTS:
        raise ImportRefused(
            f"The zip holds {len(paths)} Markdown files; one import accepts at most "
            f"{settings.GIT_IMPORT_MAX_DOCUMENTS}.",
            field="file",
        )
    return [
        ImportedFile(
            str(p.relative_to(root)),
            [Version(text=_text(p.read_bytes(), str(p.relative_to(root))))],
        )
        for p in paths
    ]


def read_upload(*, name: str, data: bytes) -> list[ImportedFile]:
    """The documents an upload holds; ImportRefused if it cannot be imported."""
    if len(data) > settings.GIT_IMPORT_MAX_BYTES:
        raise ImportRefused(
            f"The file is larger than {settings.GIT_IMPORT_MAX_BYTES:,} bytes, the most accepted.",
            field="file",
        )
    lowered = (name or "").lower()
    if lowered.endswith((*MARKDOWN_SUFFIXES, ".txt")):
        return [ImportedFile(PurePosixPath(name).name, [Version(text=_text(data, name))])]
    if not lowered.endswith(".zip") and not data.startswith(b"PK"):
        raise ImportRefused(
            "Upload a Markdown file (.md) or a zip of Markdown files or of a Git repository.",
            field="file",
        )
    with tempfile.TemporaryDirectory(prefix="git-import-") as work:
        root = Path(work)
        _extract(data, root)
        gitdir = _find_repository(root)
        files = _history(gitdir) if gitdir is not None else _plain_files(root)
    if not files:
        raise ImportRefused("The upload holds no Markdown files (.md).", field="file")
    return files


# --- writing ---------------------------------------------------------------------------------


def _author_for(version: Version, importer, cache: dict[str, object]):
    if not version.author_email:
        return importer
    if version.author_email not in cache:
        cache[version.author_email] = authors.user_for_email(version.author_email) or importer
    return cache[version.author_email]


def import_files(*, owner, files: list[ImportedFile], visibility: str) -> list[Document]:
    """Creates one document per file, replaying its versions as revisions (one transaction)."""
    documents = []
    matched: dict[str, object] = {}
    with transaction.atomic():
        for imported in files:
            has_history = any(v.sha for v in imported.versions)
            first = "" if has_history else imported.versions[0].text
            document = document_create(
                owner=owner, title=imported.title, content=first, visibility=visibility
            )
            text, revision = first, 0
            for number, version in enumerate(imported.versions if has_history else []):
                if version.text == text:
                    continue  # e.g. a file created empty: revision 0 already holds it
                result = document_apply_operation(
                    document_id=document.pk,
                    user=owner,
                    author=_author_for(version, owner, matched),
                    base_revision=revision,
                    client_op_id=f"import-{version.sha[:12]}-{number}",
                    ops=history.minimal_operation(text, version.text),
                    source=EditSource.SYSTEM,
                )
                if result.error is not None:
                    raise ImportRefused(f"{imported.path}: {result.error.message}", field="file")
                text, revision = version.text, result.revision
                RevisionNote.objects.create(
                    document=document,
                    revision=revision,
                    message=version.message or f"Imported from {imported.path}",
                    author_name=version.author_name,
                    author_email=version.author_email,
                    authored_at=version.when,
                    original_sha=version.sha,
                )
            document.refresh_from_db()
            documents.append(document)
    return documents
