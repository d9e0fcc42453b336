"""Runnable blocks on their way to the sandbox and back: the block's identity (the hash
of its code, which the "verified" badge is keyed by), the trailer that reports the
versions of the libraries it imported, and reading those versions from its stderr."""

from __future__ import annotations

import ast
import hashlib
import json

from .types import RunOutcome

VERSIONS_MARKER = "__learnai_block_versions__"


def block_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def imported_modules(code: str) -> list[str]:
    """Top-level names of the modules the code imports (`numpy` for `import numpy.linalg`)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return sorted(names)


def with_versions_trailer(code: str) -> str:
    """The code plus a last statement printing the imported modules' versions to stderr
    (after the block's own lines, so its line numbers and its stdout are unchanged)."""
    modules = imported_modules(code)
    return (
        f"{code.rstrip()}\n\n"
        "import sys as _learnai_sys, json as _learnai_json\n"
        f"_learnai_sys.stderr.write({VERSIONS_MARKER!r} + ' ' + _learnai_json.dumps("
        "{name: str(getattr(_learnai_sys.modules.get(name), '__version__', '') or '') "
        f"for name in {modules!r}}}) + '\\n')\n"
    )


def split_versions(outcome: RunOutcome) -> tuple[RunOutcome, dict[str, str]]:
    """The outcome without the trailer's line in stderr, and {module: version} from it."""
    stderr = outcome.get("stderr") or ""
    kept, versions = [], {}
    for line in stderr.splitlines():
        if line.startswith(VERSIONS_MARKER + " "):
            try:
                found = json.loads(line[len(VERSIONS_MARKER) + 1 :])
            except ValueError:
                found = {}
            if isinstance(found, dict):
                versions = {str(k): str(v) for k, v in found.items() if v}
        else:
            kept.append(line)
    return {**outcome, "stderr": "\n".join(kept)}, versions
