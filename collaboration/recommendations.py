"""Documents to recommend to a signed-in user, each with a short reason.

A document's score adds up its signals:

- tag overlap with the user's interests: each tag of the candidate counts for
  - EXPERTISE_WEIGHT when it is one of the user's expertise areas ("Because you know X");
  - READ_WEIGHT per document the user read with that tag, fading with the age of the read
    (half-life RECENCY_HALF_LIFE) and growing a little with re-reads ("Because you read X");
  - EDIT_WEIGHT per document the user edited with that tag (Operation rows), fading the
    same way ("Because you edited X");
- co-reads: CO_READ_WEIGHT for documents read by people who read what the user read,
  more with more such readers ("Readers of X also read this").
- meaning: SIMILAR_WEIGHT times the cosine similarity of the document's embedding to
  that of a document the user read recently, fading with the age of the read ("Similar
  to X"; collaboration.semantic; nothing until the documents are embedded).
- votes: not yet; see `_vote_signals`.

The reason shown is the signal that contributed most. Documents the user owns, or read
or edited within EXCLUDE_RECENT, are left out. When the signals give fewer than `limit`
documents, the rest is filled with documents popular this week ("Popular this week");
for a user with no signal at all (cold start), then with recently updated documents
("Recently updated"), so that a quiet site still recommends something.

Every candidate comes through `selectors.document_listed_queryset(user)`, the one
read-access rule, and is further limited to public documents and restricted documents
the user is a member of: a moderator's power to read everything is not a reason to
advertise private work. The documents named in reasons come through the same rule.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, IntegerField, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Document, DocumentMember, DocumentRead, Operation, Tag, Visibility
from .permissions import is_signed_in
from .selectors import document_listed_queryset
from .semantic.related import documents_like

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

EXPERTISE_WEIGHT = 3.0
READ_WEIGHT = 2.0
EDIT_WEIGHT = 2.0
CO_READ_WEIGHT = 1.5
SIMILAR_WEIGHT = 2.0  # times the cosine similarity (at least RELATED_MIN_SIMILARITY)
POPULAR_WEIGHT = 0.5  # at most; the most popular document of the week gets all of it
RECENT_WEIGHT = 0.01

RECENCY_HALF_LIFE = timedelta(days=30)
EXCLUDE_RECENT = timedelta(days=30)  # "read in the last N days"
POPULAR_WINDOW = timedelta(days=7)

MAX_SEEDS = 50  # the user's most recent reads and edits that feed the profile
MAX_CO_READS = 500  # (candidate, seed) pairs read from the co-read query
MAX_SIMILAR_SEEDS = 5  # the most recent reads whose look-alikes are recommended
MAX_CANDIDATES = 300  # documents scored in Python


@dataclass(frozen=True)
class Recommendation:
    document: Document
    score: float
    reason: str


# What one tag or document contributes to a score: {reason: weight}.
Contributions = dict[str, float]


def _decay(when: datetime, now: datetime) -> float:
    age = max((now - when).total_seconds(), 0.0)
    return 0.5 ** (age / RECENCY_HALF_LIFE.total_seconds())


def _recommendable(user: User) -> QuerySet[Document]:
    """What may be recommended to `user`: readable, not theirs, not private."""
    membership = DocumentMember.objects.filter(document=OuterRef("pk"), user_id=user.pk)
    return (
        document_listed_queryset(user)
        .exclude(owner_id=user.pk)
        .filter(
            Q(visibility=Visibility.PUBLIC)
            | (Q(visibility=Visibility.RESTRICTED) & Q(Exists(membership)))
        )
    )


def _excluded(user: User, now: datetime) -> Q:
    """Documents the user read or edited recently (they know them already)."""
    since = now - EXCLUDE_RECENT
    recently_read = DocumentRead.objects.filter(
        document=OuterRef("pk"), user_id=user.pk, read_at__gte=since
    )
    recently_edited = Operation.objects.filter(
        document=OuterRef("pk"), user_id=user.pk, created_at__gte=since
    )
    return Q(Exists(recently_read)) | Q(Exists(recently_edited))


# --- signals: tag weights --------------------------------------------------------------


def _expertise_signals(user: User) -> dict[int, Contributions]:
    slugs = [slug for slug in (user.expertise_areas or []) if isinstance(slug, str)]
    if not slugs:
        return {}
    return {
        tag.pk: {f"Because you know {tag.name}": EXPERTISE_WEIGHT}
        for tag in Tag.objects.filter(slug__in=slugs)
    }


def _read_seeds(user: User) -> list[DocumentRead]:
    """The user's most recent reads of documents they may still read, with their tags."""
    return list(
        DocumentRead.objects.filter(user_id=user.pk, document__in=document_listed_queryset(user))
        .select_related("document")
        .prefetch_related("document__tags")
        .order_by("-read_at", "-pk")[:MAX_SEEDS]
    )


def _read_signals(reads: list[DocumentRead], now: datetime) -> dict[int, Contributions]:
    tags: dict[int, Contributions] = defaultdict(dict)
    for read in reads:
        weight = READ_WEIGHT * _decay(read.read_at, now) * min(1 + math.log(read.count) / 2, 2)
        reason = f"Because you read {read.document.title}"
        for tag in read.document.tags.all():
            tags[tag.pk][reason] = tags[tag.pk].get(reason, 0.0) + weight
    return tags


def _edit_signals(user: User, now: datetime) -> dict[int, Contributions]:
    edited = (
        document_listed_queryset(user)
        .filter(operations__user_id=user.pk)
        .annotate(last_edit_at=Max("operations__created_at"))
        .prefetch_related("tags")
        .order_by("-last_edit_at", "-pk")[:MAX_SEEDS]
    )
    tags: dict[int, Contributions] = defaultdict(dict)
    for document in edited:
        weight = EDIT_WEIGHT * _decay(document.last_edit_at, now)
        reason = f"Because you edited {document.title}"
        for tag in document.tags.all():
            tags[tag.pk][reason] = tags[tag.pk].get(reason, 0.0) + weight
    return tags


def _vote_signals(user: User, now: datetime) -> dict[int, Contributions]:
    """HOOK for votes (a later issue): tag weights from what the user voted on.

    Return {tag id: {"Because you liked <title>": weight}} like `_edit_signals`, e.g.
    VOTE_WEIGHT * _decay(vote.created_at, now) for each up-vote, and it is merged in by
    `recommend_documents` with no other change. Until votes exist there are none.
    """
    return {}


def _add(into: Contributions, contributions: Contributions) -> None:
    for reason, weight in contributions.items():
        into[reason] = into.get(reason, 0.0) + weight


def _merge(*profiles: dict[int, Contributions]) -> dict[int, Contributions]:
    merged: dict[int, Contributions] = defaultdict(dict)
    for profile in profiles:
        for tag_id, contributions in profile.items():
            _add(merged[tag_id], contributions)
    return dict(merged)


# --- signals: co-reads -----------------------------------------------------------------


def _co_read_signals(
    user: User, reads: list[DocumentRead], now: datetime
) -> dict[int, Contributions]:
    """{document id: {"Readers of <seed> also read this": weight}} for documents read by
    other people who also read one of the user's seed documents."""
    seeds = {read.document_id: read for read in reads}
    if not seeds:
        return {}
    pairs = (
        DocumentRead.objects.filter(user__document_reads__document_id__in=list(seeds))
        .exclude(user_id=user.pk)
        .exclude(document_id__in=list(seeds))
        .values("document_id", "user__document_reads__document_id")
        .annotate(readers=Count("user_id", distinct=True))
        .order_by("-readers", "document_id")[:MAX_CO_READS]
    )
    documents: dict[int, Contributions] = defaultdict(dict)
    for pair in pairs:
        seed = seeds[pair["user__document_reads__document_id"]]
        weight = CO_READ_WEIGHT * _decay(seed.read_at, now) * math.log2(1 + pair["readers"])
        reason = f"Readers of {seed.document.title} also read this"
        contributions = documents[pair["document_id"]]
        contributions[reason] = contributions.get(reason, 0.0) + weight
    return documents


def _similar_signals(
    reads: list[DocumentRead], now: datetime, candidates: QuerySet[Document]
) -> dict[int, Contributions]:
    """{document id: {"Similar to <seed>": weight}} for the candidates that read most like
    one of the user's most recent reads."""
    seeds = {read.document_id: read for read in reads[:MAX_SIMILAR_SEEDS]}
    documents: dict[int, Contributions] = defaultdict(dict)
    pairs = documents_like(seeds=list(seeds), candidates=candidates)
    for seed_id, document_id, similarity in pairs:
        seed = seeds[seed_id]
        reason = f"Similar to {seed.document.title}"
        weight = SIMILAR_WEIGHT * similarity * _decay(seed.read_at, now)
        documents[document_id][reason] = documents[document_id].get(reason, 0.0) + weight
    return documents


# --- ranking ---------------------------------------------------------------------------


def _best(contributions: Contributions) -> tuple[float, str]:
    """The total score and the reason that contributed most (ties: alphabetical)."""
    total = sum(contributions.values())
    reason = min(contributions, key=lambda r: (-contributions[r], r))
    return total, reason


def _count_subquery(rows: QuerySet) -> Coalesce:
    """How many of `rows` belong to the outer document (0 when none)."""
    counts = (
        rows.filter(document=OuterRef("pk"))
        .order_by()
        .values("document")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def _fill(
    *, base: QuerySet[Document], taken: set[int], needed: int, now: datetime
) -> list[Recommendation]:
    """Too few signals: popular this week; at a cold start (none), then recently updated."""
    if needed <= 0:
        return []
    since = now - POPULAR_WINDOW
    # Subqueries, not two joined Counts: joining reads and operations at once would
    # multiply the rows of every document.
    week_readers = _count_subquery(DocumentRead.objects.filter(read_at__gte=since))
    week_edits = _count_subquery(Operation.objects.filter(created_at__gte=since))
    popular = list(
        base.exclude(pk__in=taken)
        .annotate(week_readers=week_readers, week_edits=week_edits)
        .filter(Q(week_readers__gt=0) | Q(week_edits__gt=0))
        .prefetch_related("tags")
        .order_by("-week_readers", "-week_edits", "-updated_at", "-pk")[:needed]
    )
    filled: list[Recommendation] = []
    if popular:
        top = max(d.week_readers + d.week_edits for d in popular)
        filled = [
            Recommendation(
                document=d,
                score=round(POPULAR_WEIGHT * (d.week_readers + d.week_edits) / top, 3),
                reason="Popular this week",
            )
            for d in popular
        ]
    needed -= len(filled)
    if needed > 0 and not taken:
        taken = taken | {r.document.pk for r in filled}
        recent = (
            base.exclude(pk__in=taken)
            .prefetch_related("tags")
            .order_by("-updated_at", "-pk")[:needed]
        )
        filled += [Recommendation(d, RECENT_WEIGHT, "Recently updated") for d in recent]
    return filled


def recommend_documents(
    *, user: User | AnonymousUser | None, limit: int = 10
) -> list[Recommendation]:
    """Up to `limit` documents for `user`, best first; [] for anonymous users."""
    if not is_signed_in(user) or limit <= 0:
        return []
    now = timezone.now()
    reads = _read_seeds(user)
    tag_profile = _merge(
        _expertise_signals(user),
        _read_signals(reads, now),
        _edit_signals(user, now),
        _vote_signals(user, now),
    )
    co_reads = _co_read_signals(user, reads, now)

    base = _recommendable(user).exclude(_excluded(user, now))
    similar = _similar_signals(reads, now, base)
    recommendations: list[Recommendation] = []
    if tag_profile or co_reads or similar:
        tagged = Document.tags.through.objects.filter(tag_id__in=list(tag_profile)).values(
            "document_id"
        )
        candidates = (
            base.filter(Q(pk__in=tagged) | Q(pk__in=list(co_reads)) | Q(pk__in=list(similar)))
            .select_related("owner")
            .prefetch_related("tags")
            .order_by("-updated_at", "-pk")[:MAX_CANDIDATES]
        )
        for document in candidates:
            contributions: Contributions = {}
            for tag in document.tags.all():
                _add(contributions, tag_profile.get(tag.pk, {}))
            _add(contributions, co_reads.get(document.pk, {}))
            _add(contributions, similar.get(document.pk, {}))
            if not contributions:
                continue
            score, reason = _best(contributions)
            recommendations.append(Recommendation(document, round(score, 3), reason))
        recommendations.sort(key=lambda r: (-r.score, -r.document.updated_at.timestamp()))
        recommendations = recommendations[:limit]

    taken = {r.document.pk for r in recommendations}
    filled = _fill(base=base, taken=taken, needed=limit - len(recommendations), now=now)
    return sorted(
        recommendations + filled,
        key=lambda r: (-r.score, -r.document.updated_at.timestamp(), -r.document.pk),
    )
