"""Exports: the text of any revision as a Markdown file, and the whole history as a zip of
a clone (a working copy with its .git directory, ready for `git log`)."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import IO

from dulwich import porcelain
from dulwich.repo import Repo

from collaboration import history
from collaboration.models import Document

from ..errors import InvalidInput, NotFound
from . import repository
from .sync import file_path, sync_document

SPOOL_MEMORY = 4 * 1024 * 1024


def markdown_at(*, document: Document, revision: int | None) -> tuple[str, str]:
    """(file name, text) of the document at `revision` (None: the current one)."""
    if revision is None:
        return file_path(document), document.content
    try:
        text = history.content_at(document_id=document.pk, revision=revision)
    except history.RevisionOutOfRange as exc:
        raise NotFound(
            f"Revision {revision} does not exist: this document has revisions 0 to "
            f"{document.revision}.",
            field="revision",
        ) from exc
    except history.HistoryUnavailable as exc:
        raise InvalidInput(
            f"Revision {revision} is no longer kept; newer revisions can be exported.",
            field="revision",
        ) from exc
    return f"{document.slug}-r{revision}.md", text


def history_zip(*, document: Document, clone_url: str) -> tuple[str, IO[bytes]]:
    """(file name, zip) of a clone of the document's repository, brought up to date first;
    its `origin` is `clone_url` (never the server's own path)."""
    sync_document(document_id=document.pk, force=True)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # noqa: SIM115 - returned
    with tempfile.TemporaryDirectory(prefix="git-export-") as work:
        target = Path(work) / document.slug
        with repository.locked(document.pk):
            porcelain.clone(
                str(repository.path_for(document.pk)),
                str(target),
                checkout=True,
                errstream=io.BytesIO(),
            )
        clone = Repo(str(target))
        config = clone.get_config()
        config.set((b"remote", b"origin"), b"url", clone_url.encode())
        config.write_to_path()
        clone.close()
        with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(target.rglob("*")):
                if path.is_file():
                    archive.write(path, str(path.relative_to(work)))
    spool.seek(0)
    return f"{document.slug}.zip", spool
