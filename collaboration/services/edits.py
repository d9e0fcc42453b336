"""One rule set for every edit of a document's text, whatever its source.

Socket frames, REST requests, restores, and next proposal merges and suggestions all
become a `commit.PendingOperation` here (`pending_edit`, `pending_from_frame`): the
client_op_id and base revision rules, the shape of the edit, the source (a closed set),
the author credited and the actor whose right is checked, and the access versions that
right was decided on. The commit path (`collaboration.commit`) then applies the same transform,
size and NUL rules to all of them. Socket edits are committed in batches by the
socket's hub; everything else goes through `document_apply_operation` and its kin, one
edit at a time, under the document's row lock.

After every commit, from any path: the revision is announced to open sockets
(`realtime.publish`) and handed to the post-commit hook (`collaboration.revisions`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from .. import commit, history, ot, revisions
from ..locking import take_sqlite_write_lock
from ..models import Document, EditSource, Operation, Snapshot
from ..permissions import document_access
from ..realtime import publish
from ..selectors import document_text
from .errors import ActionForbidden, EditRefused

if TYPE_CHECKING:
    from accounts.models import User

MAX_CLIENT_OP_ID_CHARS = 100  # Operation.client_op_id's max_length
ACCESS_ATTEMPTS = 3  # decide the right again this often when access moves mid-commit


# --- turning input into a pending edit ---------------------------------------------------


def _check_client_op_id(value: object) -> str:
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value) > MAX_CLIENT_OP_ID_CHARS
        or "\x00" in value
    ):
        raise EditRefused(
            "invalid_operation",
            f"client_op_id must be a string of 1 to {MAX_CLIENT_OP_ID_CHARS} characters",
            field="client_op_id",
        )
    return value


def _check_revision(value: object) -> int:
    if type(value) is not int or value < 0:
        raise EditRefused(
            "invalid_operation", "revision must be a non-negative integer", field="revision"
        )
    return value


def pending_edit(
    *,
    client_op_id: object,
    revision: object,
    ops: object = None,
    simple: object = None,
    author_id: int,
    actor_id: int | None = None,
    source: str,
    access: tuple[int, int] | None,
) -> commit.PendingOperation:
    """An edit ready for the commit path; EditRefused (nothing changes) if malformed.

    Exactly one of `ops` (the list form) and `simple` (insert/delete) is given. Whether
    the ops fit the document is decided at commit, against the text they apply to.
    """
    if source not in EditSource.values:
        raise ValueError(f"unknown edit source {source!r}")
    client_op_id = _check_client_op_id(client_op_id)
    revision = _check_revision(revision)
    if (ops is None) == (simple is None):
        raise EditRefused(
            "invalid_operation", "give exactly one of 'ops' and a simple insert/delete edit"
        )
    if ops is not None and not isinstance(ops, list):
        raise EditRefused("invalid_operation", "edit.ops must be a list", field="ops")
    if simple is not None and not isinstance(simple, dict):
        raise EditRefused("invalid_operation", "edit must be an object")
    return commit.PendingOperation(
        client_op_id=client_op_id,
        base_revision=revision,
        user_id=author_id,
        actor_id=actor_id if actor_id != author_id else None,
        ops=ops,
        simple=simple,
        source=source,
        access=access,
    )


def pending_from_frame(
    frame: dict[str, Any], *, user_id: int, access: tuple[int, int]
) -> commit.PendingOperation:
    """A socket's `edit` frame as a pending edit (EditRefused if malformed)."""
    _check_client_op_id(frame.get("client_op_id"))
    edit = frame.get("edit")
    if not isinstance(edit, dict):
        raise EditRefused("invalid_operation", "edit must be an object")
    if "ops" in edit:
        ops, simple = edit["ops"], None
    elif "operation" in edit:
        ops, simple = None, edit
    else:
        raise EditRefused("invalid_operation", "edit needs either ops or operation/position")
    return pending_edit(
        client_op_id=frame.get("client_op_id"),
        revision=frame.get("revision"),
        ops=ops,
        simple=simple,
        author_id=user_id,
        source=EditSource.SOCKET,
        access=access,
    )


# --- committing one edit (everything but the socket) -------------------------------------


def _as_validation_error(exc: EditRefused) -> ValidationError:
    return ValidationError({exc.field: [exc.message]})


def _decide(document_id: int, actor: User) -> tuple[int, int]:
    """The access stamp under which `actor` may edit the document now, or ActionForbidden."""
    document = Document.objects.only(
        "id", "owner_id", "visibility", "edit_policy", "access_version"
    ).get(pk=document_id)
    if not document_access(actor, document).can_edit:
        raise ActionForbidden("You may read this document but not edit it.")
    return document.access_version, actor.access_version


def _commit_one(*, document_id: int, item: commit.PendingOperation) -> commit.CommitResult:
    """Commits one operation; announces it once the outermost transaction commits.

    Raises commit.AccessStale when the stamp is out of date (nothing committed).
    """
    with transaction.atomic():
        take_sqlite_write_lock(Document, document_id)
        results, state = commit.commit_operations(document_id=document_id, pending=[item])
        result = results[0]
        if result.committed:
            publish.on_commit(
                publish.revisions_committed, document_id, [result.frame()], state.access_version
            )
            revisions.deliver_after_commit(document_id, result.revision)
    return result


def _commit_as(
    *, document_id: int, actor: User, item: commit.PendingOperation
) -> commit.CommitResult:
    """Decides the actor's right, then commits; decides again if access moved meanwhile."""
    for _attempt in range(ACCESS_ATTEMPTS):
        item.access = _decide(document_id, actor)
        try:
            return _commit_one(document_id=document_id, item=item)
        except commit.AccessStale:
            actor = get_user_model().objects.get(pk=actor.pk)
    raise ActionForbidden("Access to this document keeps changing; try again in a moment.")


def document_apply_operation(
    *,
    document_id: int,
    user: User,
    base_revision: int,
    client_op_id: str,
    ops: list[ot.Op] | None = None,
    simple: dict[str, Any] | None = None,
    source: str = EditSource.API,
    author: User | None = None,
) -> commit.CommitResult:
    """Commits one edit made against `base_revision`, transformed onto the current text.

    `user` is the actor, whose right to edit is checked; `author` (default: the actor)
    is credited on the revision, so a merged proposal credits its writer. The result is
    committed, a duplicate of an earlier commit with the same client_op_id (nothing
    changes; its original revision is given), or carries a `CommitError` whose code is
    the protocol's: invalid_operation, revision_too_old, document_too_large. Raises
    ActionForbidden when the user may not edit, Document.DoesNotExist when the document
    is gone, and ValidationError for a malformed revision, client_op_id or edit.
    """
    author = author or user
    try:
        item = pending_edit(
            client_op_id=client_op_id,
            revision=base_revision,
            ops=ops,
            simple=simple,
            author_id=author.pk,
            actor_id=user.pk,
            source=source,
            access=None,
        )
    except EditRefused as exc:
        if exc.field in ("client_op_id", "revision"):
            raise _as_validation_error(exc) from None
        result = commit.CommitResult(client_op_id=str(client_op_id), user_id=author.pk)
        result.error = commit.CommitError(exc.code, exc.message)
        return result
    return _commit_as(document_id=document_id, actor=user, item=item)


class RewriteAborted(Exception):
    """Raised by a `document_rewrite` callback to commit nothing (its message says why)."""


def document_rewrite(
    *,
    document_id: int,
    user: User,
    rewrite: Callable[[int, str], str],
    source: str,
    client_op_id: str | None = None,
    author: User | None = None,
) -> commit.CommitResult:
    """Commits the change from the current text to `rewrite(revision, text)`, as one revision.

    The document row is locked while `rewrite` runs, so the text it sees is the text its
    result replaces: a restore, a merge or an accepted suggestion lands exactly as
    computed, and live editors' concurrent edits are transformed past it like any other
    revision. `rewrite` may raise RewriteAborted (or any error) to commit nothing. The
    actor's right to edit is checked first; `author` (default: the actor) is credited.
    """
    author = author or user
    _decide(document_id, user)  # refuse before computing anything for nobody
    with transaction.atomic():
        take_sqlite_write_lock(Document, document_id)
        current_revision, current = document_text(document_id=document_id, for_update=True)
        new = rewrite(current_revision, current)
        item = pending_edit(
            client_op_id=client_op_id or f"{source}-{uuid.uuid4()}",
            revision=current_revision,
            ops=history.minimal_operation(current, new),
            author_id=author.pk,
            actor_id=user.pk,
            source=source,
            access=None,
        )
        return _commit_as(document_id=document_id, actor=user, item=item)


def document_restore(*, document_id: int, user: User, revision: int) -> commit.CommitResult:
    """Commits, as a new revision, the change that brings the text back to `revision`.

    Raises history.RevisionOutOfRange / HistoryUnavailable when that revision cannot be
    rebuilt, and ActionForbidden when the user may not edit.
    """
    if type(revision) is not int:
        raise ValidationError({"revision": ["The revision must be an integer."]})
    return document_rewrite(
        document_id=document_id,
        user=user,
        rewrite=lambda _revision, _text: history.content_at(
            document_id=document_id, revision=revision
        ),
        source=EditSource.RESTORE,
        client_op_id=f"restore-{uuid.uuid4()}",
    )


def operations_prune(*, document_id: int, keep: int) -> int:
    """Deletes the document's operations older than its newest `keep`, returns how many.

    Only operations at or below the newest snapshot at or below that cut are deleted, so
    every revision from that snapshot on can still be rebuilt (history.content_at). Base
    revisions older than what is kept get `revision_too_old`.
    """
    if type(keep) is not int or keep < 0:
        raise ValueError("keep must be an integer >= 0")
    with transaction.atomic():
        # Lock the row: the commit path must not read the log while it shrinks.
        take_sqlite_write_lock(Document, document_id)
        row = (
            Document.objects.select_for_update()
            .filter(pk=document_id)
            .values_list("revision", "content_revision")
            .first()
        )
        if row is None:
            return 0
        current, checkpoint_revision = row
        # The operations after the stored checkpoint rebuild the current text: never cut them.
        cut = min(current - keep, checkpoint_revision)
        if cut <= 0:
            return 0
        floor = (
            Snapshot.objects.filter(document_id=document_id, revision__lte=cut)
            .order_by("-revision")
            .values_list("revision", flat=True)
            .first()
        )
        if not floor:
            return 0
        deleted, _ = Operation.objects.filter(document_id=document_id, revision__lte=floor).delete()
    return deleted
