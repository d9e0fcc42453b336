"""Who sees which posts: the one place the hidden/deleted rules live.

- deleted posts: moderators only;
- hidden posts (moderator, or enough spam flags): their author and moderators;
- everything else: whoever may read what the post belongs to (its document for comments
  and document-linked questions).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from collaboration.permissions import is_moderator, is_signed_in


def visible_posts(queryset: QuerySet, user) -> QuerySet:
    """Narrows a queryset of Comment, Question or Answer to what `user` may see."""
    if is_moderator(user):
        return queryset
    queryset = queryset.filter(deleted_at__isnull=True)
    if is_signed_in(user):
        return queryset.filter(Q(is_hidden=False) | Q(author=user))
    return queryset.filter(is_hidden=False)


def can_see_post(user, post) -> bool:
    if is_moderator(user):
        return True
    if post.deleted_at is not None:
        return False
    return not post.is_hidden or (is_signed_in(user) and post.author_id == user.pk)
