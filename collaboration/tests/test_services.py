"""Services: documents, members, the edit path, restore, retention, sessions and chat."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection
from django.utils import timezone

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration import history, ot, services, tasks
from collaboration.models import (
    ChatMessage,
    CollaborationSession,
    Document,
    DocumentMember,
    EditPolicy,
    MemberRole,
    Operation,
    SessionParticipant,
    Snapshot,
    Tag,
    Visibility,
)
from collaboration.realtime import publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return UserFactory(username="owner")


@pytest.fixture
def broadcasts(monkeypatch):
    """Records what would be sent to connected editors."""
    sent = []
    monkeypatch.setattr(
        publish,
        "revisions_committed",
        lambda document_id, frames, access_version: sent.append((document_id, frames)),
    )
    return sent


def make_doc(owner, content="", **kwargs):
    kwargs.setdefault("title", "A document")
    return services.document_create(owner=owner, content=content, **kwargs)


def edit(document, user, base, ops=None, client_op_id=None, simple=None):
    return services.document_apply_operation(
        document_id=document.pk,
        user=user,
        base_revision=base,
        client_op_id=client_op_id or f"op-{base}-{ops!r}-{simple!r}"[:100],
        ops=ops,
        simple=simple,
    )


# --- document_create / update / delete --------------------------------------------------------


def test_document_create_starts_at_revision_zero_with_a_snapshot(owner):
    document = make_doc(owner, "# Hello", title="  Attention   is all ", tags=["nlp", "nlp"])

    assert document.revision == 0
    assert document.title == "Attention is all"
    assert document.slug == "attention-is-all"
    assert [t.slug for t in document.tags.all()] == ["nlp"]
    snapshot = Snapshot.objects.get(document=document)
    assert (snapshot.revision, snapshot.content) == (0, "# Hello")


def test_document_create_numbers_clashing_slugs(owner):
    slugs = [make_doc(owner, title="Transformers").slug for _ in range(3)]
    assert slugs == ["transformers", "transformers-2", "transformers-3"]
    assert make_doc(owner, title="2024").slug == "doc-2024"  # never reads as an id
    assert make_doc(owner, title="???").slug == "document"


def test_document_create_validates(owner, settings):
    settings.MAX_DOCUMENT_CHARS = 10
    with pytest.raises(ValidationError) as exc:
        make_doc(owner, "x" * 11)
    assert "content" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make_doc(owner, title="   ")
    assert "title" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make_doc(owner, tags=["Not A Slug"])
    assert "tags" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make_doc(owner, visibility="secret")
    assert "visibility" in exc.value.message_dict
    assert not Document.objects.exists()
    assert not Tag.objects.exists()


def test_update_metadata_and_delete_need_owner_or_moderator(owner):
    document = make_doc(owner, "text", title="Old")
    stranger = UserFactory()
    with pytest.raises(services.ActionForbidden):
        services.document_update_metadata(document=document, user=stranger, title="New")
    with pytest.raises(services.ActionForbidden):
        services.document_delete(document=document, user=stranger)

    moderator = UserFactory(role=Role.MODERATOR)
    services.document_update_metadata(
        document=document, user=moderator, title="New", tags=["rl"], visibility="private"
    )
    document.refresh_from_db()
    assert (document.title, document.slug, document.visibility) == ("New", "old", "private")
    assert list(document.tags.values_list("slug", flat=True)) == ["rl"]
    assert document.content == "text"

    services.document_delete(document=document, user=owner)
    assert not Document.objects.filter(pk=document.pk).exists()


def test_members_set_change_and_remove(owner):
    document = make_doc(owner, visibility=Visibility.RESTRICTED)
    ada = UserFactory(username="ada")
    member = services.document_member_set(
        document=document, username="ADA", role=MemberRole.VIEWER, by=owner
    )
    assert (member.user, member.role) == (ada, "viewer")
    services.document_member_set(document=document, username="ada", role="editor", by=owner)
    assert DocumentMember.objects.get(document=document).role == "editor"

    with pytest.raises(ValidationError):
        services.document_member_set(document=document, username="nobody", role="editor", by=owner)
    with pytest.raises(ValidationError):
        services.document_member_set(document=document, username="owner", role="editor", by=owner)
    with pytest.raises(ValidationError):
        services.document_member_set(document=document, username="ada", role="admin", by=owner)
    with pytest.raises(services.ActionForbidden):
        services.document_member_set(document=document, username="ada", role="viewer", by=ada)

    assert services.document_member_remove(document=document, username="ada", by=owner)
    assert not services.document_member_remove(document=document, username="ada", by=owner)


# --- document_apply_operation ------------------------------------------------------------------


def test_apply_operation_commits_and_broadcasts_after_commit(
    owner, broadcasts, django_capture_on_commit_callbacks
):
    document = make_doc(owner, "hello")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = edit(document, owner, 0, [5, " world"], "c1")

    assert result.committed
    assert (result.revision, result.ops) == (1, [5, " world"])
    assert callbacks  # the broadcast waited for the commit
    assert broadcasts == [
        (
            document.pk,
            [{"revision": 1, "ops": [5, " world"], "user_id": owner.pk, "client_op_id": "c1"}],
        )
    ]
    document.refresh_from_db()
    assert (document.content, document.revision) == ("hello world", 1)
    operation = Operation.objects.get(document=document)
    assert (operation.source, operation.chars_inserted, operation.user) == ("api", 6, owner)


def test_apply_operation_simple_form(owner):
    document = make_doc(owner, "hello")
    assert edit(document, owner, 0, simple={"operation": "insert", "position": 0, "text": ">"})
    result = edit(document, owner, 1, simple={"operation": "delete", "position": 1, "length": 5})
    assert result.committed
    document.refresh_from_db()
    assert document.content == ">"


def test_two_edits_on_the_same_base_both_land_as_ot_says(owner):
    document = make_doc(owner, "abc")
    first = edit(document, owner, 0, [1, "X", 2], "a")
    second = edit(document, owner, 0, [1, "Y", 2], "b")  # stale: made on revision 0 too

    assert (first.revision, second.revision) == (1, 2)
    # The server transforms the later op with itself on the left: its insert goes first.
    expected_second, _ = ot.transform([1, "Y", 2], [1, "X", 2])
    assert second.ops == expected_second
    document.refresh_from_db()
    assert document.content == ot.apply(ot.apply("abc", [1, "X", 2]), expected_second)
    assert document.content == "aYXbc"


def test_duplicate_client_op_id_answers_the_original_revision(owner, broadcasts):
    document = make_doc(owner, "abc")
    edit(document, owner, 0, [3, "!"], "same")
    edit(document, owner, 1, [4, "?"], "other")
    again = edit(document, owner, 0, [3, "!"], "same")

    assert again.duplicate and not again.committed
    assert again.revision == 1
    document.refresh_from_db()
    assert (document.content, document.revision) == ("abc!?", 2)
    assert Operation.objects.filter(document=document).count() == 2


@pytest.mark.parametrize(
    ("ops", "simple", "message"),
    [
        ([4, "x"], None, "does not match document length"),
        ([0], None, "zero-length"),
        ("abc", None, "must be a list"),
        ([True], None, "type bool"),
        (None, {"operation": "insert", "position": 9, "text": "x"}, "outside the document"),
        (None, {"operation": "move"}, "unknown operation"),
        (None, None, "exactly one"),
        ([3, "a\x00"], None, "NUL"),
    ],
)
def test_bad_operations_are_refused_and_change_nothing(owner, ops, simple, message):
    document = make_doc(owner, "abc")
    result = edit(document, owner, 0, ops, "bad", simple=simple)
    assert result.error is not None
    assert result.error.code == "invalid_operation"
    assert message in result.error.message
    document.refresh_from_db()
    assert (document.content, document.revision) == ("abc", 0)
    assert not Operation.objects.exists()


def test_future_base_revision_is_invalid_and_negative_is_a_validation_error(owner):
    document = make_doc(owner, "abc")
    assert edit(document, owner, 5, [3, "x"]).error.code == "invalid_operation"
    with pytest.raises(ValidationError):
        edit(document, owner, -1, [3, "x"])
    with pytest.raises(ValidationError):
        edit(document, owner, 0, [3, "x"], client_op_id="x" * 101)


def test_document_too_large(owner, settings):
    document = make_doc(owner, "abc")
    settings.MAX_DOCUMENT_CHARS = 5
    result = edit(document, owner, 0, [3, "xyz"])
    assert result.error.code == "document_too_large"
    # Shrinking a too-large document is always allowed.
    settings.MAX_DOCUMENT_CHARS = 1
    assert edit(document, owner, 0, [1, -2]).committed


def test_read_only_users_may_not_apply_operations(owner):
    document = make_doc(owner, "abc", edit_policy=EditPolicy.MEMBERS)
    viewer = UserFactory()
    with pytest.raises(services.ActionForbidden):
        edit(document, viewer, 0, [3, "x"])
    assert Document.objects.get(pk=document.pk).revision == 0


def test_no_broadcast_when_the_outer_transaction_rolls_back(owner, broadcasts):
    from django.db import transaction

    document = make_doc(owner, "abc")

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        edit(document, owner, 0, [3, "x"])
        raise Boom
    assert broadcasts == []
    assert Document.objects.get(pk=document.pk).revision == 0


# --- restore ---------------------------------------------------------------------------------


def test_restore_brings_back_old_text_as_a_new_revision(owner):
    document = make_doc(owner, "one\ntwo\nthree\n")
    edit(document, owner, 0, [4, "TWO\n", -4, 6])
    edit(document, owner, 1, [14, "four\n"])
    result = services.document_restore(document_id=document.pk, user=owner, revision=0)

    assert result.committed and result.revision == 3
    document.refresh_from_db()
    assert document.content == "one\ntwo\nthree\n"
    operation = Operation.objects.get(document=document, revision=3)
    assert operation.source == "restore"
    assert operation.client_op_id.startswith("restore-")
    # Untouched lines stay retained, so only the changed lines are rewritten.
    assert operation.chars_inserted == len("two\n")
    assert operation.chars_deleted == len("TWO\n") + len("four\n")


def test_restore_errors(owner):
    document = make_doc(owner, "abc", edit_policy=EditPolicy.MEMBERS)
    with pytest.raises(history.RevisionOutOfRange):
        services.document_restore(document_id=document.pk, user=owner, revision=3)
    with pytest.raises(services.ActionForbidden):
        services.document_restore(document_id=document.pk, user=UserFactory(), revision=0)


# --- retention -------------------------------------------------------------------------------


def test_prune_keeps_what_history_needs(owner, settings):
    settings.SNAPSHOT_EVERY = 3
    document = make_doc(owner, "")
    for revision in range(10):
        edit(document, owner, revision, [revision, "x"] if revision else ["x"])
    # Snapshots at 0, 3, 6, 9. Keep 5: cut at 5, newest snapshot at or below is 3.
    deleted = services.operations_prune(document_id=document.pk, keep=5)
    assert deleted == 3
    assert list(Operation.objects.filter(document=document).values_list("revision", flat=True)) == [
        4,
        5,
        6,
        7,
        8,
        9,
        10,
    ]
    for revision in range(3, 11):
        assert history.content_at(document_id=document.pk, revision=revision) == "x" * revision
    with pytest.raises(history.HistoryUnavailable):
        history.content_at(document_id=document.pk, revision=2)
    # A base revision before the kept log cannot be transformed any more.
    assert edit(document, owner, 2, [2, "y"]).error.code == "revision_too_old"
    assert edit(document, owner, 3, [3, "y"]).committed


def test_prune_task_runs_for_every_document_when_enabled(owner, settings):
    settings.SNAPSHOT_EVERY = 2
    documents = [make_doc(owner, "", title=f"d{i}") for i in range(2)]
    for document in documents:
        for revision in range(4):
            edit(document, owner, revision, [revision, "x"] if revision else ["x"])

    settings.OPERATION_RETENTION = 0
    assert tasks.prune_operations_task.apply().get() == 0
    settings.OPERATION_RETENTION = 1
    # Snapshots at 0, 2 and 4; keeping 1 cuts at 3, so 1..2 go (the snapshot at 2 covers them).
    assert tasks.prune_operations_task.apply().get() == 4
    assert sorted(Operation.objects.values_list("revision", flat=True)) == [3, 3, 4, 4]


# --- sessions --------------------------------------------------------------------------------


def test_session_create_validates(owner):
    document = make_doc(owner)
    with pytest.raises(ValidationError):
        services.session_create(document=document, user=owner, max_participants=0)
    with pytest.raises(ValidationError):
        services.session_create(document=document, user=owner, invited_usernames=["ghost"])
    private_doc = make_doc(owner, visibility=Visibility.PRIVATE)
    with pytest.raises(services.ActionForbidden):
        services.session_create(document=private_doc, user=UserFactory())


def test_session_join_leave_touch_and_refuse_when_full(owner):
    document = make_doc(owner)
    session = services.session_create(document=document, user=owner, max_participants=2)
    ada, lin, bob = UserFactory(), UserFactory(), UserFactory()

    services.session_join(session_id=session.pk, user=ada, connection_id="c-ada")
    services.session_join(session_id=session.pk, user=ada, connection_id="c-ada")  # refresh
    services.session_join(session_id=session.pk, user=lin, connection_id="c-lin")
    with pytest.raises(services.SessionFull):
        services.session_join(session_id=session.pk, user=bob, connection_id="c-bob")

    assert services.session_leave(connection_id="c-lin") == session.pk
    assert services.session_leave(connection_id="c-lin") is None
    services.session_join(session_id=session.pk, user=bob, connection_id="c-bob")
    assert services.session_touch(connection_ids=["c-ada", "c-bob", "gone"]) == 2


def test_stale_participants_free_their_seat(owner, settings):
    settings.PRESENCE_TTL_SECONDS = 30
    session = services.session_create(document=make_doc(owner), user=owner, max_participants=1)
    services.session_join(session_id=session.pk, user=UserFactory(), connection_id="old")
    SessionParticipant.objects.update(last_seen=timezone.now() - timedelta(seconds=31))

    services.session_join(session_id=session.pk, user=UserFactory(), connection_id="new")
    assert list(SessionParticipant.objects.values_list("connection_id", flat=True)) == ["new"]


def test_private_sessions_admit_creator_invited_and_moderators_only(owner):
    invited = UserFactory(username="invited")
    session = services.session_create(
        document=make_doc(owner),
        user=owner,
        is_private=True,
        invited_usernames=["invited", "owner"],
    )
    assert list(session.invited.all()) == [invited]
    services.session_join(session_id=session.pk, user=owner, connection_id="a")
    services.session_join(session_id=session.pk, user=invited, connection_id="b")
    services.session_join(
        session_id=session.pk, user=UserFactory(role=Role.MODERATOR), connection_id="c"
    )
    with pytest.raises(services.SessionForbidden):
        services.session_join(session_id=session.pk, user=UserFactory(), connection_id="d")


def test_session_end(owner):
    session = services.session_create(document=make_doc(owner), user=owner)
    services.session_join(session_id=session.pk, user=owner, connection_id="a")
    with pytest.raises(services.ActionForbidden):
        services.session_end(session=session, user=UserFactory())
    ended = services.session_end(session=session, user=owner)
    assert not ended.is_active and ended.ended_at is not None
    assert not SessionParticipant.objects.exists()
    with pytest.raises(services.SessionClosed):
        services.session_join(session_id=session.pk, user=owner, connection_id="a")


@pytest.mark.django_db(transaction=True)
def test_max_participants_holds_when_twenty_join_at_once():
    owner = UserFactory()
    document = services.document_create(owner=owner, title="Busy")
    session = services.session_create(document=document, user=owner, max_participants=5)
    users = [UserFactory() for _ in range(20)]
    barrier = threading.Barrier(len(users))
    outcomes: list[str] = []
    lock = threading.Lock()

    def join(user):
        try:
            barrier.wait(timeout=10)
            services.session_join(session_id=session.pk, user=user, connection_id=f"c{user.pk}")
            outcome = "joined"
        except services.SessionFull:
            outcome = "full"
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            outcome = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=join, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    close_old_connections()

    assert sorted(outcomes) == ["full"] * 15 + ["joined"] * 5, outcomes
    assert SessionParticipant.objects.filter(session=session).count() == 5
    assert CollaborationSession.objects.get(pk=session.pk).max_participants == 5


# --- chat ------------------------------------------------------------------------------------


def test_chat_message_create(owner):
    document = make_doc(owner)
    message = services.chat_message_create(
        document=document, user=owner, message="  hi there \n", message_type="code"
    )
    assert (message.message, message.message_type) == ("hi there", "code")

    for bad in ("   ", "x" * 4001, "nul\x00"):
        with pytest.raises(ValidationError):
            services.chat_message_create(document=document, user=owner, message=bad)
    with pytest.raises(ValidationError):
        services.chat_message_create(
            document=document, user=owner, message="x", message_type="system"
        )
    private_doc = make_doc(owner, visibility=Visibility.PRIVATE)
    with pytest.raises(services.ActionForbidden):
        services.chat_message_create(document=private_doc, user=UserFactory(), message="x")
    assert ChatMessage.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_edits_on_one_base_all_land_in_order():
    owner = UserFactory()
    document = services.document_create(owner=owner, title="Race", content="base")
    writers = [UserFactory() for _ in range(10)]
    barrier = threading.Barrier(len(writers))
    errors: list[str] = []

    def write(index, user):
        try:
            barrier.wait(timeout=10)
            result = services.document_apply_operation(
                document_id=document.pk,
                user=user,
                base_revision=0,
                client_op_id=f"w{index}",
                ops=[4, f"<{index}>"],
            )
            if not result.committed:
                errors.append(repr(result.error))
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=pair) for pair in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    close_old_connections()

    assert errors == []
    document.refresh_from_db()
    assert document.revision == 10
    rows = list(Operation.objects.filter(document=document).order_by("revision"))
    assert [row.revision for row in rows] == list(range(1, 11))
    # Every insert landed; each was transformed onto what was committed before it.
    text = "base"
    for row in rows:
        text = ot.apply(text, row.ops)
    assert text == document.content
    assert sorted(document.content[4:].replace(">", ">\n").split()) == sorted(
        f"<{i}>" for i in range(10)
    )
