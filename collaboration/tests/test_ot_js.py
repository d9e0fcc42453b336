"""The browser's OT (frontend/ot.js) computes exactly what collaboration/ot.py computes.

Random cases (documents with emoji, other astral characters, CJK and combining accents;
canonical and non-canonical ops; wrong lengths and wrong types) are generated here, run
through both implementations, and the results compared one by one: values, and for
refused input the error message. If the two ever disagree, browser and server copies of a
document would drift apart silently, so this runs in every `make test`.
"""

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from collaboration import ot
from tests.servers import IN_CI

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "frontend" / "tests" / "ot_cases.mjs"
NODE = shutil.which("node")

# Skips only on a developer's machine without Node; in CI a missing node fails the tests.
pytestmark = pytest.mark.skipif(
    NODE is None and not IN_CI, reason="node is not installed (needed to run frontend/ot.js)"
)

MATH_A = "\U0001d538"  # MATHEMATICAL DOUBLE-STRUCK CAPITAL A: astral, 2 UTF-16 units
ALPHABET = ["a", "b", " ", "\n", "😀", "👩\u200d💻", MATH_A, "漢", "字", "か", "e\u0301", "x"]


def random_text(rng: random.Random, low: int, high: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(low, high)))


def random_op(rng: random.Random, doc: str, *, messy: bool) -> list:
    """A valid op on ``doc``; ``messy`` adds zero counts, empty inserts and unmerged runs."""
    remaining = len(doc)
    ops: list = []
    for _ in range(rng.randint(0, 7)):
        kind = rng.choice(["retain", "delete", "insert", "insert"])
        if kind == "insert":
            ops.append(random_text(rng, 1, 4))
        elif remaining:
            n = rng.randint(1, remaining)
            remaining -= n
            ops.append(n if kind == "retain" else -n)
        if messy and rng.random() < 0.15:
            ops.append(rng.choice([0, ""]))
    if remaining:
        if messy and remaining > 1 and rng.random() < 0.5:
            first = rng.randint(1, remaining - 1)
            ops += [first, remaining - first]
        else:
            ops.append(remaining if rng.random() < 0.6 else -remaining)
    return ops


def generate_cases(seed: int, count: int) -> list[dict]:
    rng = random.Random(seed)
    cases: list[dict] = []
    for _ in range(count):
        doc = random_text(rng, 0, 14)
        messy = rng.random() < 0.4
        a = random_op(rng, doc, messy=messy)
        b = random_op(rng, doc, messy=messy)
        after_a = ot.apply(doc, a)
        c = random_op(rng, after_a, messy=messy)
        length = len(doc)
        cases += [
            {"fn": "normalize", "args": [a]},
            {"fn": "apply", "args": [doc, a]},
            {"fn": "compose", "args": [a, c]},
            {"fn": "transform", "args": [a, b]},
            {"fn": "transform", "args": [b, a]},
            {"fn": "base_length", "args": [a]},
            {"fn": "target_length", "args": [a]},
            {
                "fn": "transform_position",
                "args": [rng.randint(-2, length + 2), a, rng.random() < 0.5],
            },
            {"fn": "transform_range", "args": [rng.randint(0, length), rng.randint(0, length), a]},
        ]
        # Refused input: wrong lengths, wrong types.
        roll = rng.random()
        if roll < 0.25 and doc:
            cases.append({"fn": "apply", "args": [doc[:-1], a if ot.normalize(a) else [1]]})
        elif roll < 0.4:
            cases.append({"fn": "compose", "args": [a, [*c, "z", -1]] if c else [a, [7]]})
        elif roll < 0.55:
            cases.append({"fn": "transform", "args": [a, [*b, 1]]})
        elif roll < 0.7:
            bad = rng.choice([True, False, None, 1.5, [1], {"n": 1}])
            position = rng.randint(0, len(a))
            cases.append({"fn": "normalize", "args": [[*a[:position], bad, *a[position:]]]})
    return cases


def python_result(case: dict) -> dict:
    functions = {
        "normalize": ot.normalize,
        "apply": ot.apply,
        "compose": ot.compose,
        "transform": lambda a, b: list(ot.transform(a, b)),
        "transform_position": lambda pos, ops, own: ot.transform_position(pos, ops, is_own=own),
        "transform_range": lambda s, e, ops: list(ot.transform_range(s, e, ops)),
        "base_length": ot.base_length,
        "target_length": ot.target_length,
    }
    try:
        return {"ok": functions[case["fn"]](*case["args"])}
    except ot.InvalidOperation as exc:
        return {"error": str(exc)}


def run_js(cases: list[dict], tmp_path: Path) -> list[dict]:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases), encoding="utf-8")
    completed = subprocess.run(
        [NODE or "node", str(RUNNER), str(path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_js_ot_matches_python_on_random_cases(seed, tmp_path):
    cases = generate_cases(seed, 400)
    expected = [python_result(case) for case in cases]
    actual = run_js(cases, tmp_path)
    assert len(actual) == len(cases)
    errors = sum("error" in e for e in expected)
    assert errors > 20, "the generator should include refused input"
    for case, want, got in zip(cases, expected, actual, strict=True):
        assert got == want, f"{case['fn']}{tuple(case['args'])!r}: python {want!r}, js {got!r}"


def test_js_ot_known_cases(tmp_path):
    """Hand-picked cases from the protocol document and the tie-break rule."""
    cases = [
        {"fn": "apply", "args": ["hello", [5, " world"]]},
        {"fn": "apply", "args": ["hello", [1, -4]]},
        {"fn": "apply", "args": ["a😀b", [1, -1, "中", 1]]},
        {"fn": "transform", "args": [["x", 2], ["y", 2]]},  # left insert first
        {"fn": "transform", "args": [[1, "😀", 1], [1, -1]]},
        {"fn": "normalize", "args": [[0, "", 2, 3, -1, "a", -2, "b"]]},
        {"fn": "compose", "args": [["😀😀", 1], [1, -1, 1, "!"]]},
        {"fn": "transform_position", "args": [1, ["😀", 2], True]},
        {"fn": "transform_position", "args": [0, ["😀", 2], False]},
        {"fn": "apply", "args": ["😀", [2]]},
    ]
    expected = [python_result(case) for case in cases]
    assert expected[0] == {"ok": "hello world"}
    assert expected[3] == {"ok": [["x", 3], [1, "y", 2]]}
    assert run_js(cases, tmp_path) == expected
