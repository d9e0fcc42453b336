"""Live editing becomes Git commits: periods of activity, their authors, idempotence,
merges and releases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from collaboration.models import DocumentMember, MemberRole
from contributions.git import repository
from contributions.git.sync import commit_merge, sync_document
from contributions.models import GitSync

from .factories_git import append, git_root, head_text, log, make_document  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return (
        UserFactory(username="ada", full_name="Ada Lovelace"),
        UserFactory(username="lin", full_name="Lin Chen"),
    )


def test_a_period_of_editing_is_one_commit_by_its_writers(git_root, people):  # noqa: F811
    ada, lin = people
    document = make_document(ada)
    start = timezone.now() - timedelta(hours=2)
    append(document, ada, "Ada writes a long paragraph.\n", at=start)
    append(document, lin, "Lin adds.\n", at=start + timedelta(minutes=3))
    append(document, ada, "More from Ada.\n", at=start + timedelta(minutes=6))
    # a pause longer than GIT_PERIOD_MINUTES (10): a new period
    append(document, lin, "Later, Lin alone.\n", at=start + timedelta(minutes=30))

    result = sync_document(document_id=document.pk)

    commits = log(document.pk)
    assert result.commits == 3 and result.revision == 4
    messages = [c.message.decode() for c in commits]
    assert messages[0].startswith("Edits by lin (revision 4)")
    assert messages[1].startswith("Edits by ada and lin (revisions 1–3)")  # noqa: RUF001
    assert "Co-authored-by: Lin Chen <lin@" in messages[1]
    assert commits[1].author.decode().startswith("Ada Lovelace <ada@")
    assert commits[1].committer.decode() == "LearnAI Docs <git@learnai.invalid>"
    assert commits[1].author_time == int(start.timestamp())
    assert messages[2].startswith("Create “Attention” (revision 0)")
    document.refresh_from_db()
    assert head_text(document.pk, f"{document.slug}.md") == document.content


def test_the_open_period_waits_until_the_pause_or_a_forced_sync(git_root, people):  # noqa: F811
    ada, _lin = people
    document = make_document(ada)
    append(document, ada, "Typing right now.\n")

    first = sync_document(document_id=document.pk)
    assert first.revision == 0 and first.open_until is not None  # only the creation

    later = sync_document(document_id=document.pk, now=timezone.now() + timedelta(minutes=11))
    assert later.commits == 1 and later.revision == 1

    append(document, ada, "And more.\n")
    forced = sync_document(document_id=document.pk, force=True)
    assert forced.commits == 1 and forced.revision == 2


def test_syncing_again_never_duplicates_commits(git_root, people):  # noqa: F811
    ada, lin = people
    document = make_document(ada)
    append(document, ada, "One.\n")
    append(document, lin, "Two.\n")
    first = sync_document(document_id=document.pk, force=True)
    again = sync_document(document_id=document.pk, force=True)
    assert again.commits == 0 and again.head_sha == first.head_sha
    assert len(log(document.pk)) == 2

    # A sync whose row update was lost (a crash after writing) writes the same commits.
    GitSync.objects.filter(pk=document.pk).update(
        head_sha="", last_revision_committed=-1, commit_count=0
    )
    redo = sync_document(document_id=document.pk, force=True)
    assert redo.head_sha == first.head_sha
    assert len(log(document.pk)) == 2


def test_a_renamed_slug_moves_the_file_in_the_next_commit(git_root, people):  # noqa: F811
    ada, _lin = people
    document = make_document(ada)
    sync_document(document_id=document.pk, force=True)
    type(document).objects.filter(pk=document.pk).update(slug="attention-explained")
    append(document, ada, "Renamed.\n")
    sync_document(document_id=document.pk, force=True)
    document.refresh_from_db()
    assert head_text(document.pk, "attention-explained.md") == document.content
    assert head_text(document.pk, "attention.md") is None


def test_a_merge_is_its_own_commit_with_the_proposal_title(git_root, people):  # noqa: F811
    ada, lin = people
    document = make_document(ada)
    append(document, ada, "Before the merge.\n")
    revision = append(document, lin, "Merged text.\n")
    head = commit_merge(document, revision, "Merge proposal #7: Explain softmax", [lin, ada])
    commits = log(document.pk)
    assert commits[0].id.decode() == head
    assert commits[0].message.decode().startswith("Merge proposal #7: Explain softmax")
    assert commits[0].author.decode().startswith("Lin Chen <lin@")
    assert "Co-authored-by: Ada Lovelace <ada@" in commits[0].message.decode()
    assert commits[1].message.decode().startswith("Edits by ada (revision 1)")


def test_every_edit_schedules_a_sync_through_the_hook(
    git_root,  # noqa: F811
    people,
    eager_tasks,
    django_capture_on_commit_callbacks,
):
    ada, _lin = people
    document = make_document(ada)
    with django_capture_on_commit_callbacks(execute=True):
        append(document, ada, "Hello.\n")
    # The task ran inline: the repository exists with the creation; the period is open.
    assert repository.exists(document.pk)
    assert GitSync.objects.get(pk=document.pk).last_revision_committed == 0


def test_editors_cut_releases_others_may_not(git_root, people):  # noqa: F811
    ada, lin = people
    document = make_document(ada)
    type(document).objects.filter(pk=document.pk).update(edit_policy="members")
    append(document, ada, "Version one.\n")
    api = APIClient()
    api.force_authenticate(lin)
    refused = api.post(f"/api/documents/{document.pk}/releases", {"name": "v1"}, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"

    DocumentMember.objects.create(document=document, user=lin, role=MemberRole.EDITOR)
    made = api.post(
        f"/api/documents/{document.slug}/releases",
        {"name": "v1.0", "message": "First release"},
        format="json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["revision"] == 1 and made.json()["annotated"] is True
    again = api.post(f"/api/documents/{document.pk}/releases", {"name": "v1.0"}, format="json")
    assert again.status_code == 409
    bad = api.post(f"/api/documents/{document.pk}/releases", {"name": "a..b"}, format="json")
    assert bad.status_code == 400 and "name" in bad.json()["error"]["fields"]

    listed = APIClient().get(f"/api/documents/{document.pk}/releases")
    assert [r["name"] for r in listed.json()] == ["v1.0"]
    repo = repository.open_or_init(document.pk)
    assert b"refs/tags/v1.0" in repo.refs.allkeys()


def test_a_lost_repository_is_rebuilt_with_the_same_commits(git_root, people):  # noqa: F811
    import shutil

    ada, _lin = people
    document = make_document(ada)
    append(document, ada, "Kept in the log.\n")
    first = sync_document(document_id=document.pk, force=True)
    shutil.rmtree(repository.path_for(document.pk))
    again = sync_document(document_id=document.pk, force=True)
    assert again.head_sha == first.head_sha and len(log(document.pk)) == 2
