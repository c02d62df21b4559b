"""The release workflow: a v* tag, checked against the repository, tested, built by
`make release` (the command the tests dry-run), published through Trusted Publishing."""

from __future__ import annotations

import yaml

from tools.config import REPO_ROOT

WORKFLOW = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "release.yml").read_text())
JOBS = WORKFLOW["jobs"]


def runs(job: str) -> list[str]:
    return [step["run"] for step in JOBS[job]["steps"] if "run" in step]


def uses(job: str) -> list[str]:
    return [step["uses"].split("@")[0] for step in JOBS[job]["steps"] if "uses" in step]


def test_only_a_version_tag_releases() -> None:
    assert WORKFLOW[True] == {"push": {"tags": ["v*"]}}  # YAML reads `on` as True


def test_the_tag_is_checked_then_everything_is_tested_then_built() -> None:
    commands = runs("build")
    order = [
        next(i for i, c in enumerate(commands) if key in c)
        for key in ("tools.release check-tag", "make test", "make release")
    ]
    assert order == sorted(order), commands


def test_pypi_gets_the_package_through_trusted_publishing() -> None:
    job = JOBS["pypi"]
    assert job["environment"]["name"] == "pypi"
    assert job["permissions"] == {"id-token": "write"}  # no password, no other right
    assert "pypa/gh-action-pypi-publish" in uses("pypi")
    assert not any("password" in str(step.get("with", {})) for step in job["steps"])


def test_the_github_release_carries_the_assets() -> None:
    job = JOBS["github-release"]
    assert job["permissions"] == {"contents": "write"}
    (command,) = runs("github-release")
    assert "gh release create" in command and "assets/*" in command
