#!/usr/bin/env python
"""How long a proposal's three-way merge takes on large documents (the pure merge the
merge and the proposal page compute while the document's row is locked): a document of
N lines, a branch that changed every 50th line, and a live document that changed other
lines (clean) or the same ones (every change a conflict). No server needed.

  python bench/merge.py --lines 1000 10000 25000
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from contributions.proposals import merging  # noqa: E402


def texts(lines: int, *, same_lines: bool) -> tuple[str, str, str]:
    base = [f"Line {i}: attention weights sum to one over the keys.\n" for i in range(lines)]
    ours = list(base)
    theirs = list(base)
    for i in range(0, lines, 50):
        ours[i] = f"Line {i}: the proposal rewrote this line.\n"
        j = i if same_lines else i + 25
        if j < lines:
            theirs[j] = f"Line {j}: someone typed here live.\n"
    return "".join(base), "".join(ours), "".join(theirs)


def timed(base: str, ours: str, theirs: str, repeat: int) -> tuple[float, merging.ThreeWay]:
    runs = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = merging.three_way_texts(base, ours, theirs)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[1000, 10000, 25000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'lines':>7} {'chars':>10} {'clean ms':>9} {'conflicting ms':>15} {'conflicts':>9}")
    for lines in args.lines:
        base, ours, theirs = texts(lines, same_lines=False)
        clean_time, clean = timed(base, ours, theirs, args.repeat)
        assert clean.clean
        base, ours, theirs = texts(lines, same_lines=True)
        conflict_time, conflicting = timed(base, ours, theirs, args.repeat)
        print(
            f"{lines:>7} {len(base):>10,} {clean_time * 1000:>9.1f} "
            f"{conflict_time * 1000:>15.1f} {len(conflicting.conflicts):>9}"
        )


if __name__ == "__main__":
    main()
