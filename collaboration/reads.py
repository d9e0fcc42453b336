"""Recording that a signed-in user read a document (for recommendations).

Page views must stay cheap, so a user/document pair is written at most once per
`READ_RECORD_INTERVAL`: a cache key answers repeat views without touching the database,
and the database update itself only matches rows older than the interval, so even
without the cache (another process, a cleared cache) there is no second write.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db.models import F
from django.utils import timezone

from .models import Document, DocumentRead
from .permissions import is_signed_in

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

READ_RECORD_INTERVAL = timedelta(minutes=10)


def _cache_key(user_id: int, document_id: int) -> str:
    return f"collaboration:read:{user_id}:{document_id}"


def document_read_record(*, user: User | AnonymousUser | None, document: Document) -> None:
    """Count one read of `document` by `user`.

    Anonymous and inactive users are not recorded. The first read creates the row
    (count 1); a later read bumps `count` and `read_at`, unless the last recorded read
    was less than READ_RECORD_INTERVAL ago, in which case nothing is written.
    The caller has already checked that the user may read the document.
    """
    if not is_signed_in(user) or document.pk is None:
        return
    key = _cache_key(user.pk, document.pk)
    if cache.get(key):
        return
    now = timezone.now()
    # An existing row, last recorded long enough ago: one UPDATE.
    updated = DocumentRead.objects.filter(
        user_id=user.pk, document_id=document.pk, read_at__lt=now - READ_RECORD_INTERVAL
    ).update(read_at=now, count=F("count") + 1)
    if not updated:
        # No row yet, or a recent one. ON CONFLICT DO NOTHING (INSERT OR IGNORE on SQLite)
        # never raises, so it is safe inside the request's transaction and against a
        # concurrent first view of the same page; a recent row is left as it is.
        DocumentRead.objects.bulk_create(
            [DocumentRead(user_id=user.pk, document_id=document.pk, read_at=now, count=1)],
            ignore_conflicts=True,
        )
    cache.set(key, True, timeout=int(READ_RECORD_INTERVAL.total_seconds()))
