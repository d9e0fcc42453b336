"""Bringing a document's repository up to date with its operation log, merges, releases.

`sync_document` commits every closed period (periods.group) after the revision the head
commit holds, under the GitSync row lock and the repository's file lock, so two workers
never write one repository at once. Commits are deterministic (authors, dates and
message come from the revisions; the committer is the site), so a sync that fails before
saving its row and runs again writes the very same commits: nothing is duplicated.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from dulwich.refs import check_ref_format
from dulwich.repo import Repo

from collaboration import history, ot
from collaboration.locking import take_sqlite_write_lock
from collaboration.models import Document
from collaboration.permissions import can_edit_document
from collaboration.selectors import operations_between

from ..errors import Conflict, InvalidInput, NotAllowed
from ..models import GitSync, Release, RevisionNote
from . import authors, periods, repository
from .repository import CommitSpec

logger = logging.getLogger(__name__)

SOURCE_WORDS = {
    "restore": "Restore an earlier text",
    "merge": "Merge",
    "system": "Update",
}


@dataclass(frozen=True)
class SyncResult:
    commits: int  # written by this sync
    head_sha: str
    revision: int  # the revision the head commit holds
    open_until: datetime | None  # when the open period closes (None: nothing open)


def pause() -> timedelta:
    return timedelta(minutes=settings.GIT_PERIOD_MINUTES)


def file_path(document: Document) -> str:
    return f"{document.slug}.md"


def _locked_state(document_id: int) -> GitSync:
    try:
        with transaction.atomic():
            GitSync.objects.get_or_create(document_id=document_id)
    except IntegrityError:
        pass  # another worker created it first
    return GitSync.objects.select_for_update().get(pk=document_id)


def _users(rows: list[dict[str, Any]]) -> dict[int, Any]:
    ids = {row["user_id"] for row in rows if row["user_id"] is not None}
    return get_user_model().objects.in_bulk(ids)


def _writers(rows: list[dict[str, Any]], users: dict[int, Any]) -> list[Any]:
    """The period's writers: most characters first (the Author), then by first edit."""
    written: dict[int | None, int] = {}
    for row in rows:
        written[row["user_id"]] = written.get(row["user_id"], 0) + row["chars_inserted"]
    order = list(written)  # first appearance
    top = max(order, key=lambda uid: (written[uid], -order.index(uid)))
    return [users.get(uid) for uid in [top] + [uid for uid in order if uid != top]]


def _describe(
    period: periods.Period, notes: dict[int, RevisionNote], users: dict[int, Any]
) -> tuple[str, datetime, str]:
    """(author identity, authored at, message) of the commit of `period`."""
    span = authors.revision_range(period.first, period.last)
    note = notes.get(period.first) if period.alone else None
    if note is not None:
        author = (
            f"{note.author_name} <{note.author_email}>"
            if note.author_name
            else authors.identity(users.get(period.rows[0]["user_id"]))
        )
        message = note.message.rstrip() + "\n"
        if note.co_authors:
            message += "\n" + authors.co_author_trailers(note.co_authors)
        return author, note.authored_at or period.started_at, message
    writers = _writers(period.rows, users)
    if period.alone:
        words = SOURCE_WORDS.get(period.rows[0]["source"], "Update")
        message = f"{words} by {authors.login_of(writers[0])} ({span})\n"
    else:
        names = authors.join_names([authors.login_of(w) for w in writers])
        message = f"Edits by {names} ({span})\n"
    co_authors = [authors.identity(w) for w in writers[1:]]
    if co_authors:
        message += "\n" + authors.co_author_trailers(co_authors)
    return authors.identity(writers[0]), period.started_at, message


def _first_commit(repo: Repo, document: Document, state: GitSync) -> str:
    """The commit of revision 0 (the text the document was created with), or of the
    current text when history that old is no longer kept."""
    path = file_path(document)
    try:
        text, revision = history.content_at(document_id=document.pk, revision=0), 0
        message = f"Create “{document.title}” (revision 0)\n"
        when = document.created_at
    except history.HistoryError:
        text, revision = document.content, document.revision
        message = f"“{document.title}” as of revision {revision} (older history is not kept)\n"
        when = document.last_edited_at or document.updated_at
    spec = CommitSpec(path, text, authors.identity(document.owner), when, when, message)
    sha = repository.write_commit(repo, parent=None, spec=spec)
    state.last_revision_committed, state.head_sha, state.path = revision, sha, path
    state.commit_count += 1
    return text


def _commit_periods(
    repo: Repo, document: Document, state: GitSync, text: str, *, force: bool, now: datetime
) -> datetime | None:
    """Commits the closed periods after the head; when the open one closes (or None)."""
    rows = list(
        operations_between(
            document_id=document.pk, after=state.last_revision_committed, upto=document.revision
        ).values("revision", "ops", "user_id", "source", "created_at", "chars_inserted")
    )
    if not rows:
        return None
    path = file_path(document)
    if rows[0]["revision"] != state.last_revision_committed + 1:
        # Pruned from the log before it was committed: one commit bridges the gap.
        bridge = rows[0]["revision"] - 1
        text = history.content_at(document_id=document.pk, revision=bridge)
        message = f"Revisions up to {bridge} (their details are no longer kept)\n"
        when = rows[0]["created_at"]
        spec = CommitSpec(path, text, authors.identity(document.owner), when, when, message)
        state.head_sha = repository.write_commit(repo, parent=state.head_sha, spec=spec)
        state.last_revision_committed, state.path = bridge, path
        state.commit_count += 1
    notes = {
        n.revision: n
        for n in RevisionNote.objects.filter(
            document_id=document.pk, revision__gt=state.last_revision_committed
        )
    }
    closed = periods.group(rows, noted=set(notes), pause=pause(), now=now, force=force)
    users = _users(rows)
    for period in closed:
        for row in period.rows:
            text = ot.apply(text, row["ops"])
        author, authored_at, message = _describe(period, notes, users)
        spec = CommitSpec(path, text, author, authored_at, period.ended_at, message)
        state.head_sha = repository.write_commit(repo, parent=state.head_sha, spec=spec)
        state.last_revision_committed, state.path = period.last, path
        state.commit_count += 1
    if rows[-1]["revision"] > state.last_revision_committed:
        return rows[-1]["created_at"] + pause()
    return None


def sync_document(
    *, document_id: int, force: bool = False, now: datetime | None = None
) -> SyncResult | None:
    """Commits what the repository lacks; None when the document is gone.

    `force` commits the open period too (a clone or an export must see every revision).
    """
    now = now or timezone.now()
    with transaction.atomic():
        take_sqlite_write_lock(Document, document_id)
        document = Document.objects.select_related("owner").filter(pk=document_id).first()
        if document is None:
            return None
        state = _locked_state(document_id)
        before = state.commit_count
        with repository.locked(document_id):
            repo = repository.open_or_init(document_id)
            if state.head_sha and state.head_sha.encode() not in repo.object_store:
                # The repository was lost (a volume not restored): rebuild it from the log;
                # the commits come out the same, ids included.
                logger.warning("git repository of document %s lost; rebuilding", document_id)
                state.head_sha, state.path, state.last_revision_committed = "", "", -1
                state.commit_count = before = 0
            if not state.head_sha:
                text = _first_commit(repo, document, state)
            else:
                text = repository.file_at(repo, state.head_sha, state.path) or ""
            open_until = _commit_periods(repo, document, state, text, force=force, now=now)
            if state.commit_count != before:
                repository.set_head(repo, state.head_sha)
                state.save()
            elif repository.head(repo) != state.head_sha:
                repository.set_head(repo, state.head_sha)  # a repository restored from backup
    return SyncResult(
        commits=state.commit_count - before,
        head_sha=state.head_sha,
        revision=state.last_revision_committed,
        open_until=open_until,
    )


def commit_merge(document: Document, revision: int, message: str, authors_: list) -> str | None:
    """Commits a merged proposal's revision as "Merge proposal #N: title" (the caller's
    `message`), authored by its writers (`authors_`: users, the first is the Author, the
    others Co-authored-by), and everything before it. Call it once the merge revision is
    committed (in its transaction or after); returns the head commit id.
    """
    if not authors_:
        raise InvalidInput("A merge needs at least one author.", field="authors")
    first = authors_[0]
    name, _, email = authors.identity(first).rpartition(" <")
    RevisionNote.objects.update_or_create(
        document_id=document.pk,
        revision=revision,
        defaults={
            "message": message,
            "author_name": name,
            "author_email": email.rstrip(">"),
            "authored_at": None,
            "co_authors": [authors.identity(u) for u in authors_[1:]],
        },
    )
    result = sync_document(document_id=document.pk, force=True)
    return result.head_sha if result else None


# --- releases ----------------------------------------------------------------------------


def _clean_release_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("Give the release a name, such as v1.0.", field="name")
    name = name.strip()
    if len(name) > 100 or not check_ref_format(b"refs/tags/" + name.encode("utf-8")):
        raise InvalidInput(
            "A release name is at most 100 characters, without spaces, “..”, “~”, “^”, "
            "“:”, “?”, “*”, “[” or “\\”, and does not end with “.” or “/”.",
            field="name",
        )
    return name


def release_create(*, document: Document, user, name: str, message: str = "") -> Release:
    """Tags the current head: lightweight without a message, annotated with one."""
    if not can_edit_document(user, document):
        raise NotAllowed("Only the document's editors can cut a release.")
    name = _clean_release_name(name)
    message = (message or "").strip()
    if len(message) > 5000:
        raise InvalidInput("The release notes are at most 5000 characters.", field="message")
    if Release.objects.filter(document=document, name=name).exists():
        raise Conflict(f"There is already a release named “{name}”.", code="release_exists")
    result = sync_document(document_id=document.pk, force=True)
    with transaction.atomic():
        take_sqlite_write_lock(Document, document.pk)
        state = GitSync.objects.select_for_update().get(pk=document.pk)
        if Release.objects.filter(document=document, name=name).exists():
            raise Conflict(f"There is already a release named “{name}”.", code="release_exists")
        with repository.locked(document.pk):
            repo = repository.open_or_init(document.pk)
            repository.create_tag(
                repo,
                name=name,
                sha=state.head_sha,
                message=message,
                tagger=authors.identity(user),
                when=timezone.now(),
            )
            return Release.objects.create(
                document=document,
                name=name,
                message=message,
                commit_sha=state.head_sha,
                revision=result.revision if result else state.last_revision_committed,
                created_by=user,
            )
