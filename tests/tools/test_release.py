"""Preparing an edition and checking its tag (tools/release.py), on a copy of the
files an edition touches."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tools import package, release
from tools.config import REPO_ROOT


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """CITATION.cff, the how-to-cite page, releases.json and a package at 0.2.0."""
    for name in (release.CITATION, release.HOW_TO_CITE, package.RELEASES, "code/pyproject.toml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    init = tmp_path / "code" / "vjpgrad" / "__init__.py"
    init.parent.mkdir()
    init.write_text('__version__ = "0.2.0"\n')
    return tmp_path


def test_prepare_names_the_edition_everywhere(repository: Path) -> None:
    assert release.check_tag("v0.2.0", repository)  # not prepared yet
    assert release.prepare("2027-01-10", repository) == "0.2.0"
    assert release.citation(repository) == {"version": "0.2.0", "date": "2027-01-10"}
    cff = yaml.safe_load((repository / release.CITATION).read_text())
    assert cff["preferred-citation"]["year"] == 2027
    page = (repository / release.HOW_TO_CITE).read_text()
    assert "  version   = {0.2.0}," in page and "  date      = {2027-01-10}," in page
    assert "  year      = {2026}," not in page
    assert package.released_version(repository) == "0.2.0"
    assert release.check_tag("v0.2.0", repository) == []


def test_a_tag_must_name_the_prepared_edition(repository: Path) -> None:
    release.prepare("2027-01-10", repository)
    assert any("v0.2.1" in p for p in release.check_tag("v0.2.1", repository))
    # code changed after `prepare`: the notebooks would no longer pin this release
    (repository / "code" / "vjpgrad" / "tensor.py").write_text("x = 1\n")
    assert any("releases.json" in p for p in release.check_tag("v0.2.0", repository))


def test_a_released_version_cannot_be_released_again_with_other_code(repository: Path) -> None:
    release.prepare("2027-01-10", repository)
    (repository / "code" / "vjpgrad" / "tensor.py").write_text("x = 1\n")
    with pytest.raises(ValueError, match="raise the version"):
        release.prepare("2027-02-01", repository)
