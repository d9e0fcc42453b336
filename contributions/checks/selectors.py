"""Reads of check runs and code-block verdicts, for the API, the pages and the panel.
Callers look the document up among those the person may read first."""

from __future__ import annotations

from dataclasses import dataclass

from collaboration.models import Document

from ..models import BlockVerdict, CheckRun, CodeBlock
from .block_runs import block_hash
from .source import parse

HISTORY_LIMIT = 20


def latest_run(*, document: Document) -> CheckRun | None:
    return CheckRun.objects.filter(document=document).order_by("-queued_at", "-pk").first()


def run_history(*, document: Document, limit: int = HISTORY_LIMIT) -> list[CheckRun]:
    return list(CheckRun.objects.filter(document=document).order_by("-queued_at", "-pk")[:limit])


@dataclass(frozen=True)
class BlockBadge:
    """A runnable block of the current text with its last verdict (None: never run)."""

    line: int
    code_hash: str
    preview: str
    verdict: CodeBlock | None

    @property
    def verified(self) -> bool:
        return self.verdict is not None and self.verdict.verdict == BlockVerdict.PASSED

    @property
    def regressed(self) -> bool:
        return self.verdict is not None and self.verdict.verdict == BlockVerdict.REGRESSED


def block_badges(*, document: Document) -> list[BlockBadge]:
    """The runnable blocks of the document as it is now, in order, with their verdicts."""
    if " run" not in document.content:
        return []  # no ```python run fence: spare the page a parse
    fences = [fence for fence in parse(document.content).fences if fence.is_runnable]
    if not fences:
        return []
    hashes = [block_hash(fence.code) for fence in fences]
    verdicts = {
        row.code_hash: row
        for row in CodeBlock.objects.filter(document=document, code_hash__in=hashes)
    }
    return [
        BlockBadge(
            fence.line,
            code_hash,
            next((line for line in fence.code.splitlines() if line.strip()), "")[:80],
            verdicts.get(code_hash),
        )
        for fence, code_hash in zip(fences, hashes, strict=True)
    ]
