"""`manage.py seed`: demo users per role, tags, and pages with a real history; safe to run
again. The scripted histories are checked against their pages without a database too."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration import history, ot
from collaboration.demo.histories import HISTORIES
from collaboration.demo.pages import DEMO_DOCUMENTS
from collaboration.demo.plan import (
    AddSection,
    Chat,
    Edit,
    Restore,
    ScriptError,
    Timeline,
    ago,
    plan,
)
from collaboration.management.commands.seed import DEMO_USERS, demo_password
from collaboration.models import (
    ChatMessage,
    Document,
    DocumentMember,
    EditSource,
    MemberRole,
    Operation,
    Snapshot,
    Tag,
    Visibility,
)

SHARED = [spec for spec in DEMO_DOCUMENTS if spec.visibility != Visibility.PRIVATE]
PRIVATE = [spec for spec in DEMO_DOCUMENTS if spec.visibility == Visibility.PRIVATE]


def _seed(*args, **options) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("seed", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


@pytest.fixture
def seeded(db, debug_on):
    _seed()


def _authors(document: Document) -> set[str]:
    return set(document.operations.values_list("user__username", flat=True))


def _reader(spec) -> User | None:
    """Someone who may read the page: nobody needs to sign in for a public one."""
    if spec.visibility == Visibility.PUBLIC:
        return None
    return User.objects.get(username=spec.members[0] if spec.members else spec.owner)


# --- the scripts, without a database -------------------------------------------------------


@pytest.mark.parametrize("spec", DEMO_DOCUMENTS, ids=lambda spec: spec.slug)
def test_every_history_fits_its_page(spec):
    planned = plan(final=spec.content, timeline=HISTORIES[spec.slug])
    text = planned.initial
    for step in planned.revisions:
        text = ot.apply(text, step.ops) if step.ops is not None else step.text
        assert text == step.text
    assert text == spec.content
    assert planned.initial != spec.content


def test_every_page_has_a_history_and_nothing_else_does():
    assert set(HISTORIES) == {spec.slug for spec in DEMO_DOCUMENTS}


@pytest.mark.parametrize("spec", DEMO_DOCUMENTS, ids=lambda spec: spec.slug)
def test_each_history_has_a_fix_a_new_section_and_a_change_taken_back(spec):
    events = HISTORIES[spec.slug].events
    edits = [event for event in events if isinstance(event, Edit)]
    assert any(isinstance(event, AddSection) for event in events)
    # A small fix: a few characters of one snippet.
    assert any(abs(len(edit.after) - len(edit.before)) <= 2 for edit in edits)
    taken_back = any(isinstance(event, Restore) for event in events) or any(
        (first.before, first.after) == (later.after, later.before)
        for index, first in enumerate(edits)
        for later in edits[index + 1 :]
    )
    assert taken_back


def test_a_snippet_that_is_not_in_the_page_is_refused():
    timeline = Timeline(created=ago(2), events=(Edit(ago(1), "lena", "teh", "the"),))
    with pytest.raises(ScriptError, match="occurs 0 times"):
        plan(final="Nothing to fix here.\n", timeline=timeline)


def test_events_out_of_time_order_are_refused():
    timeline = Timeline(
        created=ago(2),
        events=(Chat(ago(1), "lena", "first"), Chat(ago(1, 1), "rui", "earlier than that")),
    )
    with pytest.raises(ScriptError, match="time order"):
        plan(final="Text.\n", timeline=timeline)


def test_a_restore_brings_back_the_older_text():
    timeline = Timeline(
        created=ago(3),
        events=(
            Edit(ago(2), "lena", "cats", "dogs"),
            Restore(ago(1), "rui", 0),
        ),
    )
    planned = plan(final="I like cats.\n", timeline=timeline)
    assert planned.initial == "I like cats.\n"
    assert [step.text for step in planned.revisions] == ["I like dogs.\n", "I like cats.\n"]
    assert planned.revisions[1].restores == 0


# --- users, tags and pages -----------------------------------------------------------------


@pytest.mark.django_db
def test_seed_creates_one_user_per_role(debug_on):
    out, _ = _seed()
    assert sorted(User.objects.values_list("role", flat=True)) == sorted(r.value for r in Role)
    for spec in DEMO_USERS:
        user = User.objects.get(username=spec.username)
        assert user.role == spec.role
        assert user.check_password(demo_password(spec.role))
        assert spec.username in out and demo_password(spec.role) in out
    admin = User.objects.get(role=Role.ADMIN)
    assert admin.is_superuser and admin.is_staff
    assert User.objects.get(role=Role.MODERATOR).is_staff
    assert not User.objects.get(role=Role.LEARNER).is_staff


@pytest.mark.django_db
def test_seed_creates_tags_and_substantive_documents(seeded):
    assert Tag.objects.filter(slug__in=["transformers", "attention", "optimization"]).count() == 3
    public = Document.objects.filter(visibility=Visibility.PUBLIC)
    assert public.count() >= 5
    for document in public:
        assert len(document.content.split()) >= 400
        assert "\n## " in document.content
        assert "```" in document.content
        assert "|---" in document.content
        assert "$" in document.content
        assert document.tags.exists()
    assert Document.objects.filter(visibility=Visibility.PRIVATE).exists()
    # (Proposal branches, from the contributions demo, are restricted too: not documents.)
    restricted = Document.objects.get(visibility=Visibility.RESTRICTED, branch_of__isnull=True)
    assert DocumentMember.objects.filter(document=restricted, role=MemberRole.EDITOR).exists()


@pytest.mark.django_db
def test_documents_end_at_their_final_text_with_a_creation_snapshot(seeded):
    for spec in DEMO_DOCUMENTS:
        document = Document.objects.get(slug=spec.slug)
        assert document.title == spec.title
        assert document.owner.username == spec.owner
        assert document.content == spec.content
        initial = Snapshot.objects.get(document=document, revision=0).content
        assert initial == plan(final=spec.content, timeline=HISTORIES[spec.slug]).initial


@pytest.mark.django_db
def test_every_shared_document_has_revisions_by_at_least_three_people(seeded):
    for spec in SHARED:
        document = Document.objects.get(slug=spec.slug)
        assert document.revision >= 4, spec.slug
        assert len(_authors(document)) >= 3, spec.slug


@pytest.mark.django_db
def test_the_private_draft_is_edited_by_its_owner_alone(seeded):
    # Nobody else may edit a private page, so nobody else is in its history.
    for spec in PRIVATE:
        document = Document.objects.get(slug=spec.slug)
        assert document.revision >= 3
        assert _authors(document) == {spec.owner}


@pytest.mark.django_db
def test_the_stored_text_is_the_log_replayed(seeded):
    for document in Document.objects.all():
        text = Snapshot.objects.get(document=document, revision=0).content
        operations = list(document.operations.order_by("revision"))
        assert [op.revision for op in operations] == list(range(1, document.revision + 1))
        for operation in operations:
            text = ot.apply(text, operation.ops)
            assert text == history.content_at(document_id=document.pk, revision=operation.revision)
        assert text == document.content
        # Rebuilt from the snapshot, not read off the row.
        previous = history.content_at(document_id=document.pk, revision=document.revision - 1)
        assert ot.apply(previous, operations[-1].ops) == document.content


@pytest.mark.django_db
def test_edits_are_marked_as_demo_content_and_some_are_restores(seeded):
    assert set(Operation.objects.values_list("source", flat=True)) == {
        EditSource.SYSTEM,
        EditSource.RESTORE,
    }
    restored = 0
    for spec in DEMO_DOCUMENTS:
        document = Document.objects.get(slug=spec.slug)
        for step in plan(final=spec.content, timeline=HISTORIES[spec.slug]).revisions:
            operation = document.operations.get(revision=step.revision)
            assert operation.user.username == step.by
            if step.restores is None:
                assert operation.source == EditSource.SYSTEM
                continue
            restored += 1
            assert operation.source == EditSource.RESTORE
            assert history.content_at(
                document_id=document.pk, revision=step.revision
            ) == history.content_at(document_id=document.pk, revision=step.restores)
    assert restored >= 2


@pytest.mark.django_db
def test_authorship_names_several_people(seeded):
    for spec in SHARED:
        document = Document.objects.get(slug=spec.slug)
        spans = history.authorship(document_id=document.pk)["spans"]
        names = {span["username"] for span in spans}
        assert None not in names, spec.slug  # the whole history could be walked
        assert len(names) >= 3, spec.slug
        assert spans[-1]["end"] == len(document.content)


@pytest.mark.django_db
def test_chat_from_several_people_on_most_documents(seeded):
    with_chat = Document.objects.filter(chat_messages__isnull=False).distinct()
    assert with_chat.count() >= len(DEMO_DOCUMENTS) - 1
    for document in with_chat:
        assert document.chat_messages.values("user").distinct().count() >= 2, document.slug
    assert ChatMessage.objects.filter(message_type=ChatMessage.MessageType.CODE).exists()


@pytest.mark.django_db
def test_history_is_spread_over_the_past_days_in_revision_order(seeded):
    now = timezone.now()
    # The demo documents (a proposal's branch is made from one now, by the contributions demo).
    for document in Document.objects.filter(branch_of__isnull=True):
        times = [document.created_at]
        times += list(document.operations.order_by("revision").values_list("created_at", flat=True))
        assert times == sorted(times) and len(set(times)) == len(times), document.slug
        assert now - timedelta(days=30) < times[0] < now - timedelta(days=1)
        assert document.last_edited_at == times[-1] == document.updated_at
        chat = list(document.chat_messages.order_by("id").values_list("created_at", flat=True))
        assert chat == sorted(chat) and all(times[0] < at < now for at in chat)


@pytest.mark.django_db
def test_history_diff_and_authorship_pages_show_several_people(seeded, client):
    for spec in SHARED:
        reader = _reader(spec)
        if reader is not None:
            client.force_login(reader)
        base = f"/docs/{spec.slug}"
        document = Document.objects.get(slug=spec.slug)
        authors = User.objects.filter(username__in=_authors(document))

        page = client.get(f"{base}/history/")
        assert page.status_code == 200, spec.slug
        html = page.content.decode()
        for user in authors:
            assert f"/u/{user.username}/" in html and user.full_name in html, spec.slug
        assert f"Revision {document.revision}" in html

        page = client.get(f"{base}/authorship/")
        assert page.status_code == 200
        html = page.content.decode()
        named = [u for u in User.objects.all() if f"/u/{u.username}/" in html]
        assert len(named) >= 3, spec.slug

        # The diff page shows the change itself; it names no authors.
        page = client.get(f"{base}/diff/", {"from": 0, "to": document.revision})
        assert page.status_code == 200
        assert "lines added" in page.content.decode() or "line added" in page.content.decode()
        client.logout()


@pytest.mark.django_db
def test_diff_api_from_revision_zero_to_now(seeded):
    api = APIClient()
    for spec in DEMO_DOCUMENTS:
        reader = _reader(spec) or User.objects.get(username=spec.owner)
        api.force_authenticate(reader)
        document = Document.objects.get(slug=spec.slug)
        response = api.get(
            f"/api/documents/{document.pk}/diff", {"from": 0, "to": document.revision}
        )
        assert response.status_code == 200, spec.slug
        body = response.json()
        assert body["lines_inserted"] + body["lines_deleted"] > 0
        assert body["to_revision"] == document.revision


@pytest.mark.django_db
def test_seeded_documents_render(seeded, client):
    for spec in DEMO_DOCUMENTS:
        if spec.visibility == Visibility.PUBLIC:
            response = client.get(f"/docs/{spec.slug}/")
            assert response.status_code == 200, spec.slug
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_the_restricted_page_history_stays_restricted(seeded, client):
    spec = next(spec for spec in SHARED if spec.visibility == Visibility.RESTRICTED)
    assert client.get(f"/docs/{spec.slug}/history/").status_code == 404
    client.force_login(User.objects.get(username="lena"))  # not a member
    assert client.get(f"/docs/{spec.slug}/history/").status_code == 404


# --- running it again ----------------------------------------------------------------------


def _counts() -> tuple[int, ...]:
    return (
        User.objects.count(),
        Tag.objects.count(),
        Document.objects.count(),
        Operation.objects.count(),
        ChatMessage.objects.count(),
    )


@pytest.mark.django_db
def test_seed_twice_creates_nothing_new(debug_on):
    _seed()
    counts = _counts()
    out, _ = _seed()
    assert _counts() == counts
    assert "0 new user(s)" in out and "0 new document(s)" in out


@pytest.mark.django_db
def test_if_empty_second_run_creates_nothing(debug_on):
    _seed("--if-empty")
    counts = _counts()
    assert counts[3] > 0 and counts[4] > 0
    out, _ = _seed("--if-empty")
    assert _counts() == counts
    assert "nothing was seeded" in out

    Document.objects.all().delete()  # even with content missing, existing users stop it
    _seed("--if-empty")
    assert (User.objects.count(), Tag.objects.count()) == counts[:2]
    assert not Document.objects.exists()


@pytest.mark.django_db
def test_if_empty_does_nothing_when_any_user_exists(debug_on):
    UserFactory()
    _seed("--if-empty")
    assert User.objects.count() == 1
    assert not Document.objects.exists()


@pytest.mark.django_db
def test_refuses_without_debug_unless_forced(settings):
    settings.DEBUG = False
    _, err = _seed()
    assert "DEBUG is off" in err
    assert not User.objects.exists()

    _seed("--force")
    assert User.objects.filter(username__in=[spec.username for spec in DEMO_USERS]).count() == len(
        DEMO_USERS
    )
