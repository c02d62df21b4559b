"""Every action a workflow uses is pinned to a commit, with its release tag beside it.

A tag such as ``v4`` can be moved to other code by whoever controls the action's
repository; a 40-digit commit cannot. The tag in the comment says which release the
commit is, for the reader and for whoever updates it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tools.config import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.y*ml"))
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<rest>.*)$", re.MULTILINE)
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
TAG_COMMENT = re.compile(r"^\s+#\s*v\d+(\.\d+)*\s*$")


def unpinned(text: str) -> list[str]:
    """The `uses:` lines of a workflow that are not `owner/repo@<commit>  # vX.Y.Z`."""
    bad = []
    for match in USES.finditer(text):
        ref, rest = match["ref"].strip("'\""), match["rest"]
        if ref.startswith(("./", "docker://")):
            continue  # a local action or an image: nothing to pin here
        if not (PINNED.match(ref) and TAG_COMMENT.match(rest)):
            bad.append(match.group(0).strip())
    return bad


def test_the_check_tells_pinned_from_unpinned() -> None:
    assert unpinned("      - uses: actions/checkout@v4\n") == ["- uses: actions/checkout@v4"]
    assert unpinned("        uses: actions/cache@5a3ec84eff668545956fd18022155c47e93e2684\n")
    assert not unpinned(
        "      - uses: actions/cache@5a3ec84eff668545956fd18022155c47e93e2684  # v4.2.3\n"
    )


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_commit(workflow: Path) -> None:
    text = workflow.read_text()
    assert USES.search(text), f"{workflow.name} uses no action: is the pattern still right?"
    assert not unpinned(text), f"{workflow.name}: actions not pinned to a commit:\n" + "\n".join(
        unpinned(text)
    )
