"""environment.yml gives the toolchain `make setup` installs: the same Python, Node.js
and Graphviz, and the same pinned Python packages."""

from __future__ import annotations

import yaml

from tools.config import REPO_ROOT

ENVIRONMENT = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
CI = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "ci.yml").read_text())


def test_conda_forge_gives_the_system_tools_and_the_python_of_ci() -> None:
    assert ENVIRONMENT["channels"] == ["conda-forge"]
    packages = {str(d).split("=")[0]: str(d) for d in ENVIRONMENT["dependencies"]}
    assert packages["python"] == f"python={CI['env']['PYTHON_VERSION']}"
    # what tools/ensure_system_tools.sh installs with apt-get, but Chromium
    script = (REPO_ROOT / "tools" / "ensure_system_tools.sh").read_text()
    for tool, package in (("dot", "graphviz"), ("node", "nodejs")):
        assert f"need {tool} {package}" in script and package in packages


def test_the_python_packages_are_the_pinned_ones() -> None:
    (pip,) = [d["pip"] for d in ENVIRONMENT["dependencies"] if isinstance(d, dict)]
    assert pip == ["-r requirements.txt", "-c constraints.txt"]
