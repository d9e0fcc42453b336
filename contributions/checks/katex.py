"""KaTeX parses every formula: the same library the site renders math with, run by Node
(`katex_check.mjs` beside this file, katex from the project's node_modules).

Behind a small interface: `parse_errors(formulas)` answers the refusals, or raises
KatexUnavailable when Node or KaTeX is not installed (the Docker image has neither), and
the check then says "not run" instead of guessing. KaTeX only parses here: nothing runs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from .source import MATH_TOKENS, Parsed
from .types import FAIL, NOT_RUN, PASS, CheckContext, CheckResult, Detail, count

NAME = "katex"
TITLE = "Math typesetting (KaTeX)"
SCRIPT = Path(__file__).with_name("katex_check.mjs")
TIMEOUT_SECONDS = 20


class KatexUnavailable(Exception):
    """Node or KaTeX is missing, or Node failed: the formulas could not be parsed."""


def parse_errors(formulas: list[tuple[str, bool]], *, node: str | None) -> dict[int, str]:
    """{index: KaTeX's message} for each (tex, display) formula KaTeX refuses."""
    binary = shutil.which(node) if node else None
    if binary is None:
        raise KatexUnavailable("Node.js is not installed on this server.")
    payload = json.dumps([{"tex": tex, "display": display} for tex, display in formulas])
    try:
        done = subprocess.run(
            [binary, str(SCRIPT)],
            input=payload,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise KatexUnavailable(
            f"Node could not parse the math ({exc.__class__.__name__})."
        ) from exc
    if done.returncode != 0:
        missing = "ERR_MODULE_NOT_FOUND" in done.stderr
        raise KatexUnavailable(
            "KaTeX is not installed for Node here." if missing else "Node failed to parse the math."
        )
    answers = json.loads(done.stdout or "[]")
    # KaTeX underlines the culprit with combining characters, unreadable outside a console.
    return {int(item["index"]): str(item["message"]).replace("\u0332", "") for item in answers}


def _formulas(parsed: Parsed) -> list[tuple[int, str, bool]]:
    found = []
    for token in parsed.tokens:
        if token.type in MATH_TOKENS:
            found.append(((token.map[0] + 1) if token.map else 1, token.content, True))
    for inline in parsed.inlines:
        for line, child in inline.pieces():
            if child.type in MATH_TOKENS:
                found.append((line, child.content, child.type == "math_inline_double"))
    return sorted(found, key=lambda item: item[0])


def check(parsed: Parsed, context: CheckContext) -> CheckResult:
    formulas = _formulas(parsed)
    if not formulas:
        return CheckResult(NAME, TITLE, PASS, "No math to typeset.")
    try:
        errors = parse_errors(
            [(tex, display) for _, tex, display in formulas], node=context.node_binary
        )
    except KatexUnavailable as exc:
        return CheckResult(NAME, TITLE, NOT_RUN, f"Not checked: {exc}")
    details: list[Detail] = [
        {"line": formulas[index][0], "message": message}
        for index, message in sorted(errors.items())
    ]
    if details:
        return CheckResult(
            NAME,
            TITLE,
            FAIL,
            f"KaTeX cannot typeset {len(details)} of {count(len(formulas), 'formula')}.",
            details,
        )
    return CheckResult(
        NAME, TITLE, PASS, f"KaTeX typesets {count(len(formulas), 'formula')} without error."
    )
