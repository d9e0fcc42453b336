"""Who may read, edit and manage a document: the one place these rules live.

Read (visibility):
- public: everyone, signed in or not;
- private: the owner only;
- restricted: the owner and the users listed in DocumentMember (editor or viewer).

Edit (edit_policy), only ever for signed-in, active users who may read:
- open: any such reader edits live;
- members: the owner and members with the role "editor".

Manage (metadata, members, delete): the owner.

Branches (documents made from another one for a proposed change, `branch_of`): read by
their owner and members, and once shared for review (`branch_shared`) by everyone who
may read the document they came from; edited by their owner and editor members only,
whatever the original's policy.

Rooms (live chat of study groups and AMAs): public rooms are read by every signed-in
user, the others by their members; archived rooms are read-only.

Moderators (`user.has_role("moderator")`, which includes active superusers) may do
everything on every document. Anonymous and inactive users never edit or manage.

Everything here takes `user` as a User, an AnonymousUser or None. The functions cost at
most one query (the membership row), and none for public documents, owners and
moderators. Use `document_access` when several answers are needed at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet
from rest_framework import permissions

from accounts.roles import Role

from .models import Document, DocumentMember, EditPolicy, MemberRole, Room, Visibility

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

    AnyUser = User | AnonymousUser | None

__all__ = [
    "CanEditDocument",
    "CanManageDocument",
    "CanReadDocument",
    "DocumentAccess",
    "can_edit_document",
    "can_manage_document",
    "can_post_in_room",
    "can_read_document",
    "can_read_room",
    "document_access",
    "is_moderator",
    "is_signed_in",
    "listed_documents",
    "readable_documents",
]


def is_signed_in(user: AnyUser) -> bool:
    return user is not None and bool(user.is_authenticated) and bool(user.is_active)


def is_moderator(user: AnyUser) -> bool:
    # has_role() is False for inactive users and True for active superusers.
    return is_signed_in(user) and user.has_role(Role.MODERATOR)


def _is_owner(user: AnyUser, document: Document) -> bool:
    return is_signed_in(user) and document.owner_id == user.pk


def _member_role(user: AnyUser, document: Document) -> str | None:
    """The user's DocumentMember role on the document, or None (one query)."""
    if not is_signed_in(user) or document.pk is None:
        return None
    return (
        DocumentMember.objects.filter(document_id=document.pk, user_id=user.pk)
        .values_list("role", flat=True)
        .first()
    )


@dataclass(frozen=True)
class DocumentAccess:
    """All three answers for one user and one document, computed with at most one query."""

    can_read: bool
    can_edit: bool
    can_manage: bool
    is_owner: bool = False
    is_moderator: bool = False
    member_role: str | None = None


_NO_ACCESS = DocumentAccess(can_read=False, can_edit=False, can_manage=False)
_LOOK_UP = object()  # document_access: read the membership row when it matters


def document_access(
    user: AnyUser, document: Document, *, member_role: str | object | None = _LOOK_UP
) -> DocumentAccess:
    """What `user` may do with `document`. The rules are in the module docstring.

    `member_role` may be given when the caller already read the membership rows (several
    sockets re-checked at once); otherwise it is read when it matters.
    """
    if is_moderator(user):
        return DocumentAccess(
            can_read=True,
            can_edit=True,
            can_manage=True,
            is_owner=_is_owner(user, document),
            is_moderator=True,
        )
    if _is_owner(user, document):
        return DocumentAccess(can_read=True, can_edit=True, can_manage=True, is_owner=True)

    if document.branch_of_id is not None:
        return _branch_access(user, document, member_role)

    signed_in = is_signed_in(user)
    # Public documents need the membership row only for the "members" edit policy.
    needs_role = signed_in and (
        document.visibility == Visibility.RESTRICTED
        or (document.visibility == Visibility.PUBLIC and document.edit_policy == EditPolicy.MEMBERS)
    )
    if not needs_role:
        role = None
    elif member_role is _LOOK_UP:
        role = _member_role(user, document)
    else:
        role = member_role

    if document.visibility == Visibility.PUBLIC:
        can_read = True
    elif document.visibility == Visibility.RESTRICTED:
        can_read = role is not None
    else:  # private, or an unknown value: fail closed
        can_read = False
    if not can_read:
        return _NO_ACCESS

    if not signed_in:
        can_edit = False
    elif document.edit_policy == EditPolicy.OPEN:
        can_edit = True
    elif document.edit_policy == EditPolicy.MEMBERS:
        can_edit = role == MemberRole.EDITOR
    else:
        can_edit = False
    return DocumentAccess(can_read=True, can_edit=can_edit, can_manage=False, member_role=role)


def _branch_access(
    user: AnyUser, branch: Document, member_role: str | object | None
) -> DocumentAccess:
    """A branch's access for someone who is neither a moderator nor its owner."""
    signed_in = is_signed_in(user)
    if not signed_in:
        role = None
    elif member_role is _LOOK_UP:
        role = _member_role(user, branch)
    else:
        role = member_role
    can_read = role is not None or (
        branch.branch_shared and document_access(user, branch.branch_of).can_read
    )
    if not can_read:
        return _NO_ACCESS
    return DocumentAccess(
        can_read=True,
        can_edit=signed_in and role == MemberRole.EDITOR,
        can_manage=False,
        member_role=role,
    )


def can_read_document(user: AnyUser, document: Document) -> bool:
    if document.visibility == Visibility.PUBLIC and document.branch_of_id is None:
        return True
    return document_access(user, document).can_read


def can_edit_document(user: AnyUser, document: Document) -> bool:
    if not is_signed_in(user):
        return False
    return document_access(user, document).can_edit


def can_manage_document(user: AnyUser, document: Document) -> bool:
    return is_moderator(user) or _is_owner(user, document)


def readable_documents(
    user: AnyUser, queryset: QuerySet[Document] | None = None
) -> QuerySet[Document]:
    """Narrow `queryset` (default: every document) to those `user` may read."""
    documents = Document.objects.all() if queryset is None else queryset
    if not is_signed_in(user):
        return documents.filter(
            Q(branch_of__isnull=True, visibility=Visibility.PUBLIC)
            | Q(branch_shared=True, branch_of__visibility=Visibility.PUBLIC)
        )
    if is_moderator(user):
        return documents
    # Exists() rather than a join on members, so no duplicate rows and no DISTINCT.
    is_member = Exists(DocumentMember.objects.filter(document=OuterRef("pk"), user=user))
    is_parent_member = Exists(
        DocumentMember.objects.filter(document=OuterRef("branch_of"), user=user)
    )
    parent_readable = (
        Q(branch_of__visibility=Visibility.PUBLIC)
        | Q(branch_of__owner=user)
        | (Q(branch_of__visibility=Visibility.RESTRICTED) & is_parent_member)
    )
    return documents.filter(
        Q(branch_of__isnull=True, visibility=Visibility.PUBLIC)
        | Q(owner=user)
        | (Q(visibility=Visibility.RESTRICTED) & is_member)
        | (Q(branch_shared=True) & parent_readable)
    )


def listed_documents(queryset: QuerySet[Document]) -> QuerySet[Document]:
    """Documents proper, without proposal branches: what lists, search and
    recommendations show (a branch is reached from its proposal)."""
    return queryset.filter(branch_of__isnull=True)


def can_read_room(user: AnyUser, room: Room, *, is_member: bool) -> bool:
    if not is_signed_in(user):
        return False
    return room.is_public or is_member or is_moderator(user)


def can_post_in_room(user: AnyUser, room: Room, *, is_member: bool) -> bool:
    return room.archived_at is None and can_read_room(user, room, is_member=is_member)


# --- DRF permission classes ---------------------------------------------------------------
#
# Object permissions for views whose get_object() returns a Document. Views should look
# the document up in readable_documents(user) first, so unreadable documents are a 404
# before these run; CanReadDocument is the safety net.


class CanReadDocument(permissions.BasePermission):
    def has_object_permission(self, request, view, obj) -> bool:
        return can_read_document(request.user, obj)


class CanEditDocument(permissions.BasePermission):
    message = "You may read this document but not edit it."
    code = "forbidden"

    def has_object_permission(self, request, view, obj) -> bool:
        return can_edit_document(request.user, obj)


class CanManageDocument(permissions.BasePermission):
    """Safe methods need read access; anything else needs the owner or a moderator."""

    message = "Only the document's owner or a moderator may do this."
    code = "forbidden"

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return can_read_document(request.user, obj)
        return can_manage_document(request.user, obj)
