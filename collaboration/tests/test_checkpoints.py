"""Large documents keep a lagging checkpoint; every reader still gets the latest text.

With CONTENT_CHECKPOINT_CHARS tiny, a short test document behaves like a large one: most
commits leave the stored text alone (collaboration/checkpoints.py). Whatever reads the
document (model, API, pages, history, search, the socket's join, Git export, pruning)
must see exactly the latest committed text.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory
from collaboration import checkpoints, history, ot, search, selectors, services
from collaboration.models import Document, Operation, Snapshot
from collaboration.services.checkpoints import checkpoints_write_lagging

START = "Attention is all you need é 😀.\n"


def _random_ops(rng: random.Random, text: str, word: str | None = None) -> list:
    n = len(text)
    if word is None and n > 10 and rng.random() < 0.3:
        at = rng.randrange(n - 3)
        return ot.normalize([at, -3, n - at - 3])
    at = rng.randint(0, n)
    return ot.normalize([at, word or rng.choice(["a", "bc ", "😀", "\n## h\n"]), n - at])


# --- the pure rules ---------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.integers(1, 40))
def test_rebuilding_from_a_checkpoint_equals_applying_every_operation(seed, count):
    rng = random.Random(seed)
    text = START
    rows = []
    for revision in range(1, count + 1):
        ops = _random_ops(rng, text)
        rows.append((revision, ops))
        text = ot.apply(text, ops)
    assert checkpoints.rebuild(START, 0, count, rows) == text
    # From any later checkpoint too.
    middle = count // 2
    at_middle = START
    for _rev, ops in rows[:middle]:
        at_middle = ot.apply(at_middle, ops)
    assert checkpoints.rebuild(at_middle, middle, count, rows[middle:]) == text


def test_a_gap_in_the_log_is_an_error_not_a_wrong_text():
    rows = [(1, ["a", 3]), (3, ["b", 5])]
    with pytest.raises(checkpoints.CheckpointGap):
        checkpoints.rebuild("xyz", 0, 3, rows)


def test_small_texts_are_written_on_every_commit_large_ones_now_and_then(settings):
    settings.CONTENT_CHECKPOINT_CHARS = 4096
    assert all(checkpoints.checkpoint_due(length=5_000, start=r, revision=r + 1) for r in range(50))
    due = [r for r in range(1000) if checkpoints.checkpoint_due(length=900_000, start=r,
                                                               revision=r + 1)]  # fmt: skip
    assert len(due) == 1000 // (900_000 // 4096)  # once per interval, at the same revisions
    # A batch crossing an interval's end writes.
    assert checkpoints.checkpoint_due(length=900_000, start=200, revision=230)


# --- every reader, with a lagging checkpoint --------------------------------------------


@pytest.fixture
def lagging(settings):
    settings.CONTENT_CHECKPOINT_CHARS = 4
    settings.SNAPSHOT_EVERY = 7
    settings.SNAPSHOT_CHARS = 4


def _new_document() -> Document:
    """Made by the service, as users make them: revision 0 with its snapshot."""
    return services.document_create(owner=UserFactory(), title="Big one", content=START * 3)


def _edit_many(document: Document, count: int, seed: int = 3, last_word: str | None = None):
    """Commits `count` edits through the edit service; returns the texts by revision."""
    rng = random.Random(seed)
    texts = {document.revision: document.content}
    text = document.content
    for n in range(count):
        word = last_word if n == count - 1 else None
        ops = _random_ops(rng, text, word)
        revision = document.revision + n
        result = services.document_apply_operation(
            document_id=document.pk,
            user=document.owner,
            base_revision=revision,
            client_op_id=f"c-{seed}-{n}",
            ops=ops,
        )
        assert result.committed, result.error
        text = ot.apply(text, ops)
        texts[result.revision] = text
    return texts


@pytest.mark.django_db
def test_the_stored_text_lags_but_every_read_is_the_latest_text(lagging, client):
    document = _new_document()
    texts = _edit_many(document, 40)
    latest_revision = max(texts)
    latest = texts[latest_revision]
    stored = Document.objects.get(pk=document.pk)
    assert stored.content_revision < stored.revision == latest_revision
    assert stored.content_checkpoint != latest  # the row was not rewritten this time
    assert stored.content == latest
    assert selectors.document_text(document_id=document.pk) == (latest_revision, latest)
    # The API and the page.
    body = client.get(f"/api/documents/{document.pk}/").json()
    assert (body["revision"], body["content"]) == (latest_revision, latest)
    page = client.get(document.get_absolute_url())
    assert page.status_code == 200
    # History: every revision, from snapshots spaced by the length rule.
    for revision, text in texts.items():
        assert history.content_at(document_id=document.pk, revision=revision) == text
    assert Snapshot.objects.filter(document=document).count() >= 2
    # A join gets the latest text and can follow from any revision.
    joined = selectors.document_text_since(document_id=document.pk, since=latest_revision - 3)
    assert joined["content"] == latest and len(joined["ops_since"]) == 3


@pytest.mark.django_db
def test_search_finds_words_only_the_newest_operations_wrote(lagging):
    document = _new_document()
    _edit_many(document, 12, last_word=" zygomorphic ")
    stored = Document.objects.get(pk=document.pk)
    assert "zygomorphic" not in stored.content_checkpoint  # only in the log so far
    found = search.document_search(user=document.owner, query="zygomorphic")
    # On PostgreSQL through the refreshed vector, on SQLite through LIKE: both read the
    # stored column, which the search brought up to date first.
    assert [d.pk for d in found] == [document.pk]
    # The search wrote the checkpoint its database query needed.
    stored.refresh_from_db()
    assert stored.content_revision == stored.revision


@pytest.mark.django_db
def test_writing_lagging_checkpoints_changes_no_text_and_is_idempotent(lagging):
    document = _new_document()
    texts = _edit_many(document, 9)
    assert checkpoints_write_lagging() == 1
    assert checkpoints_write_lagging() == 0
    stored = Document.objects.get(pk=document.pk)
    assert (stored.content_revision, stored.content_checkpoint) == (
        max(texts),
        texts[max(texts)],
    )


@pytest.mark.django_db
def test_pruning_keeps_the_operations_the_stored_text_needs(lagging):
    document = _new_document()
    texts = _edit_many(document, 30)
    stored = Document.objects.get(pk=document.pk)
    assert stored.content_revision < stored.revision
    services.operations_prune(document_id=document.pk, keep=0)
    kept = set(Operation.objects.filter(document=document).values_list("revision", flat=True))
    assert set(range(stored.content_revision + 1, stored.revision + 1)) <= kept
    assert Document.objects.get(pk=document.pk).content == texts[max(texts)]


@pytest.mark.django_db
def test_a_restore_and_a_rewrite_start_from_the_latest_text(lagging):
    document = _new_document()
    texts = _edit_many(document, 15)
    result = services.document_restore(document_id=document.pk, user=document.owner, revision=2)
    assert result.committed
    assert Document.objects.get(pk=document.pk).content == texts[2]
