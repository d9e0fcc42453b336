"""Read-side queries for documents and tags, filtered by who may read them.

The read-access rule lives in `document_visible_queryset` and nowhere else, so pages, the
API and the live editor all agree on it:

- public documents: anyone, signed in or not;
- private documents: the owner;
- restricted documents: the owner and the users listed in DocumentMember;
- moderators and admins (`user.has_role("moderator")`): every document.

Anything a user may not read does not exist for them (404, never 403).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Max, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from ..models import Document, Operation, Tag, Visibility
from ..permissions import listed_documents, readable_documents

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

POPULAR_WINDOW = timedelta(days=30)


def _is_signed_in(user: User | AnonymousUser | None) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def document_visible_queryset(user: User | AnonymousUser | None) -> QuerySet[Document]:
    """Every document `user` may read (the rule itself lives in collaboration.permissions)."""
    return readable_documents(user, Document.objects.all())


def document_listed_queryset(user: User | AnonymousUser | None) -> QuerySet[Document]:
    """The readable documents lists, tags, search and recommendations show: no branches."""
    return listed_documents(document_visible_queryset(user))


def document_get_for_user(*, user: User | AnonymousUser | None, slug: str) -> Document:
    """The document with this slug if `user` may read it; raises Http404 otherwise.

    Http404 (rather than PermissionDenied) is deliberate: a document the user may not
    read must look exactly like one that does not exist. Django and DRF both turn it
    into a 404 response.
    """
    return get_object_or_404(
        document_visible_queryset(user).select_related("owner", "last_edited_by"),
        slug=slug,
    )


def document_list_recent(*, user: User | AnonymousUser | None, limit: int = 10) -> list[Document]:
    """The most recently changed documents `user` may read, newest first."""
    return list(
        document_listed_queryset(user)
        .select_related("owner", "last_edited_by")
        .prefetch_related("tags")
        .order_by("-updated_at", "-pk")[:limit]
    )


def document_list_popular(*, user: User | AnonymousUser | None, limit: int = 5) -> list[Document]:
    """Readable documents with the most edits in the last 30 days, then the most edits ever."""
    since = timezone.now() - POPULAR_WINDOW
    return list(
        document_listed_queryset(user)
        .annotate(
            recent_edits=Count("operations", filter=Q(operations__created_at__gte=since)),
            edit_count=Count("operations"),
        )
        .select_related("owner")
        .order_by("-recent_edits", "-edit_count", "-updated_at", "-pk")[:limit]
    )


def document_list_for_tag(*, user: User | AnonymousUser | None, tag: Tag) -> QuerySet[Document]:
    return (
        document_listed_queryset(user)
        .filter(tags=tag)
        .select_related("owner", "last_edited_by")
        .prefetch_related("tags")
        .order_by("-updated_at", "-pk")
    )


def tag_get(*, slug: str) -> Tag:
    """The tag with this slug; raises Http404 when there is none."""
    return get_object_or_404(Tag, slug=slug)


def tag_list_with_counts(*, user: User | AnonymousUser | None) -> QuerySet[Tag]:
    """All tags, each annotated with `document_count`: how many of its documents `user` can read."""
    visible_ids = document_listed_queryset(user).values("pk")
    return Tag.objects.annotate(
        document_count=Count("documents", filter=Q(documents__in=visible_ids), distinct=True)
    ).order_by("-document_count", "slug")


def tag_list_by_slugs(*, slugs: list[str]) -> list[Tag]:
    """The tags with these slugs, in the order given; unknown slugs are skipped."""
    by_slug = {tag.slug: tag for tag in Tag.objects.filter(slug__in=slugs)}
    return [by_slug[slug] for slug in slugs if slug in by_slug]


# --- Contributions, for profile pages ------------------------------------------------


def documents_listable_on_profile(
    *, viewer: User | AnonymousUser | None, person: User
) -> QuerySet[Document]:
    # On someone else's profile only public documents are listed, whatever the viewer
    # could otherwise open: a profile should not advertise private or restricted work.
    documents = listed_documents(Document.objects.all())
    if _is_signed_in(viewer) and viewer.pk == person.pk:
        return documents
    return documents.filter(visibility=Visibility.PUBLIC)


def document_list_owned_by(
    *, person: User, viewer: User | AnonymousUser | None, limit: int = 20
) -> list[Document]:
    return list(
        documents_listable_on_profile(viewer=viewer, person=person)
        .filter(owner=person)
        .prefetch_related("tags")
        .order_by("-updated_at", "-pk")[:limit]
    )


def document_count_owned_by(*, person: User, viewer: User | AnonymousUser | None) -> int:
    return documents_listable_on_profile(viewer=viewer, person=person).filter(owner=person).count()


def operation_count_by(*, person: User) -> int:
    """How many committed edits (Operation rows) this person has made, on any document."""
    return Operation.objects.filter(user=person).count()


def document_list_recently_edited_by(
    *, person: User, viewer: User | AnonymousUser | None, limit: int = 10
) -> list[Document]:
    """Documents this person edited, the most recently edited first, with `last_edit_at`."""
    return list(
        documents_listable_on_profile(viewer=viewer, person=person)
        .filter(operations__user=person)
        .annotate(last_edit_at=Max("operations__created_at"), edits=Count("operations"))
        .order_by("-last_edit_at", "-pk")[:limit]
    )
