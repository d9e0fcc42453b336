"""Inline comments follow the text: through every committed revision from any source,
outdated once their passage is deleted, answered in the current text even while the
post-commit hook lags, and caught up from the log after a crash."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from collaboration import revisions, tasks
from collaboration import services as docs
from collaboration.models import EditSource
from collaboration.tests.conftest import registry_cleanup  # noqa: F401  (a fixture)
from collaboration.tests.live_client import join
from community.models import Comment, CommentEvent, CommentType
from community.services import comments

pytestmark = pytest.mark.django_db

TEXT = "# Attention\n\nSoftmax turns scores into weights.\nThen multiply by V.\n"
SOFTMAX = TEXT.index("Softmax")


@pytest.fixture
def owner():
    return UserFactory(username="owner")


@pytest.fixture
def document(owner):
    return docs.document_create(owner=owner, title="Attention", content=TEXT)


@pytest.fixture
def commit(django_capture_on_commit_callbacks, owner):
    """Commits an edit as the platform does: once it commits, the post-commit hook
    delivers it (the test's transaction never commits, so its callbacks run here)."""

    def commit_edit(document, ops, *, base=None, source=EditSource.API, user=None):
        document.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            result = docs.document_apply_operation(
                document_id=document.pk,
                user=user or owner,
                base_revision=document.revision if base is None else base,
                client_op_id=f"test-{uuid.uuid4().hex}",
                ops=ops,
                source=source,
            )
        assert result.committed, result.error
        document.refresh_from_db()
        return result

    return commit_edit


@pytest.fixture
def hook_down(monkeypatch):
    """The process dies between committing and delivering: no delivery happens until
    the catch-up pass (Celery beat, the registries' watchdogs)."""
    monkeypatch.setattr(revisions, "deliver_after_commit", lambda document_id, revision: None)


def comment_on(document, user, start, end, *, revision=None) -> Comment:
    return comments.comment_create(
        user=user,
        document_id=document.pk,
        content="About this passage",
        comment_type=CommentType.INLINE,
        start=start,
        end=end,
        revision=revision,
    )


def stored(comment: Comment) -> tuple[int, int, int, bool]:
    comment.refresh_from_db()
    return comment.anchor_start, comment.anchor_end, comment.anchor_revision, comment.is_outdated


def anchored_text(comment: Comment) -> str:
    start, end, revision, _outdated = stored(comment)
    comment.document.refresh_from_db()
    assert revision == comment.document.revision
    return comment.document.content[start:end]


def api_anchor(document, comment_id: int) -> dict:
    response = APIClient().get(f"/api/documents/{document.pk}/comments")
    assert response.status_code == 200, response.content
    (thread,) = [t for t in response.json()["results"] if t["id"] == comment_id]
    return thread["anchor"]


# --- following the text ------------------------------------------------------------------------


def test_anchors_follow_edits_from_every_source(
    document, owner, commit, django_capture_on_commit_callbacks
):
    thread = comment_on(document, owner, SOFTMAX, SOFTMAX + 7)
    sources = [
        EditSource.API, EditSource.SOCKET, EditSource.MERGE, EditSource.SUGGESTION,
        EditSource.SYSTEM,
    ]  # fmt: skip
    for source in sources:
        commit(document, [f"({source})\n", len(document.content)], source=source)
        assert anchored_text(thread) == "Softmax", source

    with django_capture_on_commit_callbacks(execute=True):
        restored = docs.document_restore(document_id=document.pk, user=owner, revision=0)
    assert restored.committed
    assert anchored_text(thread) == "Softmax"
    assert stored(thread) == (SOFTMAX, SOFTMAX + 7, len(sources) + 1, False)
    assert api_anchor(document, thread.pk)["text"] == "Softmax"


def test_typing_inside_a_passage_grows_it_and_at_its_edges_stays_outside(document, owner, commit):
    thread = comment_on(document, owner, SOFTMAX, SOFTMAX + 13)  # "Softmax turns"
    commit(document, [SOFTMAX, "«", 7, " always", 6, "»", len(TEXT) - SOFTMAX - 13])

    assert anchored_text(thread) == "Softmax always turns"
    anchor = api_anchor(document, thread.pk)
    assert anchor["text"] == "Softmax always turns" and anchor["quote"] == "Softmax turns"


def test_deleting_part_of_a_passage_shrinks_it(document, owner, commit):
    thread = comment_on(document, owner, SOFTMAX, SOFTMAX + 13)
    commit(document, [SOFTMAX - 2, -9, len(TEXT) - SOFTMAX - 7])  # "\n\nSoftmax" goes
    assert anchored_text(thread) == " turns"
    assert not thread.is_outdated


def test_a_thread_whose_passage_is_deleted_is_outdated_and_keeps_its_quote(document, owner, commit):
    thread = comment_on(document, owner, SOFTMAX, SOFTMAX + 7)
    point = comments.comment_create(
        user=owner, document_id=document.pk, content="Here", position=SOFTMAX + 3
    )
    line_end = TEXT.index("\n", SOFTMAX) + 1

    commit(document, [SOFTMAX, -(line_end - SOFTMAX), len(TEXT) - line_end])

    start, end, revision, outdated = stored(thread)
    assert outdated and start == end == SOFTMAX and revision == 1
    event = CommentEvent.objects.get(kind="outdated")
    assert event.comment_id == thread.pk and event.actor_id == owner.pk
    anchor = api_anchor(document, thread.pk)
    assert anchor == {
        "start": None, "end": None, "revision": 1, "text": "", "quote": "Softmax",
        "outdated": True,
    }  # fmt: skip
    # A comment on a point has no text to lose: it stays where the text closed up.
    assert stored(point) == (SOFTMAX, SOFTMAX, 1, False)

    commit(document, ["More intro.\n", len(document.content)])
    assert stored(thread) == (start, end, 1, True)  # outdated threads no longer move
    assert CommentEvent.objects.filter(kind="outdated").count() == 1


def test_a_thread_made_meanwhile_on_an_older_revision_moves_through_the_log(
    document, owner, commit
):
    commit(document, ["One.\n", len(TEXT)])
    commit(document, ["Two.\n", len(document.content)])
    # Its transaction read revision 0 and committed after the hook had handled 1 and 2
    # (as when the comment and the edits raced): stored at revision 0.
    old = Comment.objects.create(
        document=document, author=owner, content="Raced", comment_type=CommentType.INLINE,
        anchor_start=SOFTMAX, anchor_end=SOFTMAX + 7, anchor_revision=0, quote="Softmax",
    )  # fmt: skip
    assert api_anchor(document, old.pk)["text"] == "Softmax"  # moved on read meanwhile

    commit(document, ["Three.\n", len(document.content)])

    assert anchored_text(old) == "Softmax"


def test_a_comment_on_an_older_revision_lands_on_the_same_words_now(document, owner, commit):
    commit(document, ["Preface.\n", len(TEXT)])
    commit(document, [len(document.content) - 1, " (and scale)", 1])

    thread = comment_on(document, owner, SOFTMAX, SOFTMAX + 7, revision=0)

    assert stored(thread)[2] == 2
    assert anchored_text(thread) == "Softmax"
    assert thread.quote == "Softmax"


def test_a_comment_on_text_deleted_since_is_outdated_at_once(document, owner, commit):
    commit(document, [SOFTMAX, -7, len(TEXT) - SOFTMAX - 7])

    thread = comment_on(document, owner, SOFTMAX, SOFTMAX + 7, revision=0)

    assert stored(thread)[3] is True
    assert api_anchor(document, thread.pk)["outdated"] is True
    assert thread.quote == "Softmax"


# --- lagging, crashing, pruning ------------------------------------------------------------------


def test_reads_answer_the_current_range_while_the_hook_lags_and_write_nothing(
    document, owner, commit, hook_down
):
    thread = comment_on(document, owner, SOFTMAX, SOFTMAX + 7)
    for n in range(3):
        commit(document, [f"Line {n}.\n", len(document.content)])
    assert stored(thread)[2] == 0  # the hook has not run

    with CaptureQueriesContext(connection) as queries:
        anchor = api_anchor(document, thread.pk)

    assert anchor["revision"] == 3 and anchor["text"] == "Softmax"
    assert not [q for q in queries.captured_queries if q["sql"].lstrip().startswith("UPDATE")]
    assert stored(thread)[2] == 0
    # Celery beat's catch-up pass brings the stored anchor to the same place.
    assert tasks.deliver_revisions_task.apply().get() >= 3
    assert stored(thread)[:3] == (anchor["start"], anchor["end"], 3)


def test_a_crash_in_the_hook_loses_nothing_and_writes_nothing_twice(
    document, owner, commit, monkeypatch
):
    thread = comment_on(document, owner, SOFTMAX, SOFTMAX + 7)
    other = comment_on(document, owner, 2, 11)  # "Attention"
    real = comments.anchors_follow
    crashes = []

    def crash_on_revision_1_after_writing(events):
        real(events)  # the moves and the outdated event are written...
        if events[0].revision == 1 and len(crashes) < 2:
            crashes.append(events[0].revision)
            raise RuntimeError("the worker died")  # ...and rolled back with the cursor

    monkeypatch.setattr(comments, "anchors_follow", crash_on_revision_1_after_writing)
    commit(document, [2, -9, len(TEXT) - 11])  # deletes "Attention": outdated
    # Delivered to every receiver at once, then (after the crash) receiver by receiver:
    # it crashed both times, and neither left anything behind.
    assert crashes == [1, 1]
    assert stored(other) == (2, 11, 0, False)
    assert not CommentEvent.objects.filter(kind="outdated").exists()

    commit(document, ["New start.\n", len(document.content)])  # its delivery catches up

    assert stored(other)[2:] == (1, True)
    assert CommentEvent.objects.filter(kind="outdated").count() == 1
    assert anchored_text(thread) == "Softmax"
    assert revisions.deliver_pending() == 0


def test_when_the_log_was_pruned_past_an_anchor_it_is_outdated_not_guessed(
    document, owner, commit, hook_down, settings
):
    settings.SNAPSHOT_EVERY = 2
    thread = comment_on(document, owner, SOFTMAX, SOFTMAX + 7)
    for n in range(5):
        commit(document, [f"{n}\n", len(document.content)])
    assert docs.operations_prune(document_id=document.pk, keep=1) > 0

    assert api_anchor(document, thread.pk)["outdated"] is True  # on read already

    revisions.deliver_pending()
    assert stored(thread)[3] is True
    assert CommentEvent.objects.filter(kind="outdated", comment=thread).count() == 1
    assert api_anchor(document, thread.pk)["quote"] == "Softmax"


def test_hundreds_of_threads_move_with_a_few_queries(
    document, owner, commit, django_assert_max_num_queries, monkeypatch
):
    # The anchors' receiver alone: other apps' receivers (groups, Git) have queries of their own.
    anchors = [r for r in revisions.receivers() if r.name == "community.comment_anchors"]
    assert anchors, "the comment anchors receiver is registered"
    monkeypatch.setattr(revisions, "receivers", lambda: anchors)
    Comment.objects.bulk_create(
        Comment(
            document=document, author=owner, content="t", comment_type=CommentType.INLINE,
            anchor_start=n % 60, anchor_end=n % 60 + 5, anchor_revision=0,
            quote=TEXT[n % 60 : n % 60 + 5],
        )
        for n in range(300)
    )  # fmt: skip
    docs.document_apply_operation(
        document_id=document.pk, user=owner, base_revision=0, client_op_id="x",
        ops=[">> ", len(TEXT)],
    )  # fmt: skip

    # The delivery's own (lock, cursor, log), one read, the feed lock (made the first
    # time), and one UPDATE per batch of threads (SQLite's batches are smaller).
    with django_assert_max_num_queries(16):
        assert revisions.deliver(document_id=document.pk, first_revision=1) == 1

    moved = Comment.objects.filter(document=document).values_list("anchor_start", "anchor_revision")
    assert {(start - 3, revision) for start, revision in moved} == {(n % 60, 1) for n in range(300)}


# --- through the live socket -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("registry_cleanup")
async def test_socket_edits_move_anchors_and_the_editor_hears_of_new_comments():
    owner = await sync_to_async(UserFactory)()
    document = await sync_to_async(docs.document_create)(owner=owner, title="Live", content=TEXT)
    client, joined = await join(owner, document)
    assert joined["type"] != "error", joined

    thread = await sync_to_async(comment_on)(document, owner, SOFTMAX, SOFTMAX + 7)
    frame = await client.recv_type("comment")
    assert frame["event"] == "created" and frame["comment"]["id"] == thread.pk
    assert frame["topic"] == f"doc:{document.pk}"

    for n in range(3):
        await client.send(
            {"type": "edit", "revision": n, "client_op_id": f"s{n}",
             "edit": {"operation": "insert", "position": 0, "text": f"{n}\n"}}
        )  # fmt: skip
        await client.recv_type("ack")
    for _ in range(100):  # delivered by the process's hook task, after each commit
        if (await sync_to_async(stored)(thread))[2] == 3:
            break
        await asyncio.sleep(0.05)
    assert await sync_to_async(stored)(thread) == (SOFTMAX + 6, SOFTMAX + 13, 3, False)
    await client.close()
