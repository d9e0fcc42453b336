"""Moderation reaches open document pages live: hiding, showing and deleting a comment
each write one comment event and, after commit, one frame on the document's topic."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration.realtime import publish
from community.models import CommentEvent
from community.services import moderation

from .factories import CommentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    frames: list[tuple[int, dict]] = []
    monkeypatch.setattr(
        publish, "to_document", lambda doc_id, frame: frames.append((doc_id, frame))
    )
    return frames


@pytest.fixture
def moderator():
    return UserFactory(role=Role.MODERATOR)


@pytest.fixture
def comment():
    return CommentFactory(content="Cheap GPUs at example.com")


def test_spam_flags_hiding_a_comment_tell_open_pages(
    comment, published, django_capture_on_commit_callbacks
):
    for flagger in UserFactory.create_batch(3):
        with django_capture_on_commit_callbacks(execute=True):
            moderation.flag_create(
                user=flagger, target_type="comment", target_id=comment.pk, reason="spam"
            )

    event = CommentEvent.objects.get()
    assert (event.kind, event.actor) == ("hidden", None)
    assert [(doc, frame["event"]) for doc, frame in published] == [(comment.document_id, "hidden")]
    shown = published[0][1]["comment"]
    # As a plain reader sees it: hidden, without its text.
    assert shown["is_hidden"] is True
    assert shown["content"] == ""


def test_each_moderator_action_on_a_comment_sends_its_event(
    comment, moderator, published, django_capture_on_commit_callbacks
):
    steps = [
        ("hide", "hidden"),
        ("unhide", "shown"),
        ("delete", "deleted"),
        ("restore", "shown"),
    ]
    for action, _kind in steps:
        with django_capture_on_commit_callbacks(execute=True):
            moderation.moderation_act(
                moderator=moderator, action=action, target_type="comment", target_id=comment.pk
            )
    with django_capture_on_commit_callbacks(execute=True):
        moderation.post_lock(moderator=moderator, target_type="comment", target_id=comment.pk)

    kinds = [kind for _action, kind in steps]
    events = list(CommentEvent.objects.order_by("id"))
    assert [e.kind for e in events] == kinds  # locking changes nothing a page shows
    assert {e.actor for e in events} == {moderator}
    assert [frame["event"] for _doc, frame in published] == kinds


def test_dismissing_spam_flags_shows_the_comment_live(
    comment, moderator, published, django_capture_on_commit_callbacks
):
    for flagger in UserFactory.create_batch(3):
        moderation.flag_create(
            user=flagger, target_type="comment", target_id=comment.pk, reason="spam"
        )
    with django_capture_on_commit_callbacks(execute=True):
        moderation.flags_dismiss(moderator=moderator, target_type="comment", target_id=comment.pk)

    assert published[-1][1]["event"] == "shown"
    assert published[-1][1]["comment"]["content"] == "Cheap GPUs at example.com"
