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


# The first major release of each action that runs on Node 24 (read from each
# action's action.yml, `runs.using`); GitHub retires Node 20 on its runners.
NODE24_SINCE = {
    "actions/checkout": 5,
    "actions/setup-python": 6,
    "actions/cache": 5,
    "actions/upload-artifact": 6,
    "actions/download-artifact": 7,
    "actions/upload-pages-artifact": 5,  # composite: upload-artifact v7 inside
    "actions/deploy-pages": 5,
    "actions/configure-pages": 6,
}
VERSIONED = re.compile(r"uses:\s*(?P<action>[\w.-]+/[\w.-]+)@[0-9a-f]{40}\s+#\s*v(?P<major>\d+)")


def node20_actions(text: str) -> list[str]:
    """The `uses:` lines of a workflow naming a release older than its first Node 24 one."""
    return [
        match.group(0)
        for match in VERSIONED.finditer(text)
        if int(match["major"]) < NODE24_SINCE.get(match["action"], 0)
    ]


def test_the_node_check_tells_old_from_current() -> None:
    old = "- uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683  # v4.2.2\n"
    new = "- uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1  # v7.0.1\n"
    assert node20_actions(old) and not node20_actions(new)


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_every_action_runs_on_node_24(workflow: Path) -> None:
    assert not node20_actions(workflow.read_text()), node20_actions(workflow.read_text())
