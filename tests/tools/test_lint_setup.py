"""The lint setup: `make test` runs `make lint` first, and pre-commit runs the same tools."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from tools.config import REPO_ROOT

PRE_COMMIT = REPO_ROOT / ".pre-commit-config.yaml"


def make_rule(target: str) -> tuple[list[str], list[str]]:
    """(prerequisites, recipe lines) of TARGET in the Makefile."""
    text = (REPO_ROOT / "Makefile").read_text()
    match = re.search(rf"^{target}:(.*)\n((?:\t.*\n)*)", text, re.M)
    assert match, f"no rule `{target}:` in the Makefile"
    return match.group(1).split(), [line.strip() for line in match.group(2).splitlines()]


def test_the_test_command_lints_before_it_tests() -> None:
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text()
    prerequisites, _ = make_rule("test")
    assert "lint" in prerequisites, "`make test` must run `make lint` (CI fails on a lint error)"
    _, lint = make_rule("lint")
    commands = " ; ".join(lint)
    for tool in ("ruff check", "ruff format --check", "mypy"):
        assert tool in commands, f"`make lint` does not run {tool}"


def test_pre_commit_runs_the_pinned_tools_of_make_lint() -> None:
    hooks = [h for repo in yaml.safe_load(PRE_COMMIT.read_text())["repos"] for h in repo["hooks"]]
    pinned = (REPO_ROOT / "requirements-lint.txt").read_text()
    entries = {hook["id"]: hook["entry"] for hook in hooks}
    assert set(entries) == {"ruff-check", "ruff-format", "mypy"}, entries
    for entry in entries.values():
        tool = Path(entry.split()[0])
        assert tool.parent == Path(".venv/bin"), f"{entry}: not the .venv's pinned tool"
        assert re.search(rf"^{tool.name}==", pinned, re.M), f"{tool.name} not pinned"


def test_pre_commit_accepts_its_configuration() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(PRE_COMMIT)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
