"""Factories and fakes for the checks' tests: documents with Markdown, and a fake sandbox
that answers like contributions.sandbox.run_python without running anything."""

from __future__ import annotations

import json

import factory

from collaboration.tests.factories import DocumentFactory
from contributions.checks.block_runs import VERSIONS_MARKER
from contributions.models import CheckRun, CheckRunStatus
from contributions.sandbox.result import RunResult

RUNNABLE_DOC = """# Softmax in NumPy

## The function

The softmax turns scores into probabilities.

```python run
print(sum([1, 2, 3]))
```

```output
6
```

## Another block

```python run
print("hello")
```
"""


class MarkdownDocumentFactory(DocumentFactory):
    content = RUNNABLE_DOC


class CheckRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckRun

    document = factory.SubFactory(DocumentFactory)
    revision = 0
    status = CheckRunStatus.DONE
    score = 90
    results = factory.LazyFunction(list)


class FakeSandbox:
    """Answers by the code it is given: `answers[first line of code] = RunResult`, the
    default an "ok" run printing `stdout`. Records every code it was sent."""

    def __init__(
        self,
        default_stdout: str = "",
        answers: dict[str, RunResult] | None = None,
        libraries: dict[str, str] | None = None,
    ):
        self.default_stdout = default_stdout
        self.libraries = libraries or {}
        self.answers = answers or {}
        self.sent: list[str] = []

    def __call__(self, code: str, *, timeout_seconds: float | None = None) -> RunResult:
        self.sent.append(code)
        first = code.splitlines()[0] if code else ""
        if first in self.answers:
            return self.answers[first]
        # What the versions trailer (checks/block_runs.py) prints to stderr at the end.
        stderr = f"{VERSIONS_MARKER} {json.dumps(self.libraries)}\n"
        return RunResult(
            status="ok",
            stdout=self.default_stdout,
            stderr=stderr,
            runner="bwrap",
            python_version="3.11.2",
        )
