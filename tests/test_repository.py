"""The repository is one people can contribute to: licensed, and checked before a commit
the way CI checks it."""

import json
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_the_project_is_mit_licensed_everywhere_it_says_so():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == "MIT"
    assert json.loads((ROOT / "package.json").read_text())["license"] == "MIT"
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"][""]["license"] == "MIT"


def test_pre_commit_runs_the_ruff_ci_runs():
    pinned = re.search(r"^ruff==(\S+)$", (ROOT / "requirements-dev.txt").read_text(), re.M)
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    for hook_id in ("ruff-check", "ruff-format"):
        assert hooks[hook_id]["additional_dependencies"] == [f"ruff=={pinned.group(1)}"]
    assert "makemigrations --check" in hooks["migrations"]["entry"]


def test_the_contributing_guide_starts_with_the_two_commands():
    guide = (ROOT / "CONTRIBUTING.md").read_text()
    assert "make run" in guide and "make test" in guide and "pre-commit install" in guide
