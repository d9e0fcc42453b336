"""Operational transformation for plain text: the pure core of collaborative editing.

Op format
---------
An operation is a list that walks the whole document from its start to its end::

    n > 0    retain: keep the next n code points
    n < 0    delete: remove the next -n code points
    "text"   insert: write "text" at the current position

Retained plus deleted counts (the op's *base length*) must equal the length of the document
it is applied to; retained counts plus inserted lengths are its *target length*. ``[]`` is
the no-op: it is the identity on ANY document, whatever its length, and it is the only op
that need not walk the document. Positions and lengths count Unicode code points (Python
``str`` indexing), not UTF-16 units and not bytes: "😀" has length 1.

On "hello": ``[5, " world"]`` gives "hello world", ``[1, -4]`` gives "h", and both
``[-5, "bye"]`` and ``["bye", -5]`` give "bye".

Canonical form (what :func:`normalize` returns, as ot.js's ``TextOperation`` builds it): no
zero counts, no empty inserts, no two adjacent components of the same kind, and never a
delete directly followed by an insert (at one position the insert is written first). A
trailing retain is kept, so a normalised op still walks the whole document. Transform
results depend on that order, so every function here normalises its inputs first; server
and clients must do the same or their copies drift apart.

Transform tie-break: when both operations insert at the same position, the insert of the
*left* operation (``a`` in ``transform(a, b)``, the operation being transformed) goes
first. This is the convention of ot.js and ShareDB's text type, and the protocol requires
it (docs/realtime-protocol.md, "Editing").

Components must be exactly ``int`` or ``str``; ``bool`` (a subclass of ``int``) is refused.
Untrusted input goes through :func:`validate` or :func:`from_simple`, which also refuse zero
counts, empty inserts and lone surrogates; the other functions trust their callers for
those but still refuse wrong types and wrong lengths with :class:`InvalidOperation`.

Every function is O(number of components), apart from the unavoidable cost of copying
text: :func:`apply` builds its result from slices joined once, never character by
character. This module imports nothing from Django and does no I/O.
"""

from collections.abc import Mapping, Sequence
from typing import TypeAlias

__all__ = [
    "InvalidOperation",
    "Op",
    "Operation",
    "apply",
    "base_length",
    "changed_length",
    "compose",
    "from_simple",
    "invert",
    "normalize",
    "target_length",
    "transform",
    "transform_position",
    "transform_range",
    "validate",
]

Op: TypeAlias = int | str
Operation: TypeAlias = list[Op]


class InvalidOperation(ValueError):
    """An operation is malformed or does not fit the document; the message says why."""


# --- errors ---------------------------------------------------------------------------------


def _type_name(value: object) -> str:
    # Messages go back to clients that speak JSON: call None "null" rather than "NoneType".
    return "null" if value is None else type(value).__name__


def _type_error(index: int, component: object) -> InvalidOperation:
    return InvalidOperation(f"component {index} has type {_type_name(component)}")


def _length_error(ops_length: int, doc_length: int) -> InvalidOperation:
    return InvalidOperation(f"ops length {ops_length} does not match document length {doc_length}")


def _check_encodable(text: str, what: str) -> None:
    """Refuse lone surrogates (U+D800..U+DFFF): JSON can carry them, UTF-8 cannot store them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(text[exc.start])
        raise InvalidOperation(
            f"{what} contains a lone surrogate U+{code:04X} at offset {exc.start},"
            " which cannot be stored as UTF-8"
        ) from None


# --- building canonical operations ----------------------------------------------------------


class _Builder:
    """Appends components and yields the canonical form in time linear in the input.

    Between two retains, inserts and deletes at one position commute, so the pending run is
    kept as (list of insert pieces, total delete count) and emitted insert-first. Insert
    pieces are joined once, so many small inserts never cost quadratic string copying.
    """

    __slots__ = ("_deleted", "_inserted", "_ops", "_retained")

    def __init__(self) -> None:
        self._ops: Operation = []
        self._retained = 0
        self._inserted: list[str] = []
        self._deleted = 0

    def retain(self, n: int) -> None:
        if n <= 0:
            return
        if self._inserted or self._deleted:
            self._flush_edit()
        self._retained += n

    def insert(self, text: str) -> None:
        if not text:
            return
        if self._retained:
            self._ops.append(self._retained)
            self._retained = 0
        self._inserted.append(text)

    def delete(self, n: int) -> None:
        if n <= 0:
            return
        if self._retained:
            self._ops.append(self._retained)
            self._retained = 0
        self._deleted += n

    def _flush_edit(self) -> None:
        if self._inserted:
            pieces = self._inserted
            self._ops.append(pieces[0] if len(pieces) == 1 else "".join(pieces))
            self._inserted = []
        if self._deleted:
            self._ops.append(-self._deleted)
            self._deleted = 0

    def build(self) -> Operation:
        if self._retained:
            self._ops.append(self._retained)
            self._retained = 0
        else:
            self._flush_edit()
        return self._ops


def normalize(ops: Sequence[Op]) -> Operation:
    """Return the canonical form of ``ops`` (see the module docstring). Idempotent.

    Merges adjacent components of the same kind, drops zero counts and empty inserts, and
    writes an insert before a delete at the same position. It keeps a trailing retain, so
    the result walks the same document as the input; ``[]`` stays ``[]``. Applying the
    result gives the same text as applying ``ops``.
    """
    out = _Builder()
    for index, component in enumerate(ops):
        if type(component) is int:
            if component > 0:
                out.retain(component)
            else:
                out.delete(-component)
        elif type(component) is str:
            out.insert(component)
        else:
            raise _type_error(index, component)
    return out.build()


# --- inspecting -----------------------------------------------------------------------------


def base_length(ops: Sequence[Op]) -> int:
    """Length of the document ``ops`` applies to (retained + deleted). 0 for ``[]``."""
    length = 0
    for index, component in enumerate(ops):
        if type(component) is int:
            length += component if component > 0 else -component
        elif type(component) is not str:
            raise _type_error(index, component)
    return length


def target_length(ops: Sequence[Op]) -> int:
    """Length of the document ``ops`` produces (retained + inserted). 0 for ``[]``."""
    length = 0
    for index, component in enumerate(ops):
        if type(component) is int:
            if component > 0:
                length += component
        elif type(component) is str:
            length += len(component)
        else:
            raise _type_error(index, component)
    return length


def changed_length(ops: Sequence[Op]) -> tuple[int, int]:
    """Return (code points inserted, code points deleted): the size of a change."""
    inserted = deleted = 0
    for index, component in enumerate(ops):
        if type(component) is int:
            if component < 0:
                deleted -= component
        elif type(component) is str:
            inserted += len(component)
        else:
            raise _type_error(index, component)
    return inserted, deleted


# --- checking untrusted input ---------------------------------------------------------------


def validate(ops: object, doc_length: int | None = None) -> Operation:
    """Check a JSON-decoded operation and return its canonical form.

    Refuses, with an :class:`InvalidOperation` naming the reason and the 0-based index of
    the offending component: anything but a list; components that are not ``int`` or ``str``
    (``bool``, ``float``, ``None``, lists, dicts, ...); zero counts; empty inserts; inserts
    containing a lone surrogate. If ``doc_length`` is given, the base length must equal it,
    except for ``[]``, the identity on any document.
    """
    if not isinstance(ops, list):
        raise InvalidOperation(f"ops must be a list, got {_type_name(ops)}")
    for index, component in enumerate(ops):
        if type(component) is int:
            if component == 0:
                raise InvalidOperation(
                    f"component {index} is 0: zero-length components are not allowed"
                )
        elif type(component) is str:
            if not component:
                raise InvalidOperation(f"component {index} is an empty string: insert is empty")
            _check_encodable(component, f"component {index}")
        else:
            raise _type_error(index, component)
    result = normalize(ops)
    if doc_length is not None and result:
        length = base_length(result)
        if length != doc_length:
            raise _length_error(length, doc_length)
    return result


def _require_int(edit: Mapping[object, object], field: str) -> int:
    if field not in edit:
        raise InvalidOperation(f"'{field}' is missing")
    value = edit[field]
    if type(value) is not int:
        raise InvalidOperation(f"'{field}' must be an integer, got {_type_name(value)}")
    return value


def from_simple(edit: object, doc_length: int) -> Operation:
    """Convert a simple edit of the original design into canonical list form.

    Accepted forms, positions in code points::

        {"operation": "insert", "position": p, "text": t}    0 <= p <= doc_length, t non-empty
        {"operation": "delete", "position": p, "length": n}  n >= 1, p >= 0, p + n <= doc_length

    Anything else raises :class:`InvalidOperation` with the reason. Other keys are ignored.
    """
    if not isinstance(edit, Mapping):
        raise InvalidOperation(f"edit must be an object, got {_type_name(edit)}")
    kind = edit.get("operation")
    if kind == "insert":
        position = _require_int(edit, "position")
        if "text" not in edit:
            raise InvalidOperation("'text' is missing")
        text = edit["text"]
        if not isinstance(text, str):
            raise InvalidOperation(f"'text' must be a string, got {_type_name(text)}")
        if not text:
            raise InvalidOperation("insert is empty")
        _check_encodable(text, "'text'")
        if not 0 <= position <= doc_length:
            raise InvalidOperation(
                f"insert position {position} is outside the document (0..{doc_length})"
            )
        return normalize([position, text, doc_length - position])
    if kind == "delete":
        position = _require_int(edit, "position")
        length = _require_int(edit, "length")
        if length < 1:
            raise InvalidOperation(f"delete length must be at least 1, got {length}")
        if not 0 <= position <= doc_length:
            raise InvalidOperation(
                f"delete position {position} is outside the document (0..{doc_length})"
            )
        if position + length > doc_length:
            raise InvalidOperation(
                f"delete of {length} at position {position} runs past the end of the"
                f" document (length {doc_length})"
            )
        return normalize([position, -length, doc_length - position - length])
    if isinstance(kind, str):
        raise InvalidOperation(f"unknown operation {kind[:40]!r}: expected 'insert' or 'delete'")
    raise InvalidOperation(f"'operation' must be 'insert' or 'delete', got {_type_name(kind)}")


# --- applying -------------------------------------------------------------------------------


def apply(doc: str, ops: Sequence[Op]) -> str:
    """Return ``doc`` with ``ops`` applied. ``[]`` returns ``doc`` unchanged.

    Raises :class:`InvalidOperation` if the base length of ``ops`` is not ``len(doc)`` or a
    component has the wrong type.
    """
    if not ops:
        return doc
    parts: list[str] = []
    position = 0
    for index, component in enumerate(ops):
        if type(component) is int:
            if component > 0:
                # A retain past the end yields a short slice; the length check below catches it.
                parts.append(doc[position : position + component])
                position += component
            else:
                position -= component
        elif type(component) is str:
            parts.append(component)
        else:
            raise _type_error(index, component)
    if position != len(doc):
        raise _length_error(position, len(doc))
    return "".join(parts)


def invert(ops: Sequence[Op], doc: str) -> Operation:
    """Return the operation that undoes ``ops``, where ``doc`` is the text ``ops`` applies to.

    ``apply(apply(doc, ops), invert(ops, doc)) == doc``. ``invert([], doc)`` is ``[]``.
    """
    canonical = normalize(ops)
    if not canonical:
        return []
    length = base_length(canonical)
    if length != len(doc):
        raise _length_error(length, len(doc))
    out = _Builder()
    position = 0
    for component in canonical:
        if isinstance(component, str):
            out.delete(len(component))
        elif component > 0:
            out.retain(component)
            position += component
        else:
            out.insert(doc[position : position - component])
            position -= component
    return out.build()


# --- composing and transforming -------------------------------------------------------------


def compose(a: Sequence[Op], b: Sequence[Op]) -> Operation:
    """Return one operation equivalent to ``a`` followed by ``b``.

    ``apply(doc, compose(a, b)) == apply(apply(doc, a), b)``; ``[]`` on either side is the
    identity. Raises :class:`InvalidOperation` if the target length of ``a`` is not the base
    length of ``b``.
    """
    ops_a, ops_b = normalize(a), normalize(b)
    if not ops_a:
        return ops_b
    if not ops_b:
        return ops_a
    if target_length(ops_a) != base_length(ops_b):
        raise InvalidOperation(
            f"cannot compose: the first operation produces length {target_length(ops_a)}"
            f" but the second applies to length {base_length(ops_b)}"
        )
    out = _Builder()
    end_a, end_b = len(ops_a), len(ops_b)
    i = j = 0
    # x and y are what is left of the current components. An insert of a may be split by
    # b's retains and deletes: `offset` marks how much of it is consumed, instead of slicing
    # the remainder again and again.
    x: Op | None = ops_a[0]
    y: Op | None = ops_b[0]
    offset = 0
    while x is not None or y is not None:
        if isinstance(x, int) and x < 0:  # a deletes: b never sees that text
            out.delete(-x)
            i += 1
            x = ops_a[i] if i < end_a else None
            continue
        if isinstance(y, str):  # b inserts: a is not involved
            out.insert(y)
            j += 1
            y = ops_b[j] if j < end_b else None
            continue
        if x is None or y is None:  # unreachable once the lengths matched; kept as a guard
            raise InvalidOperation("cannot compose: operation lengths do not line up")
        if isinstance(x, str):
            step = min(len(x) - offset, abs(y))
            if y > 0:  # b keeps part of a's insert
                out.insert(x[offset : offset + step])
                y -= step
            else:  # b deletes part of a's insert: neither appears in the result
                y += step
            offset += step
            if offset == len(x):
                offset = 0
                i += 1
                x = ops_a[i] if i < end_a else None
        else:
            step = min(x, abs(y))
            if y > 0:
                out.retain(step)
                y -= step
            else:
                out.delete(step)
                y += step
            x -= step
            if x == 0:
                i += 1
                x = ops_a[i] if i < end_a else None
        if y == 0:
            j += 1
            y = ops_b[j] if j < end_b else None
    return out.build()


def transform(a: Sequence[Op], b: Sequence[Op]) -> tuple[Operation, Operation]:
    """Transform two operations made on the same document against each other.

    Returns ``(a2, b2)`` such that ``apply(apply(doc, a), b2) == apply(apply(doc, b), a2)``:
    ``a2`` is ``a`` rebased onto ``b`` and ``b2`` is ``b`` rebased onto ``a``. When both
    insert at the same position, ``a``'s insert goes first (the ot.js convention). ``[]`` on
    either side is the identity: the other operation comes back unchanged (normalised).
    Raises :class:`InvalidOperation` if the base lengths differ.
    """
    ops_a, ops_b = normalize(a), normalize(b)
    if not ops_a or not ops_b:
        return ops_a, ops_b
    if base_length(ops_a) != base_length(ops_b):
        raise InvalidOperation(
            "cannot transform: the operations apply to documents of length"
            f" {base_length(ops_a)} and {base_length(ops_b)}"
        )
    out_a, out_b = _Builder(), _Builder()
    end_a, end_b = len(ops_a), len(ops_b)
    i = j = 0
    x: Op | None = ops_a[0]
    y: Op | None = ops_b[0]
    while x is not None or y is not None:
        # Inserts are handled first, a's before b's: that is the tie-break.
        if isinstance(x, str):
            out_a.insert(x)
            out_b.retain(len(x))
            i += 1
            x = ops_a[i] if i < end_a else None
            continue
        if isinstance(y, str):
            out_a.retain(len(y))
            out_b.insert(y)
            j += 1
            y = ops_b[j] if j < end_b else None
            continue
        if x is None or y is None:  # unreachable once the lengths matched; kept as a guard
            raise InvalidOperation("cannot transform: operation lengths do not line up")
        step = min(abs(x), abs(y))
        if x > 0 and y > 0:
            out_a.retain(step)
            out_b.retain(step)
        elif x < 0 and y > 0:
            out_a.delete(step)
        elif x > 0:  # b deletes what a retains
            out_b.delete(step)
        # else both delete the same text: nothing is left for either to do.
        x = x - step if x > 0 else x + step
        y = y - step if y > 0 else y + step
        if x == 0:
            i += 1
            x = ops_a[i] if i < end_a else None
        if y == 0:
            j += 1
            y = ops_b[j] if j < end_b else None
    return out_a.build(), out_b.build()


def rebase(a: Sequence[Op], b: Sequence[Op]) -> Operation:
    """``transform(a, b)[0]`` for operations already in canonical form, without the other side.

    The server's hot path rewrites each incoming operation against every operation committed
    after its base; those are canonical (they come out of ``validate`` and ``transform``), so
    normalising them again and building the unused other side is wasted work. Raises
    :class:`InvalidOperation` if the base lengths differ.
    """
    if not a or not b:
        return list(a)
    out = _Builder()
    end_a, end_b = len(a), len(b)
    i = j = 0
    x: Op | None = a[0]
    y: Op | None = b[0]
    while x is not None or y is not None:
        if type(x) is str:  # a's insert first: the same tie-break as transform
            out.insert(x)
            i += 1
            x = a[i] if i < end_a else None
            continue
        if type(y) is str:
            out.retain(len(y))
            j += 1
            y = b[j] if j < end_b else None
            continue
        if x is None or y is None:
            raise InvalidOperation(
                "cannot transform: the operations apply to documents of length"
                f" {base_length(a)} and {base_length(b)}"
            )
        step = min(abs(x), abs(y))
        if x > 0:
            if y > 0:
                out.retain(step)
            x -= step
        else:
            if y > 0:
                out.delete(step)
            x += step
        y = y - step if y > 0 else y + step
        if x == 0:
            i += 1
            x = a[i] if i < end_a else None
        if y == 0:
            j += 1
            y = b[j] if j < end_b else None
    return out.build()


# --- cursors --------------------------------------------------------------------------------


def transform_position(pos: int, ops: Sequence[Op], *, is_own: bool = False) -> int:
    """Move a cursor index through ``ops``; the result is an index into the new document.

    Text inserted before the cursor pushes it right; deleted text before it pulls it left;
    a cursor inside a deleted range lands where the range was. Text inserted exactly at the
    cursor leaves the cursor *before* it when ``is_own`` is False (someone else typed at my
    cursor) and moves it *after* it when ``is_own`` is True (my own typing). A position
    outside ``0..base_length(ops)`` is clamped into it first; ``[]`` returns ``pos``.
    """
    canonical = normalize(ops)
    if not canonical:
        return pos
    pos = min(max(pos, 0), base_length(canonical))
    old = 0  # index in the old document reached so far
    new = pos
    for component in canonical:
        if isinstance(component, str):
            if old < pos or (old == pos and is_own):
                new += len(component)
        elif component > 0:
            old += component
        else:
            if old < pos:
                new -= min(-component, pos - old)
            old -= component
        if old > pos:  # nothing further along can move the cursor
            break
    return new


def transform_range(start: int, end: int, ops: Sequence[Op]) -> tuple[int, int]:
    """Move a selection through ``ops``, keeping its orientation.

    Text inserted exactly at either edge stays outside the selection; text inserted inside
    it grows it. A collapsed selection moves like a cursor of another user (inserts at it
    leave it before them). The result keeps ``start <= end`` whenever the input does.
    """
    if start == end:
        moved = transform_position(start, ops)
        return moved, moved
    low, high = (start, end) if start < end else (end, start)
    new_low = transform_position(low, ops, is_own=True)
    new_high = transform_position(high, ops, is_own=False)
    return (new_low, new_high) if start < end else (new_high, new_low)
