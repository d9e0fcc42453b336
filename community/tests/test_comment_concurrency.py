"""Comments under real concurrency: people editing a document from stale copies while
others comment on it (at the revision their page shows), reply, resolve and moderate,
all at once from many threads. Nothing deadlocks, the post-commit hook never fails,
every change has exactly one event, and every anchor ends where the committed
operations put it.

Needs PostgreSQL: its row locks (the document's comment feed, then comments; the hook's
cursor) are what the services rely on; SQLite serialises whole transactions and would
prove nothing here.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import close_old_connections, connection, transaction

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration import history, ot, revisions
from collaboration import services as docs
from collaboration.models import Document, EditSource, Operation
from collaboration.selectors import document_text
from community.models import Comment, CommentEvent
from community.services import comments

pytestmark = [
    pytest.mark.skipif(
        not settings.USING_POSTGRES,
        reason="needs PostgreSQL: comment writes and the anchor hook rely on its row locks,"
        " which SQLite does not have (CI runs it with DATABASE_URL set)",
    ),
    pytest.mark.django_db(transaction=True),
]

EDITORS = 4
COMMENTERS = 4
MODERATORS = 2
ROUNDS = 6
TEXT = "Attention compares every query with every key.\n" * 4


def _run_all(jobs) -> list[str]:
    start = threading.Barrier(len(jobs))

    def one(job) -> str:
        try:
            start.wait(timeout=30)
            job()
            return "ok"
        except Exception as exc:  # reported by the assertion below
            return repr(exc)
        finally:
            connection.close()  # each thread has its own connection

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        outcomes = list(pool.map(one, jobs))
    close_old_connections()
    return outcomes


def test_editing_commenting_and_moderating_at_once_lose_no_anchor_and_no_event(caplog):
    caplog.set_level(logging.ERROR)
    owner = UserFactory()
    document = docs.document_create(owner=owner, title="Busy", content=TEXT)
    editors = [UserFactory() for _ in range(EDITORS)]
    commenters = [UserFactory() for _ in range(COMMENTERS)]
    moderators = [UserFactory(role=Role.MODERATOR) for _ in range(MODERATORS)]
    made: list[tuple[int, int, int, int]] = []  # comment id, revision, start, end
    changes = []  # one per event expected
    lock = threading.Lock()

    def edit(user, seed):
        rng = random.Random(seed)
        base, text = document_text(document_id=document.pk)
        for _ in range(ROUNDS):  # from the same stale copy: the server transforms
            at = rng.randrange(len(text))
            ops = [at, "new words ", len(text) - at]
            if rng.random() < 0.4 and at + 8 <= len(text):
                ops = [at, -8, len(text) - at - 8]
            result = docs.document_apply_operation(
                document_id=document.pk, user=user, base_revision=base,
                client_op_id=uuid.uuid4().hex, ops=ops, source=EditSource.SOCKET,
            )  # fmt: skip
            assert result.committed, result.error

    def comment(user, seed):
        rng = random.Random(seed)
        for _ in range(ROUNDS):
            revision = Document.objects.values_list("revision", flat=True).get(pk=document.pk)
            revision = max(revision - rng.randrange(3), 0)  # the page may lag a little
            text = history.content_at(document_id=document.pk, revision=revision)
            start = rng.randrange(len(text))
            end = min(start + rng.randrange(1, 12), len(text))
            thread = comments.comment_create(
                user=user, document_id=document.pk, content="Why?", start=start, end=end,
                revision=revision,
            )  # fmt: skip
            comments.comment_reply(user=user, comment_id=thread.pk, content="Because.")
            comments.comment_resolve(user=user, comment_id=thread.pk)
            with lock:
                made.append((thread.pk, revision, start, end))
                changes.extend(["created", "created", "resolved"])

    def moderate(user, seed):
        rng = random.Random(seed)
        for _ in range(ROUNDS):
            candidates = list(
                Comment.objects.filter(document=document).values_list("pk", flat=True)
            )
            if not candidates:
                continue
            with transaction.atomic():
                target = comments.comment_lock(rng.choice(candidates))
                target.is_hidden = not target.is_hidden
                target.save(update_fields=["is_hidden"])
                kind = "hidden" if target.is_hidden else "shown"
                comments.comment_event(target, kind, user)
            with lock:
                changes.append(kind)

    jobs = [lambda u=u, n=n: edit(u, n) for n, u in enumerate(editors)]
    jobs += [lambda u=u, n=n: comment(u, 100 + n) for n, u in enumerate(commenters)]
    jobs += [lambda u=u, n=n: moderate(u, 200 + n) for n, u in enumerate(moderators)]

    outcomes = _run_all(jobs)

    assert outcomes == ["ok"] * len(jobs)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert revisions.deliver_pending(document_ids=[document.pk]) == 0  # nothing left behind
    assert sorted(CommentEvent.objects.filter(document=document).exclude(
        kind="outdated").values_list("kind", flat=True)) == sorted(changes)  # fmt: skip
    log = list(
        Operation.objects.filter(document=document)
        .order_by("revision")
        .values_list("revision", "ops")
    )
    head, text = document_text(document_id=document.pk)
    assert len(log) == head == EDITORS * ROUNDS
    # Outdated by the hook: one event each (a comment made on text already deleted is
    # outdated from the start, without one).
    outdated_events = list(
        CommentEvent.objects.filter(kind="outdated").values_list("comment_id", flat=True)
    )
    assert len(outdated_events) == len(set(outdated_events))
    for comment_id, revision, start, end in made:
        moved = (start, end)
        for op_revision, ops in log:
            if op_revision > revision:
                moved = ot.transform_range(*moved, ops)
        thread = Comment.objects.get(pk=comment_id)
        if moved[0] == moved[1]:
            assert thread.is_outdated
        else:
            assert not thread.is_outdated
            stored = (thread.anchor_start, thread.anchor_end, thread.anchor_revision)
            assert stored == (*moved, head)
            assert text[moved[0] : moved[1]]
