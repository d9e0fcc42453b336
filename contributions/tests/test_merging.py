"""The three-way merge against the OT core: on random texts and random edits from both
sides, a clean merge is exactly what `ot.transform` makes of the same two operations, it
keeps every character either side inserted, and a conflict is reported exactly when the
two sides touch the same text; the conflict markers hold both sides."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from collaboration import ot
from contributions.proposals import merging

ALPHABET = "ab \n"


@st.composite
def text_and_two_ops(draw):
    base = draw(st.text(alphabet=ALPHABET, max_size=30))

    def operation():
        ops: list = []
        position = 0
        while position < len(base):
            kind = draw(st.sampled_from(["retain", "retain", "delete", "insert"]))
            if kind == "insert":
                ops.append(draw(st.text(alphabet="XYZ\n", min_size=1, max_size=4)))
                continue
            length = draw(st.integers(1, len(base) - position))
            ops.append(length if kind == "retain" else -length)
            position += length
        if draw(st.booleans()):
            ops.append(draw(st.text(alphabet="XYZ", min_size=1, max_size=3)))
        return ot.normalize(ops)

    return base, operation(), operation()


def inserted_pieces(ops) -> list[str]:
    return [component for component in ot.normalize(ops) if isinstance(component, str)]


def touch(a: merging.Change, b: merging.Change) -> bool:
    return merging.conflicting(a, b)


@given(text_and_two_ops())
@settings(max_examples=400, deadline=None)
def test_a_clean_merge_is_what_the_ot_core_makes_of_both_sides(case):
    base, ours, theirs = case
    result = merging.three_way(base, ours, theirs)
    if not result.clean:
        return
    ours_after, _theirs_after = ot.transform(ours, theirs)
    assert result.text == ot.apply(ot.apply(base, theirs), ours_after)
    assert result.marked == result.text


@given(text_and_two_ops())
@settings(max_examples=400, deadline=None)
def test_conflicts_are_reported_exactly_when_both_sides_touch_the_same_text(case):
    base, ours, theirs = case
    result = merging.three_way(base, ours, theirs)
    overlapping = any(
        touch(a, b) for a in merging.changes_of(ours) for b in merging.changes_of(theirs)
    )
    assert result.clean == (not overlapping)


@given(text_and_two_ops())
@settings(max_examples=400, deadline=None)
def test_every_inserted_character_of_both_sides_survives(case):
    base, ours, theirs = case
    result = merging.three_way(base, ours, theirs)
    merged = result.marked
    for piece in inserted_pieces(ours) + inserted_pieces(theirs):
        assert piece in merged
    if not result.clean:
        assert merged.count(merging.MARK_OURS) == len(result.conflicts)
        for conflict in result.conflicts:
            assert conflict.ours in merged and conflict.theirs in merged


@given(st.text(alphabet=ALPHABET, max_size=40))
def test_merging_with_no_change_on_one_side_gives_the_other_side(base):
    theirs = ot.normalize([len(base), "tail"]) if base else ["tail"]
    assert merging.three_way(base, [], theirs).text == base + "tail"
    assert merging.three_way(base, theirs, []).text == base + "tail"


def test_a_conflict_is_widened_to_whole_lines_and_marked_with_both_versions():
    base = "# T\n\nline one\nline two\n"
    result = merging.three_way_texts(
        base,
        "# T\n\nline ONE\nline two\n",
        "# T\n\nline 1\nline two\n",
        theirs_label="document (revision 7)",
    )
    (conflict,) = result.conflicts
    assert (conflict.base, conflict.ours, conflict.theirs) == (
        "line one\n",
        "line ONE\n",
        "line 1\n",
    )
    assert result.marked == (
        "# T\n\n<<<<<<< proposal\nline ONE\n=======\nline 1\n"
        ">>>>>>> document (revision 7)\nline two\n"
    )
    assert merging.has_conflict_markers(result.marked)
    assert not merging.has_conflict_markers(base)


def test_changes_on_different_lines_merge_cleanly():
    base = "a\nb\nc\n"
    result = merging.three_way_texts(base, "A\nb\nc\n", "a\nb\nC\n")
    assert result.clean and result.text == "A\nb\nC\n"


def test_both_inserting_at_the_same_place_is_a_conflict_not_a_coin_toss():
    result = merging.three_way(base="ab", ours_ops=[1, "X", 1], theirs_ops=[1, "Y", 1])
    assert not result.clean
    assert "X" in result.marked and "Y" in result.marked
