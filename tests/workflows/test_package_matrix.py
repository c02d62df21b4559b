"""CI tests vjpgrad on the oldest and the newest Python it claims, the oldest with
the oldest NumPy it claims (code/pyproject.toml)."""

from __future__ import annotations

import re
import tomllib

import yaml

from tools.config import REPO_ROOT

PROJECT = tomllib.loads((REPO_ROOT / "code" / "pyproject.toml").read_text())["project"]
CI = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "ci.yml").read_text())


def minor(version: str) -> tuple[int, int]:
    major, minor_, *_ = (int(part) for part in version.split("."))
    return major, minor_


def test_the_matrix_spans_the_pythons_the_package_claims() -> None:
    oldest = PROJECT["requires-python"].removeprefix(">=")
    claimed = [
        c.rsplit(" :: ", 1)[1]
        for c in PROJECT["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    matrix = CI["jobs"]["package"]["strategy"]["matrix"]["include"]
    tested = sorted(minor(entry["python"]) for entry in matrix)
    assert tested[0] == minor(oldest), (tested, oldest)
    assert tested[-1] == max(minor(c) for c in claimed), (tested, claimed)


def test_the_oldest_python_gets_the_oldest_numpy() -> None:
    (numpy,) = [d for d in PROJECT["dependencies"] if d.startswith("numpy")]
    floor = numpy.removeprefix("numpy>=")
    matrix = CI["jobs"]["package"]["strategy"]["matrix"]["include"]
    oldest = min(matrix, key=lambda entry: minor(entry["python"]))
    assert minor(oldest["numpy"]) == minor(floor), (oldest, numpy)


def test_the_job_installs_only_the_package_and_its_test_tools() -> None:
    runs = " ".join(step.get("run", "") for step in CI["jobs"]["package"]["steps"])
    assert '"./code[draw]"' in runs and "-r requirements-package.txt" in runs
    assert "requirements.txt" not in runs.replace("requirements-package.txt", "")
    assert "python -m pytest tests/vjpgrad" in runs
