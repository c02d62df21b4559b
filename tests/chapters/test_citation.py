"""Citing: CITATION.cff is valid; the how-to-cite page agrees with it.

tests/site/test_how_to_cite.py checks the page's example against the built site.

``cffconvert --validate`` runs in its own small virtual environment (cffconvert
2.0.0 needs jsonschema < 4, which the book's tools cannot share), cached in
``.venv/cffconvert-env``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools import package
from tools.config import REPO_ROOT

CFFCONVERT = "cffconvert==2.0.0"
ENV_DIR = Path(sys.prefix) / "cffconvert-env"
CITATION = REPO_ROOT / "CITATION.cff"
HOW_TO_CITE = REPO_ROOT / "book" / "how-to-cite.md"
# The citation names the edition it describes (CITATION.cff). A fork for a
# course may keep citing the original edition, so these tests check that the
# citation files agree with each other and with the built pages, not with the
# fork's `repository` setting.
CFF = yaml.safe_load(CITATION.read_text())
SITE = CFF["url"].rstrip("/") + "/"


@pytest.fixture(scope="module")
def cffconvert() -> Path:
    exe = ENV_DIR / "bin" / "cffconvert"
    stamp = ENV_DIR / ".installed"
    key = f"{CFFCONVERT} in {ENV_DIR}"  # scripts' shebangs name the environment's path
    if not (stamp.is_file() and stamp.read_text() == key and exe.is_file()):
        shutil.rmtree(ENV_DIR, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(ENV_DIR)], check=True)
        install = subprocess.run(
            [str(ENV_DIR / "bin" / "python"), "-m", "pip", "install", "--quiet", CFFCONVERT],
            capture_output=True,
            text=True,
        )
        assert install.returncode == 0, install.stdout + install.stderr
        stamp.write_text(key)
    return exe


def test_citation_cff_is_valid(cffconvert: Path) -> None:
    result = subprocess.run(
        [str(ENV_DIR / "bin" / "python"), str(cffconvert), "--validate", "-i", str(CITATION)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_citation_cff_converts_to_bibtex(cffconvert: Path) -> None:
    result = subprocess.run(
        [str(ENV_DIR / "bin" / "python"), str(cffconvert), "-f", "bibtex", "-i", str(CITATION)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert CFF["title"] in result.stdout


def test_citation_cff_is_consistent() -> None:
    preferred = CFF["preferred-citation"]
    assert preferred["title"] == CFF["title"]
    assert preferred["url"].rstrip("/") + "/" == SITE
    assert preferred["repository-code"] == CFF["repository-code"]
    assert CFF["repository-code"].startswith("https://github.com/")


def test_how_to_cite_is_in_the_table_of_contents() -> None:
    assert "book/how-to-cite" in (REPO_ROOT / "_toc.yml").read_text()


def test_how_to_cite_has_bibtex_for_the_book() -> None:
    text = HOW_TO_CITE.read_text()
    assert re.search(r"```bibtex\s*\n@book\{", text), "no BibTeX entry for the book"
    assert f"title     = {{{CFF['title']}}}" in text, "BibTeX title differs from CITATION.cff"
    assert f"url       = {{{SITE}}}" in text, "BibTeX url differs from CITATION.cff"


def test_the_citation_names_an_edition() -> None:
    """CITATION.cff carries the edition's version and date; it is the latest release."""
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(CFF["version"])), CFF.get("version")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(CFF["date-released"]))
    assert CFF["preferred-citation"]["year"] == int(str(CFF["date-released"])[:4])
    released = package.releases()
    if released:
        latest = released[-1]
        assert (str(CFF["version"]), str(CFF["date-released"])) == (
            latest["version"],
            latest["date"],
        ), "CITATION.cff does not name the latest release of releases.json"


def test_how_to_cite_shows_how_to_cite_the_edition() -> None:
    text = HOW_TO_CITE.read_text()
    assert f"  version   = {{{CFF['version']}}}," in text, "the edition's version differs"
    assert f"  date      = {{{CFF['date-released']}}}," in text, "the edition's date differs"
    years = set(re.findall(r"^  year      = \{(\d{4})\},$", text, re.M))
    assert years == {str(CFF["date-released"])[:4]}, years
