"""Property tests for collaboration.ot: pure Python, no database, no Django."""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collaboration import ot
from collaboration.ot import InvalidOperation, Op, Operation

# Enough examples to find edge cases, few enough that the file runs in a few seconds.
# No deadline: a loaded CI machine must not turn a slow example into a failure.
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# For properties whose input space is small or that only restate a definition.
LIGHT = settings(PROPERTY, max_examples=100)

# Astral characters (one code point, two UTF-16 units), CJK, a combining accent, newlines.
MATH_A = "\U0001d538"  # MATHEMATICAL DOUBLE-STRUCK CAPITAL A, written escaped for the linter
SPECIAL_CHARS = "ab \n😀" + MATH_A + "漢字かé\u0301"
chars = st.sampled_from(SPECIAL_CHARS) | st.characters(exclude_categories=["Cs"])
docs = st.text(alphabet=chars, max_size=30)
insert_texts = st.text(alphabet=chars, min_size=1, max_size=5)


@st.composite
def operations(draw: st.DrawFn, doc: str, max_components: int = 6) -> Operation:
    """A valid, usually non-canonical op that walks ``doc`` from start to end."""
    remaining = len(doc)
    ops: Operation = []
    for _ in range(draw(st.integers(0, max_components))):
        kind = draw(st.sampled_from(["retain", "delete", "insert"]))
        if kind == "insert":
            ops.append(draw(insert_texts))
        elif remaining:
            n = draw(st.integers(1, remaining))
            remaining -= n
            ops.append(n if kind == "retain" else -n)
    if remaining:
        ops.append(remaining if draw(st.booleans()) else -remaining)
    return ops


@st.composite
def doc_and_op(draw: st.DrawFn) -> tuple[str, Operation]:
    doc = draw(docs)
    return doc, draw(operations(doc))


@st.composite
def doc_and_two_concurrent_ops(draw: st.DrawFn) -> tuple[str, Operation, Operation]:
    doc = draw(docs)
    return doc, draw(operations(doc)), draw(operations(doc))


@st.composite
def doc_and_two_sequential_ops(draw: st.DrawFn) -> tuple[str, Operation, Operation]:
    doc = draw(docs)
    a = draw(operations(doc))
    return doc, a, draw(operations(ot.apply(doc, a)))


# --- reference implementations, one code point at a time ------------------------------------
# Deliberately naive and independent of ot.py's splitting logic: every component is expanded
# into single-character atoms, ("r",) retain, ("d",) delete, ("i", ch) insert.

Atom = tuple[str, ...]


def atoms(ops: list[Op]) -> list[Atom]:
    out: list[Atom] = []
    for c in ops:
        if isinstance(c, str):
            out.extend(("i", ch) for ch in c)
        else:
            out.extend([("r",) if c > 0 else ("d",)] * abs(c))
    return out


def from_atoms(items: list[Atom]) -> Operation:
    return ot.normalize([a[1] if a[0] == "i" else (1 if a[0] == "r" else -1) for a in items])


def ref_apply(doc: str, ops: list[Op]) -> str:
    out, pos = [], 0
    for atom in atoms(ops):
        if atom[0] == "i":
            out.append(atom[1])
        elif atom[0] == "r":
            out.append(doc[pos])
            pos += 1
        else:
            pos += 1
    assert pos == len(doc)
    return "".join(out)


def ref_transform(a: list[Op], b: list[Op]) -> tuple[Operation, Operation]:
    xs, ys = atoms(ot.normalize(a)), atoms(ot.normalize(b))
    out_a: list[Atom] = []
    out_b: list[Atom] = []
    i = j = 0
    while i < len(xs) or j < len(ys):
        if i < len(xs) and xs[i][0] == "i":  # a's insert first: the tie-break
            out_a.append(xs[i])
            out_b.append(("r",))
            i += 1
        elif j < len(ys) and ys[j][0] == "i":
            out_a.append(("r",))
            out_b.append(ys[j])
            j += 1
        else:
            x, y = xs[i][0], ys[j][0]
            if x == "r" and y == "r":
                out_a.append(("r",))
                out_b.append(("r",))
            elif x == "d" and y == "r":
                out_a.append(("d",))
            elif x == "r" and y == "d":
                out_b.append(("d",))
            i += 1
            j += 1
    return from_atoms(out_a), from_atoms(out_b)


def ref_compose(a: list[Op], b: list[Op]) -> Operation:
    xs, ys = atoms(a), atoms(b)
    out: list[Atom] = []
    i = j = 0
    while i < len(xs) or j < len(ys):
        if i < len(xs) and xs[i][0] == "d":
            out.append(xs[i])
            i += 1
        elif j < len(ys) and ys[j][0] == "i":
            out.append(ys[j])
            j += 1
        else:
            x, y = xs[i], ys[j]
            if y[0] == "r":
                out.append(x)  # b keeps whatever a produced: a retain or a's inserted char
            elif x[0] == "r":
                out.append(("d",))  # b deletes an original char
            # else b deletes a char a inserted: it never appears
            i += 1
            j += 1
    return from_atoms(out)


def is_canonical(ops: Operation) -> bool:
    for index, c in enumerate(ops):
        if c == 0 or c == "":
            return False
        if index:
            prev = ops[index - 1]
            if isinstance(prev, str) and isinstance(c, str):
                return False
            if isinstance(prev, int) and isinstance(c, int) and (prev > 0) == (c > 0):
                return False
            if isinstance(prev, int) and prev < 0 and isinstance(c, str):
                return False
    return True


def retained_map(doc: str, ops: list[Op]) -> dict[int, int]:
    """Old index -> new index of every character that ``ops`` keeps."""
    mapping, old, new = {}, 0, 0
    for c in ops:
        if isinstance(c, str):
            new += len(c)
        elif c > 0:
            for k in range(c):
                mapping[old + k] = new + k
            old += c
            new += c
        else:
            old -= c
    return mapping


# --- the examples of the protocol ------------------------------------------------------------


def test_protocol_examples() -> None:
    assert ot.apply("hello", [5, " world"]) == "hello world"
    assert ot.apply("hello", [1, -4]) == "h"
    assert ot.apply("hello", ["bye", -5]) == ot.apply("hello", [-5, "bye"]) == "bye"


def test_empty_op_is_identity_on_any_document() -> None:
    for doc in ["", "x", "hello 😀"]:
        assert ot.apply(doc, []) == doc
        assert ot.validate([], len(doc)) == []
        assert ot.invert([], doc) == []
    assert ot.normalize([]) == []
    assert ot.compose([], []) == []
    assert ot.compose([], [5, "x"]) == [5, "x"]
    assert ot.compose([2, -3], []) == [2, -3]
    assert ot.transform([], [3, "x"]) == ([], [3, "x"])
    assert ot.transform([3, "x"], []) == ([3, "x"], [])
    assert ot.transform([], []) == ([], [])
    assert ot.transform_position(7, []) == 7
    assert ot.changed_length([]) == (0, 0)
    assert ot.base_length([]) == ot.target_length([]) == 0


def test_astral_characters_count_as_one_code_point() -> None:
    doc = f"a😀{MATH_A}漢b"
    assert ot.apply(doc, [1, -1, "x", 3]) == f"ax{MATH_A}漢b"
    assert ot.apply(doc, [4, "!", 1]) == f"a😀{MATH_A}漢!b"
    assert ot.from_simple({"operation": "delete", "position": 2, "length": 2}, len(doc)) == [
        2,
        -2,
        1,
    ]


def test_apply_rejects_wrong_length_with_a_clear_message() -> None:
    with pytest.raises(InvalidOperation, match="ops length 12 does not match document length 14"):
        ot.apply("x" * 14, [12])
    with pytest.raises(InvalidOperation, match="ops length 16 does not match document length 14"):
        ot.apply("x" * 14, [10, -6])
    with pytest.raises(InvalidOperation, match="has type bool"):
        ot.apply("ab", [True, 1])


def test_apply_large_document() -> None:
    doc = "😀漢a" * 333_334  # 1,000,002 code points
    ops: Operation = []
    for _ in range(1000):
        ops += [999, "xy", -1]
    ops.append(len(doc) - 1_000_000)
    result = ot.apply(doc, ops)
    assert len(result) == ot.target_length(ops) == len(doc) + 1000
    assert result[:1002] == doc[:999] + "xy" + doc[1000:1001]


def test_transform_and_compose_cost_does_not_grow_with_document_length() -> None:
    # A character-by-character implementation would never finish on these lengths.
    huge = 10**12
    assert ot.transform([huge, "x"], [-huge]) == (["x"], [-huge, 1])
    assert ot.transform([5, -(huge - 10), 5], [huge - 3, "y", 3]) == (
        [5, -(huge - 10), 6],
        [7, "y", 3],
    )
    assert ot.compose([huge, "x"], [-huge, 1]) == ["x", -huge]
    assert ot.transform_position(huge - 1, [1, "ab", huge - 1]) == huge + 1


# --- normalize -------------------------------------------------------------------------------


def test_normalize_examples() -> None:
    assert ot.normalize([2, 3, "a", "b", -1, -1]) == [5, "ab", -2]
    assert ot.normalize([-1, "a", -2, "b", 3]) == ["ab", -3, 3]
    assert ot.normalize([0, "", 4, 0]) == [4]
    assert ot.normalize([0, ""]) == []
    assert ot.normalize([3, "x", 2]) == [3, "x", 2]  # the trailing retain stays


@PROPERTY
@given(doc_and_op())
def test_normalize_is_idempotent_canonical_and_preserves_apply(case: tuple[str, Operation]) -> None:
    doc, ops = case
    canonical = ot.normalize(ops)
    assert ot.normalize(canonical) == canonical
    assert is_canonical(canonical)
    assert ot.apply(doc, canonical) == ot.apply(doc, ops) == ref_apply(doc, ops)
    assert ot.base_length(canonical) == ot.base_length(ops) == len(doc)
    assert ot.target_length(canonical) == len(ot.apply(doc, ops))
    assert ot.changed_length(canonical) == ot.changed_length(ops)


@LIGHT
@given(doc_and_op())
def test_changed_length_counts_inserted_and_deleted_code_points(
    case: tuple[str, Operation],
) -> None:
    doc, ops = case
    inserted, deleted = ot.changed_length(ops)
    assert inserted == sum(len(c) for c in ops if isinstance(c, str))
    assert deleted == sum(-c for c in ops if isinstance(c, int) and c < 0)
    assert len(ot.apply(doc, ops)) == len(doc) + inserted - deleted


# --- validate --------------------------------------------------------------------------------


@LIGHT
@given(doc_and_op(), st.integers(1, 5))
def test_validate_accepts_valid_ops_and_checks_base_length(
    case: tuple[str, Operation], wrong_by: int
) -> None:
    doc, ops = case
    assert ot.validate(ops, len(doc)) == ot.normalize(ops)
    assert ot.validate(ops) == ot.normalize(ops)
    if ops:
        with pytest.raises(InvalidOperation, match="does not match document length"):
            ot.validate(ops, len(doc) + wrong_by)


@pytest.mark.parametrize(
    ("ops", "reason"),
    [
        (None, "ops must be a list, got null"),
        ({"ops": [1]}, "ops must be a list, got dict"),
        ("abc", "ops must be a list, got str"),
        (5, "ops must be a list, got int"),
        ((1, "x"), "ops must be a list, got tuple"),
        ([True], "component 0 has type bool"),
        ([3, False], "component 1 has type bool"),
        ([1.0], "component 0 has type float"),
        ([2, "x", 1.5], "component 2 has type float"),
        ([1, [2]], "component 1 has type list"),
        ([None], "component 0 has type null"),
        ([{"d": 1}], "component 0 has type dict"),
        ([1, 2, 0, 3], "component 2 is 0: zero-length components are not allowed"),
        ([1, ""], "component 1 is an empty string: insert is empty"),
        (["ok", "a\ud800b"], "component 1 contains a lone surrogate U\\+D800 at offset 1"),
        (["\udfff"], "lone surrogate U\\+DFFF"),
    ],
)
def test_validate_rejects(ops: object, reason: str) -> None:
    with pytest.raises(InvalidOperation, match=reason):
        ot.validate(ops)


def test_validate_rejects_wrong_base_length() -> None:
    with pytest.raises(InvalidOperation, match="ops length 12 does not match document length 14"):
        ot.validate([12, "new content"], 14)
    with pytest.raises(InvalidOperation, match="ops length 0 does not match document length 3"):
        ot.validate(["x"], 3)
    assert ot.validate([12, "new content", 2], 14) == [12, "new content", 2]
    assert issubclass(InvalidOperation, ValueError)


# --- transform -------------------------------------------------------------------------------


@PROPERTY
@given(doc_and_two_concurrent_ops())
def test_transform_converges(case: tuple[str, Operation, Operation]) -> None:
    doc, a, b = case
    a2, b2 = ot.transform(a, b)
    assert ot.apply(ot.apply(doc, a), b2) == ot.apply(ot.apply(doc, b), a2)
    if a2:  # [] is the identity on any document; other results walk the whole document
        assert ot.base_length(a2) == ot.target_length(ot.normalize(b))
    if b2:
        assert ot.base_length(b2) == ot.target_length(ot.normalize(a))
    assert is_canonical(a2)
    assert is_canonical(b2)


@PROPERTY
@given(doc_and_two_concurrent_ops())
def test_rebase_is_the_first_side_of_transform_for_canonical_ops(
    case: tuple[str, Operation, Operation],
) -> None:
    _, a, b = case
    a, b = ot.normalize(a), ot.normalize(b)
    assert ot.rebase(a, b) == ot.transform(a, b)[0]


def test_rebase_refuses_operations_on_different_lengths() -> None:
    with pytest.raises(InvalidOperation, match="documents of length 3 and 4"):
        ot.rebase([3, "x"], [4, "y"])
    with pytest.raises(InvalidOperation, match="documents of length 5 and 2"):
        ot.rebase([5], [-2])


@PROPERTY
@given(doc_and_two_concurrent_ops())
def test_transform_matches_character_level_reference(
    case: tuple[str, Operation, Operation],
) -> None:
    _, a, b = case
    if a and b:  # the reference has no special case for the identity
        assert ot.transform(a, b) == ref_transform(a, b)


@PROPERTY
@given(doc_and_two_concurrent_ops())
def test_transform_keeps_each_sides_inserted_text(case: tuple[str, Operation, Operation]) -> None:
    doc, a, b = case
    _, b2 = ot.transform(a, b)
    result = ot.apply(ot.apply(doc, a), b2)
    inserted_a, deleted_a = ot.changed_length(a)
    inserted_b, deleted_b = ot.changed_length(b)
    # Neither side's inserts are lost; text deleted by both sides is deleted once.
    assert len(result) >= len(doc) + inserted_a + inserted_b - deleted_a - deleted_b
    assert len(result) <= len(doc) + inserted_a + inserted_b


def test_transform_tie_break_left_insert_goes_first() -> None:
    doc = "ab"
    a, b = [1, "X", 1], [1, "Y", 1]
    a2, b2 = ot.transform(a, b)
    assert ot.apply(ot.apply(doc, a), b2) == ot.apply(ot.apply(doc, b), a2) == "aXYb"
    b3, a3 = ot.transform(b, a)
    assert ot.apply(ot.apply(doc, b), a3) == ot.apply(ot.apply(doc, a), b3) == "aYXb"


def test_transform_server_order_later_committed_insert_lands_first() -> None:
    # The server rebases an incoming op over a committed one with the incoming op on the left.
    doc = "hello"
    committed = [5, " world"]
    incoming = [5, "!"]
    rebased, _ = ot.transform(incoming, committed)
    assert ot.apply(ot.apply(doc, committed), rebased) == "hello! world"


@PROPERTY
@given(docs, st.data(), insert_texts, insert_texts)
def test_transform_tie_break_at_any_position(
    doc: str, data: st.DataObject, text_a: str, text_b: str
) -> None:
    position = data.draw(st.integers(0, len(doc)))
    a = ot.from_simple({"operation": "insert", "position": position, "text": text_a}, len(doc))
    b = ot.from_simple({"operation": "insert", "position": position, "text": text_b}, len(doc))
    a2, b2 = ot.transform(a, b)
    expected = doc[:position] + text_a + text_b + doc[position:]
    assert ot.apply(ot.apply(doc, a), b2) == expected
    assert ot.apply(ot.apply(doc, b), a2) == expected


def test_transform_insert_inside_concurrent_delete_survives() -> None:
    doc = "abcdef"
    delete_bcde = [1, -4, 1]
    insert_in_middle = [3, "X", 3]
    a2, b2 = ot.transform(delete_bcde, insert_in_middle)
    assert ot.apply(ot.apply(doc, delete_bcde), b2) == "aXf"
    assert ot.apply(ot.apply(doc, insert_in_middle), a2) == "aXf"


def test_transform_rejects_different_base_lengths() -> None:
    with pytest.raises(InvalidOperation, match="length 3 and 4"):
        ot.transform([3], [4])


# --- compose ---------------------------------------------------------------------------------


@PROPERTY
@given(doc_and_two_sequential_ops())
def test_compose_agrees_with_sequential_apply(case: tuple[str, Operation, Operation]) -> None:
    doc, a, b = case
    composed = ot.compose(a, b)
    assert ot.apply(doc, composed) == ot.apply(ot.apply(doc, a), b)
    assert is_canonical(composed)


@PROPERTY
@given(doc_and_two_sequential_ops())
def test_compose_matches_character_level_reference(
    case: tuple[str, Operation, Operation],
) -> None:
    _, a, b = case
    if a and b:  # the reference has no special case for the identity
        assert ot.compose(a, b) == ref_compose(a, b)


@LIGHT
@given(doc_and_op())
def test_compose_with_empty_op_is_identity(case: tuple[str, Operation]) -> None:
    _, ops = case
    assert ot.compose([], ops) == ot.compose(ops, []) == ot.normalize(ops)


def test_compose_rejects_mismatched_lengths() -> None:
    with pytest.raises(InvalidOperation, match="produces length 4 but the second applies to"):
        ot.compose([3, "x"], [3])


# --- invert ----------------------------------------------------------------------------------


@PROPERTY
@given(doc_and_op())
def test_invert_undoes(case: tuple[str, Operation]) -> None:
    doc, ops = case
    inverse = ot.invert(ops, doc)
    assert ot.apply(ot.apply(doc, ops), inverse) == doc
    assert ot.invert(inverse, ot.apply(doc, ops)) == ot.normalize(ops)


def test_invert_example_and_length_check() -> None:
    assert ot.invert([1, -2, "XY", 1], "abcd") == [1, "bc", -2, 1]
    with pytest.raises(InvalidOperation, match="ops length 3 does not match document length 4"):
        ot.invert([3], "abcd")


# --- from_simple -----------------------------------------------------------------------------


@PROPERTY
@given(docs, st.data(), insert_texts)
def test_from_simple_insert(doc: str, data: st.DataObject, text: str) -> None:
    position = data.draw(st.integers(0, len(doc)))
    ops = ot.from_simple({"operation": "insert", "position": position, "text": text}, len(doc))
    assert ot.apply(doc, ops) == doc[:position] + text + doc[position:]
    assert ot.validate(ops, len(doc)) == ops


@PROPERTY
@given(docs.filter(bool), st.data())
def test_from_simple_delete(doc: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(doc) - 1))
    length = data.draw(st.integers(1, len(doc) - position))
    edit = {"operation": "delete", "position": position, "length": length}
    ops = ot.from_simple(edit, len(doc))
    assert ot.apply(doc, ops) == doc[:position] + doc[position + length :]
    assert ot.validate(ops, len(doc)) == ops


@LIGHT
@given(docs, st.integers(1, 10**6))
def test_from_simple_rejects_out_of_range(doc: str, beyond: int) -> None:
    n = len(doc)
    bad_edits: list[dict[str, Any]] = [
        {"operation": "insert", "position": n + beyond, "text": "x"},
        {"operation": "insert", "position": -beyond, "text": "x"},
        {"operation": "delete", "position": -beyond, "length": 1},
        {"operation": "delete", "position": n, "length": beyond},
        {"operation": "delete", "position": 0, "length": n + beyond},
        {"operation": "delete", "position": n + beyond, "length": 1},
    ]
    for edit in bad_edits:
        with pytest.raises(InvalidOperation):
            ot.from_simple(edit, n)


def test_from_simple_examples() -> None:
    assert ot.from_simple({"operation": "insert", "position": 0, "text": "x"}, 0) == ["x"]
    assert ot.from_simple({"operation": "insert", "position": 5, "text": "!"}, 5) == [5, "!"]
    assert ot.from_simple({"operation": "delete", "position": 0, "length": 5}, 5) == [-5]
    assert ot.from_simple({"operation": "delete", "position": 100, "length": 11}, 300) == [
        100,
        -11,
        189,
    ]


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (None, "edit must be an object, got null"),
        ([5, "x"], "edit must be an object, got list"),
        ({"operation": "replace", "position": 0}, "unknown operation 'replace'"),
        ({"position": 0, "text": "x"}, "'operation' must be 'insert' or 'delete', got null"),
        ({"operation": "insert", "text": "x"}, "'position' is missing"),
        ({"operation": "insert", "position": True, "text": "x"}, "'position' must be an integer"),
        ({"operation": "insert", "position": 1.0, "text": "x"}, "got float"),
        ({"operation": "insert", "position": "1", "text": "x"}, "got str"),
        ({"operation": "insert", "position": 0}, "'text' is missing"),
        ({"operation": "insert", "position": 0, "text": ""}, "insert is empty"),
        ({"operation": "insert", "position": 0, "text": 5}, "'text' must be a string, got int"),
        ({"operation": "insert", "position": 0, "text": "\ud83d"}, "lone surrogate U\\+D83D"),
        ({"operation": "insert", "position": 11, "text": "x"}, "outside the document"),
        ({"operation": "delete", "position": 0}, "'length' is missing"),
        ({"operation": "delete", "position": 0, "length": 0}, "at least 1, got 0"),
        ({"operation": "delete", "position": 0, "length": -2}, "at least 1, got -2"),
        ({"operation": "delete", "position": 0, "length": False}, "'length' must be an integer"),
        ({"operation": "delete", "position": 8, "length": 3}, "runs past the end"),
    ],
)
def test_from_simple_rejects(edit: object, reason: str) -> None:
    with pytest.raises(InvalidOperation, match=reason):
        ot.from_simple(edit, 10)


# --- cursors ---------------------------------------------------------------------------------


@PROPERTY
@given(doc_and_op(), st.data(), st.booleans())
def test_transform_position_stays_in_the_new_document(
    case: tuple[str, Operation], data: st.DataObject, is_own: bool
) -> None:
    doc, ops = case
    new_doc = ot.apply(doc, ops)
    position = data.draw(st.integers(0, len(doc)))
    moved = ot.transform_position(position, ops, is_own=is_own)
    assert 0 <= moved <= len(new_doc)
    if position < len(doc):
        assert moved <= ot.transform_position(position + 1, ops, is_own=is_own)  # monotone


@PROPERTY
@given(doc_and_op())
def test_transform_position_follows_untouched_characters(case: tuple[str, Operation]) -> None:
    doc, ops = case
    new_doc = ot.apply(doc, ops)
    for old, new in retained_map(doc, ops).items():
        # A cursor just before the character, after text inserted there.
        assert ot.transform_position(old, ops, is_own=True) == new
        assert new_doc[new] == doc[old]
        # A cursor just after the character, before text inserted after it.
        assert ot.transform_position(old + 1, ops, is_own=False) == new + 1


@PROPERTY
@given(docs, st.data(), insert_texts)
def test_transform_position_insert_at_cursor(doc: str, data: st.DataObject, text: str) -> None:
    position = data.draw(st.integers(0, len(doc)))
    ops = ot.from_simple({"operation": "insert", "position": position, "text": text}, len(doc))
    assert ot.transform_position(position, ops, is_own=True) == position + len(text)
    assert ot.transform_position(position, ops, is_own=False) == position


def test_transform_position_examples() -> None:
    ops = [2, -3, 5]  # delete "cde" from "abcdefghij"
    assert [ot.transform_position(p, ops) for p in range(11)] == [0, 1, 2, 2, 2, 2, 3, 4, 5, 6, 7]
    assert ot.transform_position(-5, ops) == 0  # clamped
    assert ot.transform_position(50, ops) == 7  # clamped


@PROPERTY
@given(doc_and_op(), st.data())
def test_transform_range_keeps_order_and_bounds(
    case: tuple[str, Operation], data: st.DataObject
) -> None:
    doc, ops = case
    start = data.draw(st.integers(0, len(doc)))
    end = data.draw(st.integers(start, len(doc)))
    new_start, new_end = ot.transform_range(start, end, ops)
    assert 0 <= new_start <= new_end <= len(ot.apply(doc, ops))
    assert ot.transform_range(end, start, ops) == (new_end, new_start)
    # Characters that were selected and survive are still selected.
    for old, new in retained_map(doc, ops).items():
        if start <= old < end:
            assert new_start <= new < new_end


def test_transform_range_examples() -> None:
    doc = "abcd"  # selection "bc" is (1, 3)
    assert ot.transform_range(1, 3, [1, "X", 3]) == (2, 4)  # insert at the start: outside
    assert ot.transform_range(1, 3, [3, "X", 1]) == (1, 3)  # insert at the end: outside
    assert ot.transform_range(1, 3, [2, "X", 2]) == (1, 4)  # insert inside: grows
    assert ot.transform_range(1, 3, [1, -2, 1]) == (1, 1)  # selection deleted: collapses
    assert ot.transform_range(2, 2, [2, "X", 2]) == (2, 2)  # a caret stays before remote text
    assert ot.apply(doc, [2, "X", 2]) == "abXcd"
