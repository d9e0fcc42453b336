"""Suggestion mode over REST and in the services: who may suggest, accept and reject; the
suggestion's passage following the text (moved by edits before it, outdated by edits inside
it); accepting as one revision credited to the suggester; the suggestions proposal that
gathers a person's suggestions and settles when none is pending; bad input refused with
nothing written; the document page's panel and the editor's suggestion switch."""

from __future__ import annotations

import json
import random
import re
import uuid

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from collaboration import ot, services
from collaboration.models import Document, EditPolicy, Operation, Visibility
from community.models import ReputationEvent
from contributions.errors import NotAllowed
from contributions.models import (
    Proposal,
    ProposalEvent,
    ProposalKind,
    ProposalState,
    Suggestion,
    SuggestionState,
)
from contributions.proposals import suggestions

pytestmark = pytest.mark.django_db

TEXT = "# Attention\n\nThe quick brown fox jumps over teh lazy dog.\n"


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def owner():
    return UserFactory(username="owner")


@pytest.fixture
def reader():
    return UserFactory(username="rita")


@pytest.fixture
def document(owner):
    """Public, edited by its owner only: everyone else reads and may suggest."""
    return services.document_create(
        owner=owner, title="Attention", content=TEXT, edit_policy=EditPolicy.MEMBERS
    )


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def suggest(user, document, start, end, text, revision=None):
    document.refresh_from_db()
    return client_for(user).post(
        f"/api/documents/{document.pk}/suggestions",
        {
            "start": start,
            "end": end,
            "text": text,
            "revision": document.revision if revision is None else revision,
        },
        format="json",
    )


def at(document, passage: str) -> tuple[int, int]:
    document.refresh_from_db()
    start = document.content.index(passage)
    return start, start + len(passage)


def edit(document, user, ops, django_capture_on_commit_callbacks) -> int:
    """A live edit by `user`; the post-commit hook runs once it commits."""
    document.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        result = services.document_apply_operation(
            document_id=document.pk,
            user=user,
            base_revision=document.revision,
            client_op_id=f"test-{uuid.uuid4().hex}",
            ops=ot.normalize(ops),
        )
    assert result.committed, result.error
    document.refresh_from_db()
    return result.revision


def replace(document, user, passage, by, capture) -> int:
    start, end = at(document, passage)
    return edit(document, user, [start, by, -(end - start), len(document.content) - end], capture)


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


def nothing_written(document) -> None:
    document.refresh_from_db()
    assert document.content == TEXT
    assert document.revision == 0
    assert not Suggestion.objects.exists()
    assert not Proposal.objects.exists()


# --- suggesting ------------------------------------------------------------------------------


def test_a_reader_who_may_not_edit_suggests_and_the_text_does_not_change(document, reader):
    start, end = at(document, "teh")
    response = suggest(reader, document, start, end, "the")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["original"] == "teh"
    assert body["text"] == "the"
    assert (body["start"], body["end"], body["revision"]) == (start, end, 0)
    assert body["state"] == "pending"
    assert body["author"] == {"id": reader.pk, "username": "rita"}
    document.refresh_from_db()
    assert document.content == TEXT
    proposal = Proposal.objects.get()
    assert proposal.kind == ProposalKind.SUGGESTIONS
    assert proposal.title == "Suggestions by rita"
    assert proposal.branch_id is None
    assert proposal.state == ProposalState.OPEN
    assert body["proposal"]["id"] == proposal.pk
    assert body["proposal"]["url"] == f"/proposals/{proposal.pk}/"
    kinds = list(ProposalEvent.objects.values_list("kind", flat=True))
    assert kinds == ["opened", "suggested"]


def test_later_suggestions_join_the_same_open_proposal(document, reader, owner):
    suggest(reader, document, *at(document, "quick"), "swift")
    suggest(reader, document, *at(document, "lazy"), "sleepy")
    suggest(owner, document, *at(document, "brown"), "red")
    assert Proposal.objects.filter(author=reader).count() == 1
    assert Proposal.objects.get(author=reader).suggestions.count() == 2
    assert Proposal.objects.get(author=owner).suggestions.count() == 1


def test_typing_on_at_the_edge_extends_the_pending_suggestion(document, reader):
    start, end = at(document, "lazy")
    first = suggest(reader, document, end, end, " and")
    assert first.status_code == 201
    # Typed on after a pause: the same place, right after the text suggested so far.
    second = suggest(reader, document, end, end, " tired")
    assert second.status_code == 200, second.content
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["text"] == " and tired"
    # Deleting backwards in front of it grows the passage it replaces.
    third = suggest(reader, document, start, end, "")
    assert third.status_code == 200
    assert (third.json()["original"], third.json()["text"]) == ("lazy", " and tired")
    assert Suggestion.objects.count() == 1
    assert ProposalEvent.objects.filter(kind="suggested").count() == 1


def test_suggesting_away_what_was_suggested_withdraws_it(document, reader):
    start, end = at(document, "quick")
    suggest(reader, document, start, end, "")
    response = suggest(reader, document, start, start, "quick")
    assert response.status_code == 200
    assert response.json()["state"] == "rejected"
    assert Proposal.objects.get().state == ProposalState.CLOSED


def test_its_author_rewrites_a_pending_suggestion_with_replaces(document, reader, owner):
    start, end = at(document, "teh")
    created = suggest(reader, document, start, end, "thee").json()
    # Backspacing inside the suggested text: the editor sends the whole new replacement.
    body = {"start": start, "end": end, "text": "the", "revision": 0, "replaces": created["id"]}
    rewritten = client_for(reader).post(
        f"/api/documents/{document.pk}/suggestions", body, format="json"
    )
    assert rewritten.status_code == 200, rewritten.content
    assert (rewritten.json()["id"], rewritten.json()["text"]) == (created["id"], "the")
    # Only one's own pending suggestions can be rewritten.
    theirs = client_for(owner).post(
        f"/api/documents/{document.pk}/suggestions", body, format="json"
    )
    assert theirs.status_code == 400
    assert "replaces" in error_of(theirs)["fields"]
    assert Suggestion.objects.get().text == "the"
    # Rewritten back to the text that is there: withdrawn.
    back = {**body, "text": "teh"}
    withdrawn = client_for(reader).post(
        f"/api/documents/{document.pk}/suggestions", back, format="json"
    )
    assert withdrawn.json()["state"] == "rejected"
    assert Proposal.objects.get().state == ProposalState.CLOSED


def test_a_suggestion_on_an_older_revision_is_moved_to_the_current_text(
    document, reader, owner, django_capture_on_commit_callbacks
):
    start, end = at(document, "lazy")
    edit(document, owner, [0, "Intro.\n", len(TEXT)], django_capture_on_commit_callbacks)
    response = suggest(reader, document, start, end, "sleepy", revision=0)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["revision"] == 1
    assert (body["start"], body["end"]) == at(document, "lazy")
    assert body["original"] == "lazy"


def test_a_suggestion_on_a_passage_edited_since_is_refused(
    document, reader, owner, django_capture_on_commit_callbacks
):
    start, end = at(document, "lazy")
    replace(document, owner, "lazy", "idle", django_capture_on_commit_callbacks)
    response = suggest(reader, document, start, end, "sleepy", revision=0)
    assert response.status_code == 409
    assert error_of(response)["code"] == "outdated"
    assert not Suggestion.objects.exists()


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"start": 0, "end": 10_000, "text": "x"}, 400, "start"),
        ({"start": 5, "end": 3, "text": "x"}, 400, "start"),
        ({"start": -1, "end": 3, "text": "x"}, 400, "start"),
        ({"start": 3, "end": 3, "text": "a\x00b"}, 400, "text"),
        ({"start": 3, "end": 3, "text": ""}, 400, "text"),
        ({"start": 3, "end": 3, "text": "x" * (suggestions.TEXT_MAX + 1)}, 400, "text"),
        ({"start": 3, "end": 3, "text": "x", "revision": 7}, 400, "revision"),
        ({"start": "three", "end": 4, "text": "x"}, 400, "start"),
        ({"start": 2, "end": 11, "text": "Attention"}, 400, "text"),
        ({"end": 4, "text": "x"}, 400, "start"),
    ],
)
def test_bad_input_is_a_400_and_writes_nothing(document, reader, fields, status, field):
    body = {"revision": 0, **fields}
    response = client_for(reader).post(
        f"/api/documents/{document.pk}/suggestions", body, format="json"
    )
    assert response.status_code == status, response.content
    error = error_of(response)
    if field is not None:
        assert field in error["fields"], error
    nothing_written(document)


def test_a_revision_older_than_the_kept_history_is_refused(
    document, reader, owner, django_capture_on_commit_callbacks, settings
):
    settings.SNAPSHOT_EVERY = 2
    for n in range(4):
        edit(document, owner, [len(TEXT) + n, "!"], django_capture_on_commit_callbacks)
    services.operations_prune(document_id=document.pk, keep=1)
    response = suggest(reader, document, 2, 11, "Focus", revision=0)
    assert response.status_code == 409, response.content
    assert error_of(response)["code"] == "revision_too_old"
    assert not Suggestion.objects.exists()


def test_signed_out_people_cannot_suggest(document):
    response = client_for().post(
        f"/api/documents/{document.pk}/suggestions",
        {"start": 0, "end": 1, "text": "x", "revision": 0},
        format="json",
    )
    assert response.status_code == 401
    nothing_written(document)


def test_a_document_one_may_not_read_is_not_found(owner, reader):
    private = services.document_create(
        owner=owner, title="Secret", content=TEXT, visibility=Visibility.PRIVATE
    )
    response = suggest(reader, private, 0, 1, "x")
    assert response.status_code == 404
    assert client_for(reader).get(f"/api/documents/{private.pk}/suggestions").status_code == 404
    assert not Suggestion.objects.exists()


# --- listing ---------------------------------------------------------------------------------


def test_pending_suggestions_are_listed_in_text_order_for_any_reader(document, reader, owner):
    suggest(reader, document, *at(document, "lazy"), "sleepy")
    suggest(owner, document, *at(document, "quick"), "swift")
    listed = client_for().get(f"/api/documents/{document.slug}/suggestions")
    assert listed.status_code == 200
    assert [s["text"] for s in listed.json()["results"]] == ["swift", "sleepy"]
    lazy = Suggestion.objects.get(text="sleepy")
    client_for(owner).post(f"/api/suggestions/{lazy.pk}/reject")
    pending = client_for(reader).get(f"/api/documents/{document.pk}/suggestions").json()
    assert [s["text"] for s in pending["results"]] == ["swift"]
    rejected = client_for(reader).get(f"/api/documents/{document.pk}/suggestions?state=rejected")
    assert [s["text"] for s in rejected.json()["results"]] == ["sleepy"]
    bad = client_for(reader).get(f"/api/documents/{document.pk}/suggestions?state=maybe")
    assert bad.status_code == 400
    assert "state" in error_of(bad)["fields"]


def test_suggestions_of_a_closed_proposal_are_not_pending(document, reader):
    suggest(reader, document, *at(document, "lazy"), "sleepy")
    proposal = Proposal.objects.get()
    assert client_for(reader).post(f"/api/proposals/{proposal.pk}/close").status_code == 200
    listed = client_for(reader).get(f"/api/documents/{document.pk}/suggestions").json()
    assert listed["results"] == []
    suggestion = Suggestion.objects.get()
    response = client_for(document.owner).post(f"/api/suggestions/{suggestion.pk}/accept")
    assert response.status_code == 409
    assert "reopen" in error_of(response)["message"]


# --- following the text ----------------------------------------------------------------------


def test_the_passage_moves_when_someone_edits_before_it(
    document, reader, owner, django_capture_on_commit_callbacks
):
    suggest(reader, document, *at(document, "lazy"), "sleepy")
    edit(document, owner, [0, "Preface.\n\n", len(TEXT)], django_capture_on_commit_callbacks)
    suggestion = Suggestion.objects.get()
    assert suggestion.state == SuggestionState.PENDING
    assert (suggestion.start, suggestion.end) == at(document, "lazy")
    assert suggestion.revision == document.revision
    # Typing right against its edges leaves it whole, and outside it.
    start, end = at(document, "lazy")
    edit(
        document, owner, [end, "!", len(document.content) - end], django_capture_on_commit_callbacks
    )
    edit(
        document,
        owner,
        [start, "*", len(document.content) - start],
        django_capture_on_commit_callbacks,
    )
    suggestion.refresh_from_db()
    assert suggestion.state == SuggestionState.PENDING
    assert document.content[suggestion.start : suggestion.end] == "lazy"


def test_the_suggestion_is_outdated_when_its_passage_is_edited(
    document, reader, owner, django_capture_on_commit_callbacks
):
    suggest(reader, document, *at(document, "lazy"), "sleepy")
    replace(document, owner, "az", "A", django_capture_on_commit_callbacks)
    suggestion = Suggestion.objects.get()
    assert suggestion.state == SuggestionState.OUTDATED
    assert suggestion.original == "lazy"  # the quote stays for people to read
    # Nothing was pending any more and nothing was accepted: the proposal closed.
    assert suggestion.proposal.state == ProposalState.CLOSED
    listed = client_for(reader).get(f"/api/documents/{document.pk}/suggestions").json()
    assert listed["results"] == []


def test_a_suggested_insertion_moves_like_a_cursor_and_never_goes_stale(
    document, reader, owner, django_capture_on_commit_callbacks
):
    _start, end = at(document, "dog")
    suggest(reader, document, end, end, "s")
    replace(document, owner, "dog", "cat", django_capture_on_commit_callbacks)
    suggestion = Suggestion.objects.get()
    assert suggestion.state == SuggestionState.PENDING
    assert suggestion.start == suggestion.end == at(document, "cat")[1]


@pytest.mark.parametrize("seed", range(40))
def test_a_passage_follows_the_text_exactly_as_the_ot_core_moves_a_range(seed):
    rng = random.Random(seed)
    text = "".join(rng.choice("ab \n😀é") for _ in range(rng.randint(1, 30)))
    start = rng.randint(0, len(text))
    end = rng.randint(start, len(text))
    position = rng.randint(0, len(text))
    if rng.random() < 0.5:
        insert = "".join(rng.choice("xy😀") for _ in range(rng.randint(1, 3)))
        ops = ot.normalize([position, insert, len(text) - position])
    else:
        stop = rng.randint(position, len(text))
        ops = ot.normalize([position, -(stop - position), len(text) - stop])
    after = ot.apply(text, ops)
    moved = suggestions.passage_after(start, end, ops)
    if moved is None:
        # Only an edit inside a non-empty passage makes it stale.
        assert start < end
        assert suggestions.edits_inside(start, end, ops)
    else:
        assert moved == ot.transform_range(start, end, ops)
        assert after[moved[0] : moved[1]] == text[start:end]


def test_extending_joins_edits_at_either_edge_and_leaves_others_apart():
    assert suggestions.extend((5, 8, "abc"), (8, 8, "d")) == suggestions.Extension(5, 8, "abcd")
    assert suggestions.extend((5, 8, "abc"), (8, 10, "")) == suggestions.Extension(5, 10, "abc")
    assert suggestions.extend((5, 8, ""), (4, 5, "")) == suggestions.Extension(4, 8, "")
    assert suggestions.extend((5, 8, "x"), (6, 9, "y")) == suggestions.Extension(5, 9, "xy")
    assert suggestions.extend((5, 8, "x"), (2, 3, "y")) is None
    assert suggestions.extend((5, 8, "x"), (9, 9, "y")) is None


# --- accepting -------------------------------------------------------------------------------


def test_accepting_commits_the_replacement_credited_to_the_suggester(
    document, reader, owner, django_capture_on_commit_callbacks
):
    created = suggest(reader, document, *at(document, "teh"), "the").json()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(f"/api/suggestions/{created['id']}/accept")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "accepted"
    assert body["decided_by"] == "owner"
    document.refresh_from_db()
    assert document.content == TEXT.replace("teh", "the")
    assert body["merged_revision"] == document.revision == 1
    operation = Operation.objects.get(document=document, revision=1)
    assert operation.user_id == reader.pk
    assert operation.actor_id == owner.pk
    assert operation.source == "suggestion"
    # The exact replacement, not a rewrite of the line: the rest of it is retained.
    start = TEXT.index("teh")
    assert operation.ops == ot.normalize([start, "the", -3, len(TEXT) - start - 3])
    # Nothing left pending, one accepted: the proposal is merged and its author credited.
    proposal = Proposal.objects.get()
    assert proposal.state == ProposalState.MERGED
    assert proposal.merged_by == owner
    assert proposal.merged_revision == 1
    assert (proposal.lines_added, proposal.lines_removed) == (1, 1)
    assert ReputationEvent.objects.filter(user=reader, source=f"merge:{proposal.pk}").exists()
    kinds = list(ProposalEvent.objects.values_list("kind", flat=True))
    assert kinds == ["opened", "suggested", "suggestion_accepted", "merged"]


def test_accepting_one_leaves_another_on_the_same_line_valid(
    document, reader, owner, django_capture_on_commit_callbacks
):
    quick = suggest(reader, document, *at(document, "quick"), "swift").json()
    lazy = suggest(reader, document, *at(document, "lazy"), "sleepy").json()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(owner).post(f"/api/suggestions/{quick['id']}/accept")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(f"/api/suggestions/{lazy['id']}/accept")
    assert response.status_code == 200, response.content
    document.refresh_from_db()
    assert "The swift brown fox jumps over teh sleepy dog." in document.content
    assert Proposal.objects.get().state == ProposalState.MERGED


def test_a_reader_can_suggest_but_not_accept(document, reader):
    created = suggest(reader, document, *at(document, "teh"), "the").json()
    other = UserFactory()
    for person in (reader, other):
        response = client_for(person).post(f"/api/suggestions/{created['id']}/accept")
        assert response.status_code == 403
        assert error_of(response)["code"] == "permission_denied"
    assert client_for().post(f"/api/suggestions/{created['id']}/accept").status_code == 401
    document.refresh_from_db()
    assert document.content == TEXT
    assert Suggestion.objects.get().state == SuggestionState.PENDING


def test_accepting_an_outdated_suggestion_is_refused_and_marks_it(
    document, reader, owner, django_capture_on_commit_callbacks
):
    created = suggest(reader, document, *at(document, "teh"), "the").json()
    # The edit lands but the hook has not moved the suggestion yet (no on-commit here).
    start, end = at(document, "teh")
    services.document_apply_operation(
        document_id=document.pk,
        user=owner,
        base_revision=0,
        client_op_id="typo-fixed",
        ops=[start, "THE", -3, len(TEXT) - end],
    )
    response = client_for(owner).post(f"/api/suggestions/{created['id']}/accept")
    assert response.status_code == 409
    assert error_of(response)["code"] == "outdated"
    document.refresh_from_db()
    assert "THE lazy" in document.content
    assert Suggestion.objects.get().state == SuggestionState.OUTDATED
    assert Proposal.objects.get().state == ProposalState.CLOSED


def test_a_decided_suggestion_cannot_be_decided_again(document, reader, owner):
    created = suggest(reader, document, *at(document, "teh"), "the").json()
    assert client_for(owner).post(f"/api/suggestions/{created['id']}/accept").status_code == 200
    again = client_for(owner).post(f"/api/suggestions/{created['id']}/reject")
    assert again.status_code == 409
    assert "already accepted" in error_of(again)["message"]
    assert Operation.objects.filter(document=document).count() == 1


# --- rejecting -------------------------------------------------------------------------------


def test_another_persons_suggestion_cannot_be_rejected_by_a_non_editor(document, reader, owner):
    created = suggest(reader, document, *at(document, "teh"), "the").json()
    stranger = UserFactory()
    response = client_for(stranger).post(f"/api/suggestions/{created['id']}/reject")
    assert response.status_code == 403
    assert Suggestion.objects.get().state == SuggestionState.PENDING
    assert client_for().post(f"/api/suggestions/{created['id']}/reject").status_code == 401
    assert client_for(stranger).post("/api/suggestions/999999/reject").status_code == 404


def test_the_author_withdraws_and_an_editor_rejects(document, reader, owner):
    mine = suggest(reader, document, *at(document, "teh"), "the").json()
    theirs = suggest(reader, document, *at(document, "quick"), "swift").json()
    withdrawn = client_for(reader).post(f"/api/suggestions/{mine['id']}/reject")
    assert withdrawn.status_code == 200
    assert withdrawn.json()["state"] == "rejected"
    assert Proposal.objects.get().state == ProposalState.OPEN  # one still pending
    rejected = client_for(owner).post(f"/api/suggestions/{theirs['id']}/reject")
    assert rejected.json()["decided_by"] == "owner"
    document.refresh_from_db()
    assert document.content == TEXT
    assert Proposal.objects.get().state == ProposalState.CLOSED
    events = list(
        ProposalEvent.objects.filter(kind="suggestion_rejected").values_list("data", flat=True)
    )
    assert [e["withdrawn"] for e in events] == [True, False]


# --- all at once -----------------------------------------------------------------------------


def test_accept_all_commits_each_and_marks_overlapping_ones_outdated(
    document, reader, owner, django_capture_on_commit_callbacks
):
    suggest(reader, document, *at(document, "quick"), "swift")
    suggest(reader, document, *at(document, "lazy"), "sleepy")
    proposal = Proposal.objects.get()
    # Someone else's suggestion overlapping "lazy dog": outdated once "lazy" is replaced.
    suggest(owner, document, *at(document, "lazy dog"), "cat")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(f"/api/proposals/{proposal.pk}/suggestions/accept-all")
    assert response.status_code == 200, response.content
    assert response.json() == {"accepted": 2, "rejected": 0, "outdated": 0}
    document.refresh_from_db()
    assert "The swift brown fox jumps over teh sleepy dog." in document.content
    assert [op.user_id for op in Operation.objects.filter(document=document)] == [reader.pk] * 2
    assert Suggestion.objects.get(text="cat").state == SuggestionState.OUTDATED
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.MERGED


def test_reject_all_needs_an_editor_or_the_author(document, reader, owner):
    suggest(reader, document, *at(document, "quick"), "swift")
    suggest(reader, document, *at(document, "lazy"), "sleepy")
    proposal = Proposal.objects.get()
    url = f"/api/proposals/{proposal.pk}/suggestions/reject-all"
    assert client_for(UserFactory()).post(url).status_code == 403
    assert client_for(reader).post(f"{url.replace('reject', 'accept')}").status_code == 403
    response = client_for(owner).post(url)
    assert response.json() == {"accepted": 0, "rejected": 2, "outdated": 0}
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.CLOSED


def test_a_branch_proposal_has_no_suggestions_to_accept(document, owner):
    reader = UserFactory()
    created = client_for(reader).post(
        "/api/proposals", {"document_id": document.pk, "title": "Rework"}, format="json"
    )
    assert created.status_code == 201, created.content
    response = client_for(owner).post(
        f"/api/proposals/{created.json()['id']}/suggestions/accept-all"
    )
    assert response.status_code == 400
    branch = Document.objects.get(branch_of=document)
    on_branch = suggest(reader, branch, 0, 1, "x")
    assert on_branch.status_code == 400


def test_the_service_refuses_people_who_are_not_signed_in(document):
    with pytest.raises(NotAllowed):
        suggestions.suggestion_create(
            document=document, user=None, start=0, end=1, text="x", revision=0
        )


# --- pages -----------------------------------------------------------------------------------


def test_the_document_page_counts_pending_suggestions_with_links(client, document, reader):
    suggest(reader, document, *at(document, "quick"), "swift")
    suggest(reader, document, *at(document, "lazy"), "sleepy")
    proposal = Proposal.objects.get()
    page = client.get(document.get_absolute_url()).content.decode()
    assert "Suggested changes" in page
    assert "2</strong> suggestions waiting" in page
    assert f'href="/proposals/{proposal.pk}/"' in page
    assert "#1 by rita" in page


def test_the_document_page_has_no_panel_without_pending_suggestions(client, document):
    assert "Suggested changes" not in client.get(document.get_absolute_url()).content.decode()


def _editor_data(client, document) -> dict:
    page = client.get(f"{document.get_absolute_url()}edit/").content.decode()
    found = re.search(
        r'<script id="editor-suggestions-data" type="application/json">(.*?)</script>',
        page,
        re.S,
    )
    assert found, "the editor page carries the suggestions data"
    return json.loads(found.group(1)), page


def test_the_editor_offers_suggesting_to_readers_and_deciding_to_editors(
    client, document, reader, owner
):
    client.force_login(reader)
    data, page = _editor_data(client, document)
    assert data["canDecide"] is False
    assert data["listUrl"] == f"/api/documents/{document.pk}/suggestions"
    assert data["acceptUrl"] == "/api/suggestions/{id}/accept"
    assert 'id="suggest-toggle"' in page
    client.force_login(owner)
    data, _page = _editor_data(client, document)
    assert data["canDecide"] is True
