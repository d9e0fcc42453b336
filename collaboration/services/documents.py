"""Creating, changing and deleting documents, and their members.

Every change to who may read or edit a document (members, visibility, edit policy,
deletion) bumps the document's access version in the same transaction and announces it
after commit, so open sockets lose (or gain) the right at once, and the commit path
refuses an edit whose right was decided before the change.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.text import slugify

from .. import ot, revisions
from ..locking import take_sqlite_write_lock
from ..models import Document, DocumentMember, EditPolicy, MemberRole, Snapshot, Visibility
from ..permissions import can_manage_document, is_signed_in
from ..realtime import publish
from .errors import ActionForbidden
from .validation import (
    check_size,
    clean_choice,
    clean_tag_slugs,
    clean_title,
    contains_nul,
    tags_from_slugs,
    user_by_username,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from accounts.models import User

SLUG_MAX_CHARS = 220


def _base_slug(title: str) -> str:
    # Room for "doc-", a random "-xxxxxx" and a "-NNNNNNN" counter within the column.
    base = slugify(title)[: SLUG_MAX_CHARS - 20].strip("-") or "document"
    # An all-digit slug would read as a document id in /api/documents/{id}/.
    return f"doc-{base}" if base.isdigit() else base


def _unique_slug(base: str) -> str:
    taken = set(
        Document.objects.filter(slug__regex=rf"^{re.escape(base)}(-[0-9]+)?$").values_list(
            "slug", flat=True
        )
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def document_access_changed(*, document_id: int) -> None:
    """Bumps the document's access version and announces it after commit.

    Call inside the transaction that changes access. The UPDATE takes the document's row
    lock, so it is ordered with the commits of edits: every edit committed after it was
    authorised under the new rules.
    """
    Document.objects.filter(pk=document_id).update(access_version=F("access_version") + 1)
    publish.on_commit(publish.access_changed, document_id=document_id)
    # Readers of a shared branch are the original's readers: they change together.
    branch_ids = list(
        Document.objects.filter(branch_of_id=document_id, branch_shared=True).values_list(
            "pk", flat=True
        )
    )
    if branch_ids:
        Document.objects.filter(pk__in=branch_ids).update(access_version=F("access_version") + 1)
        for branch_id in branch_ids:
            publish.on_commit(publish.access_changed, document_id=branch_id)


def document_create(
    *,
    owner: User,
    title: str,
    content: str = "",
    tags: Iterable[str] = (),
    visibility: str = Visibility.PUBLIC,
    edit_policy: str = EditPolicy.OPEN,
) -> Document:
    """A new document at revision 0, with a snapshot of its initial text.

    The slug comes from the title, with "-2", "-3", ... added when it is taken.
    """
    if not is_signed_in(owner):
        raise ActionForbidden("Sign in to create documents.")
    title = clean_title(title)
    if not isinstance(content, str):
        raise ValidationError({"content": ["Content must be text."]})
    try:
        ot.validate([content] if content else [])
    except ot.InvalidOperation as exc:
        raise ValidationError({"content": [str(exc).replace("component 0", "content")]}) from None
    if contains_nul(content):
        raise ValidationError({"content": ["NUL characters are not allowed."]})
    check_size(content)
    visibility = clean_choice(visibility, Visibility, "visibility")
    edit_policy = clean_choice(edit_policy, EditPolicy, "edit_policy")
    tag_slugs = clean_tag_slugs(tags)
    base = _base_slug(title)
    for attempt in range(5):
        # After two lost races for the same slug, stop counting and add a random suffix.
        slug = _unique_slug(base if attempt < 2 else f"{base}-{uuid.uuid4().hex[:6]}")
        try:
            with transaction.atomic():
                # The insert comes first: on SQLite it takes the write lock before any read.
                document = Document.objects.create(
                    title=title,
                    slug=slug,
                    content=content,
                    revision=0,
                    owner=owner,
                    visibility=visibility,
                    edit_policy=edit_policy,
                )
                document.tags.set(tags_from_slugs(tag_slugs))
                Snapshot.objects.create(document=document, revision=0, content=content)
                revisions.document_created(document.pk)
            return document
        except IntegrityError:
            # Another document took the same slug between our check and our insert;
            # anything else is a real error.
            if not Document.objects.filter(slug=slug).exists():
                raise
    raise ValidationError({"title": ["Could not choose a unique slug; try another title."]})


def document_branch_create(
    *, document: Document, owner: User, title: str, content: str, shared: bool = False
) -> Document:
    """A branch of `document` holding `content` (the original's text at some revision),
    owned by `owner`, restricted to its owner and members until shared for review.

    Who may branch is the caller's rule (contributions.proposals); the branch's access
    rules live in collaboration.permissions.
    """
    branch = document_create(
        owner=owner,
        title=title,
        content=content,
        visibility=Visibility.RESTRICTED,
        edit_policy=EditPolicy.MEMBERS,
    )
    Document.objects.filter(pk=branch.pk).update(branch_of=document, branch_shared=shared)
    branch.branch_of, branch.branch_shared = document, shared
    return branch


def document_branch_share(*, branch: Document, shared: bool) -> None:
    """Opens a branch to the original's readers (or closes it to them again), at once on
    open sockets too. Call inside the transaction that changes the proposal."""
    if branch.branch_of_id is None:
        raise ValueError("not a branch")
    if branch.branch_shared != shared:
        Document.objects.filter(pk=branch.pk).update(branch_shared=shared)
        branch.branch_shared = shared
        document_access_changed(document_id=branch.pk)


def document_update_metadata(
    *,
    document: Document,
    user: User,
    title: str | None = None,
    tags: Iterable[str] | None = None,
    visibility: str | None = None,
    edit_policy: str | None = None,
) -> Document:
    """Changes title, tags, visibility or edit policy (owner or moderator).

    The slug stays as it is, so links keep working after a rename. The text never
    changes here: that goes through operations. A new visibility or edit policy takes
    effect on open sockets at once.
    """
    if not can_manage_document(user, document):
        raise ActionForbidden("Only the document's owner or a moderator may change it.")
    if document.branch_of_id is not None and (visibility is not None or edit_policy is not None):
        raise ValidationError(
            {"visibility": ["A proposal's branch is read and edited as its proposal allows."]}
        )
    fields: list[str] = []
    tag_slugs = None if tags is None else clean_tag_slugs(tags)
    access_before = (document.visibility, document.edit_policy)
    if title is not None:
        document.title = clean_title(title)
        fields.append("title")
    if visibility is not None:
        document.visibility = clean_choice(visibility, Visibility, "visibility")
        fields.append("visibility")
    if edit_policy is not None:
        document.edit_policy = clean_choice(edit_policy, EditPolicy, "edit_policy")
        fields.append("edit_policy")
    with transaction.atomic():
        if fields:
            document.save(update_fields=[*fields, "updated_at"])
        if (document.visibility, document.edit_policy) != access_before:
            document_access_changed(document_id=document.pk)
        if tag_slugs is not None:
            document.tags.set(tags_from_slugs(tag_slugs))
    return document


def document_delete(*, document: Document, user: User) -> None:
    """Deletes the document with its log, snapshots, sessions and chat (owner or moderator).

    Its open sockets are told and closed. The row is locked first: edits being committed
    meanwhile wait for the deletion (and then find the document gone) instead of adding
    operations the cascade did not see.
    """
    if not can_manage_document(user, document):
        raise ActionForbidden("Only the document's owner or a moderator may delete it.")
    if document.branch_of_id is not None:
        raise ActionForbidden("This is a proposal's branch: close the proposal instead.")
    document_id = document.pk
    with transaction.atomic():
        take_sqlite_write_lock(Document, document_id)
        if Document.objects.select_for_update().filter(pk=document_id).exists():
            document.delete()
            publish.on_commit(publish.access_changed, document_id=document_id)


def document_member_set(
    *, document: Document, username: str, role: str, by: User
) -> DocumentMember:
    """Adds `username` as editor or viewer, or changes their role (owner or moderator)."""
    if not can_manage_document(by, document):
        raise ActionForbidden("Only the document's owner or a moderator may change its members.")
    role = clean_choice(role, MemberRole, "role")
    member_user = user_by_username(username)
    if member_user.pk == document.owner_id:
        raise ValidationError({"username": ["The owner is not listed as a member."]})
    with transaction.atomic():
        member, _created = DocumentMember.objects.update_or_create(
            document=document, user=member_user, defaults={"role": role}
        )
        document_access_changed(document_id=document.pk)
    return member


def document_member_remove(*, document: Document, username: str, by: User) -> bool:
    """Removes a member; False when `username` was not one (owner or moderator).

    The removed person's open sockets lose the rights the membership gave at once.
    """
    if not can_manage_document(by, document):
        raise ActionForbidden("Only the document's owner or a moderator may change its members.")
    with transaction.atomic():
        deleted, _ = DocumentMember.objects.filter(
            document=document, user__username__iexact=str(username).strip()
        ).delete()
        if deleted:
            document_access_changed(document_id=document.pk)
    return deleted > 0
