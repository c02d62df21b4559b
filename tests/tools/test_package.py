"""vjpgrad builds into a clean sdist and wheel with the pinned toolchain (tools/package.py).

Current setuptools warns about old license metadata (a TOML table, license
classifiers) and stops building it after 2027-02-18; every Colab install
builds the package, so the build must print no warning.
"""

from __future__ import annotations

import json
import re
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from tools import package
from tools.config import REPO_ROOT


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("dist")
    return out, package.build(out)


def test_the_build_and_twine_check_print_no_warning(built: tuple[Path, str]) -> None:
    _, printed = built
    assert "warning" not in printed.lower(), printed
    assert printed.count("PASSED") == 2, printed  # twine checked the sdist and the wheel


def wheel_metadata(out: Path) -> tuple[str, list[str]]:
    (wheel,) = out.glob("vjpgrad-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        return archive.read(metadata).decode(), names


def test_the_wheel_carries_pep_639_license_metadata(built: tuple[Path, str]) -> None:
    metadata, names = wheel_metadata(built[0])
    assert re.search(r"^License-Expression: MIT$", metadata, re.M), metadata[:800]
    assert re.search(r"^License-File: LICENSE$", metadata, re.M)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "Classifier: License ::" not in metadata  # deprecated by the expression


def test_the_version_is_written_once_and_built_in(built: tuple[Path, str]) -> None:
    config = tomllib.loads((REPO_ROOT / "code" / "pyproject.toml").read_text())
    assert "version" not in config["project"], "a second copy of the version"
    assert config["project"]["dynamic"] == ["version"]
    dynamic = config["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "vjpgrad.__version__"}
    version = package.version()
    metadata, names = wheel_metadata(built[0])
    assert re.search(rf"^Version: {re.escape(version)}$", metadata, re.M)
    (sdist,) = built[0].glob("vjpgrad-*.tar.gz")
    assert sdist.name == f"vjpgrad-{version}.tar.gz"
    with tarfile.open(sdist) as archive:
        assert f"vjpgrad-{version}/LICENSE" in archive.getnames()


def test_the_wheel_has_the_package_its_types_and_links(built: tuple[Path, str]) -> None:
    metadata, names = wheel_metadata(built[0])
    assert "vjpgrad/__init__.py" in names and "vjpgrad/py.typed" in names
    for label in ("Homepage", "Documentation", "Source", "Issues"):
        assert re.search(rf"^Project-URL: {label}, https://", metadata, re.M), label
    assert re.search(r"^Requires-Python: >=3\.10$", metadata, re.M)


def test_the_version_reader_takes_the_string_from_the_source(tmp_path: Path) -> None:
    init = tmp_path / "code" / "vjpgrad" / "__init__.py"
    init.parent.mkdir(parents=True)
    init.write_text('"""Doc."""\nfrom x import y\n__version__ = "9.8.7"\n')
    assert package.version(tmp_path) == "9.8.7"
    init.write_text("__all__ = []\n")
    with pytest.raises(ValueError, match="no __version__"):
        package.version(tmp_path)


def fake_repository(root: Path, version: str, releases: list[dict[str, str]]) -> Path:
    (root / "code" / "vjpgrad").mkdir(parents=True)
    (root / "code" / "pyproject.toml").write_text("[project]\n")
    (root / "code" / "vjpgrad" / "__init__.py").write_text(f'__version__ = "{version}"\n')
    (root / "releases.json").write_text(json.dumps({"releases": releases}))
    return root


def test_a_listed_release_with_the_same_sources_is_released(tmp_path: Path) -> None:
    root = fake_repository(tmp_path, "0.2.0", [])
    assert package.released_version(root) is None  # nothing released yet
    record = {"version": "0.2.0", "date": "2027-01-10", "sources_sha256": package.source_hash(root)}
    (root / "releases.json").write_text(json.dumps({"releases": [record]}))
    assert package.released_version(root) == "0.2.0"


def test_changed_sources_or_another_version_are_not_released(tmp_path: Path) -> None:
    root = fake_repository(tmp_path, "0.2.0", [])
    record = {"version": "0.2.0", "date": "2027-01-10", "sources_sha256": package.source_hash(root)}
    (root / "releases.json").write_text(json.dumps({"releases": [record]}))
    # a fork (or the next change on main) edits the code but not the version
    (root / "code" / "vjpgrad" / "tensor.py").write_text("x = 1\n")
    assert package.released_version(root) is None
    (root / "code" / "vjpgrad" / "tensor.py").unlink()
    (root / "code" / "vjpgrad" / "__init__.py").write_text('__version__ = "0.3.0.dev0"\n')
    assert package.released_version(root) is None
