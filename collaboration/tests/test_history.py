"""History: text at a revision, diffs, authorship and the restore operation."""

import random

import pytest

from accounts.tests.factories import UserFactory
from collaboration import history, ot, services
from collaboration.models import Operation, Snapshot
from collaboration.tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db


def commit(document, user, base, ops):
    result = services.document_apply_operation(
        document_id=document.pk,
        user=user,
        base_revision=base,
        client_op_id=f"{user.pk}-{base}-{random.random()}",
        ops=ops,
    )
    assert result.committed, result.error
    return result


@pytest.fixture
def people():
    return UserFactory(username="ada"), UserFactory(username="lin")


@pytest.fixture
def scripted(people):
    """A small history by two people:

    0  "hello"            (created by ada)
    1  "hello world"      lin appends " world"
    2  "Hello world"      ada replaces "h" by "H"
    3  "Hello, world!"    lin inserts "," and "!"
    """
    ada, lin = people
    document = services.document_create(owner=ada, title="Greeting", content="hello")
    commit(document, lin, 0, [5, " world"])
    commit(document, ada, 1, ["H", -1, 10])
    commit(document, lin, 2, [5, ",", 6, "!"])
    return document


TEXTS = ["hello", "hello world", "Hello world", "Hello, world!"]


def test_content_at_every_revision(scripted):
    for revision, text in enumerate(TEXTS):
        assert history.content_at(document_id=scripted.pk, revision=revision) == text


def test_content_at_out_of_range(scripted):
    with pytest.raises(history.RevisionOutOfRange, match="start at 0"):
        history.content_at(document_id=scripted.pk, revision=-1)
    with pytest.raises(history.RevisionOutOfRange, match="at revision 3"):
        history.content_at(document_id=scripted.pk, revision=4)


def test_content_at_across_snapshot_boundaries(people, settings):
    settings.SNAPSHOT_EVERY = 3
    ada, _ = people
    document = services.document_create(owner=ada, title="Count", content="")
    expected = [""]
    rng = random.Random(7)
    for revision in range(11):
        text = expected[-1]
        if text and rng.random() < 0.3:  # delete up to 2 characters
            position = rng.randint(0, len(text) - 1)
            length = min(2, len(text) - position)
            ops = ot.normalize([position, -length, len(text) - position - length])
        else:
            position = rng.randint(0, len(text))
            ops = ot.normalize([position, f"<{revision}>", len(text) - position])
        commit(document, ada, revision, ops)
        expected.append(ot.apply(text, ops))

    assert list(Snapshot.objects.filter(document=document).values_list("revision", flat=True)) == [
        9,
        6,
        3,
        0,
    ]
    for revision, text in enumerate(expected):
        assert history.content_at(document_id=document.pk, revision=revision) == text

    # Without the snapshot at 6, revisions 6..8 are rebuilt from the one at 3.
    Snapshot.objects.filter(document=document, revision=6).delete()
    for revision in range(3, 10):
        assert history.content_at(document_id=document.pk, revision=revision) == expected[revision]


def test_content_at_without_any_snapshot(people):
    ada, _ = people
    # Made by a factory: no snapshot at revision 0, so the start text is unknown...
    document = DocumentFactory(owner=ada, content="abc")
    commit(document, ada, 0, [3, "d"])
    with pytest.raises(history.HistoryUnavailable):
        history.content_at(document_id=document.pk, revision=0)
    assert history.content_at(document_id=document.pk, revision=1) == "abcd"

    # ...unless the document started empty: then the log alone rebuilds it.
    empty = DocumentFactory(owner=ada, content="")
    commit(empty, ada, 0, ["ab"])
    commit(empty, ada, 1, [2, "c"])
    assert history.content_at(document_id=empty.pk, revision=1) == "ab"


def test_revision_list_is_newest_first(scripted, people):
    rows = list(history.revision_list(document_id=scripted.pk))
    assert [row.revision for row in rows] == [3, 2, 1]
    assert [row.user.username for row in rows] == ["lin", "ada", "lin"]


def test_diff(scripted):
    result = history.diff(document_id=scripted.pk, from_revision=0, to_revision=3)
    assert result.lines == [
        {"op": "delete", "text": "hello"},
        {"op": "insert", "text": "Hello, world!"},
    ]
    assert (result.lines_inserted, result.lines_deleted) == (1, 1)
    assert "-hello\n+Hello, world!\n" in result.unified
    assert result.unified.startswith("--- revision 0\n+++ revision 3\n")

    same = history.diff(document_id=scripted.pk, from_revision=2, to_revision=2)
    assert same.lines == [{"op": "equal", "text": "Hello world"}]
    assert same.unified == ""


def test_diff_of_lines(people):
    ada, _ = people
    document = services.document_create(owner=ada, title="Lines", content="a\nb\nc\n")
    commit(document, ada, 0, [2, "B\n", -2, 2, "d\n"])
    result = history.diff(document_id=document.pk, from_revision=0, to_revision=1)
    assert result.lines == [
        {"op": "equal", "text": "a"},
        {"op": "delete", "text": "b"},
        {"op": "insert", "text": "B"},
        {"op": "equal", "text": "c"},
        {"op": "insert", "text": "d"},
    ]
    backwards = history.diff(document_id=document.pk, from_revision=1, to_revision=0)
    assert backwards.lines_inserted == 1 and backwards.lines_deleted == 2


def test_authorship(scripted, people):
    ada, lin = people
    result = history.authorship(document_id=scripted.pk)
    assert result["revision"] == 3
    spans = [(s["start"], s["end"], s["username"]) for s in result["spans"]]
    # "H" ada, "ello" ada (created), "," lin, " world" lin, "!" lin
    assert spans == [(0, 5, "ada"), (5, 13, "lin")]
    assert result["spans"][0]["user_id"] == ada.pk
    assert result["spans"][1]["user_id"] == lin.pk


def test_authorship_tracks_interleaved_edits(people):
    ada, lin = people
    document = services.document_create(owner=ada, title="Mix", content="")
    commit(document, ada, 0, ["aaaa"])
    commit(document, lin, 1, [2, "LL", 2])
    commit(document, ada, 2, [1, -2, 3])  # deletes "aL"
    spans = history.authorship(document_id=document.pk)["spans"]
    text = history.content_at(document_id=document.pk, revision=3)
    assert text == "aLaa"
    assert [(s["start"], s["end"], s["username"]) for s in spans] == [
        (0, 1, "ada"),
        (1, 2, "lin"),
        (2, 4, "ada"),
    ]


def test_authorship_after_pruning_starts_from_a_snapshot(people, settings):
    settings.SNAPSHOT_EVERY = 2
    ada, lin = people
    document = services.document_create(owner=ada, title="Pruned", content="")
    commit(document, ada, 0, ["aa"])
    commit(document, ada, 1, [2, "bb"])
    commit(document, lin, 2, [4, "cc"])
    services.operations_prune(document_id=document.pk, keep=1)  # keeps revision 3
    assert list(Operation.objects.values_list("revision", flat=True)) == [3]
    spans = history.authorship(document_id=document.pk)["spans"]
    # Text from before the kept log has no known author.
    assert [(s["start"], s["end"], s["user_id"]) for s in spans] == [
        (0, 4, None),
        (4, 6, lin.pk),
    ]


def test_authorship_is_run_length_not_per_character(people):
    ada, lin = people
    document = services.document_create(owner=ada, title="Big", content="x" * 200_000)
    commit(document, lin, 0, [100_000, "y", 100_000])
    spans = history.authorship(document_id=document.pk)["spans"]
    assert len(spans) == 3
    assert spans[1] == {"start": 100_000, "end": 100_001, "user_id": lin.pk, "username": "lin"}


def test_authorship_of_a_document_without_history(people):
    ada, _ = people
    document = DocumentFactory(owner=ada, content="abc")
    assert history.authorship(document_id=document.pk)["spans"] == [
        {"start": 0, "end": 3, "user_id": None, "username": None}
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("", ""),
        ("", "abc"),
        ("abc", ""),
        ("same", "same"),
        ("a\nb\nc\n", "a\nB\nc\n"),
        ("one\nTWO\nthree\nfour\n", "one\ntwo\nthree\n"),
        ("no newline at all", "no newline at all, really"),
        ("x\n" * 50, "x\n" * 49 + "y\n"),
        ("😀 emoji\nline", "😀 emoji\nline 😀"),
    ],
)
def test_minimal_operation(old, new):
    ops = history.minimal_operation(old, new)
    assert ot.apply(old, ops) == new
    assert ops == ot.normalize(ops)


def test_minimal_operation_random():
    rng = random.Random(3)
    alphabet = "ab\n"
    for _ in range(300):
        old = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        new = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert ot.apply(old, history.minimal_operation(old, new)) == new
