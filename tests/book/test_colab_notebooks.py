"""Every chapter launches into Colab: a committed, current notebook with the install cell.

The site's Colab button opens ``book/NAME.ipynb`` on the repository and branch
set in ``_config.yml``. These tests check that the notebooks exist and match
their chapters (``make notebooks`` regenerates them), that every chapter with
code starts with the Colab set-up cell whose install line names that same
repository and branch, and that the built pages link there.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup

from conftest import REPO_ROOT

spec = importlib.util.spec_from_file_location("notebooks", REPO_ROOT / "scripts" / "notebooks.py")
notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(notebooks)

CONFIG = yaml.safe_load((REPO_ROOT / "_config.yml").read_text())
REPOSITORY = CONFIG["repository"]["url"].rstrip("/")
BRANCH = CONFIG["repository"].get("branch", "main")
CHAPTERS = notebooks.chapter_sources()
CHAPTER_IDS = [md.stem for md in CHAPTERS]


def setup_cell_source() -> str:
    """The first code cell every chapter with code must start with (brief for writers)."""
    return (
        "# Colab set-up: install vjpgrad, this book's package, when it is missing.\n"
        "try:\n"
        "    import vjpgrad\n"
        "except ImportError:\n"
        f'    %pip install --quiet "git+{REPOSITORY}@{BRANCH}#subdirectory=code"'
    )


def code_cells(nb: nbformat.NotebookNode) -> list:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def test_there_are_chapters() -> None:
    assert CHAPTERS, "no MyST notebook found in _toc.yml"


def test_notebooks_are_excluded_from_the_sphinx_build() -> None:
    """Sphinx must read only the .md (else: "multiple files found" warning)."""
    assert "book/**.ipynb" in CONFIG["exclude_patterns"]


def test_colab_launch_is_configured() -> None:
    assert CONFIG["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert REPOSITORY.startswith("https://github.com/"), "Colab opens notebooks from GitHub"


@pytest.mark.parametrize("md", CHAPTERS, ids=CHAPTER_IDS)
def test_notebook_is_current(md: Path) -> None:
    ipynb = notebooks.notebook_path(md)
    assert ipynb.is_file(), f"{ipynb.relative_to(REPO_ROOT)} is missing: run `make notebooks`"
    committed = nbformat.read(ipynb, as_version=4)
    fresh = notebooks.render(md)
    assert notebooks.comparable(committed) == notebooks.comparable(fresh), (
        f"{ipynb.relative_to(REPO_ROOT)} is stale (differs from {md.name}): run `make notebooks`"
    )
    for cell in code_cells(committed):
        assert not cell.get("outputs"), f"{ipynb.name} stores outputs"
        assert cell.get("execution_count") is None


@pytest.mark.parametrize("md", CHAPTERS, ids=CHAPTER_IDS)
def test_install_line_matches_the_repository_setting(md: Path) -> None:
    """The first code cell is the Colab set-up cell, hidden, naming _config.yml's repository."""
    nb = notebooks.render(md)
    cells = code_cells(nb)
    if not cells:
        pytest.skip(f"{md.name} has no code")
    first = cells[0]
    installs = re.findall(r"pip install[^\n]*", first.source)
    assert installs, f"the first code cell of {md.name} is not the Colab set-up cell:\n{first.source}"
    assert first.source.strip() == setup_cell_source(), (
        f"the Colab set-up cell of {md.name} differs from the one for {REPOSITORY}@{BRANCH}:\n"
        f"{first.source}\n--- expected ---\n{setup_cell_source()}"
    )
    assert "remove-cell" in first.metadata.get("tags", []), f"{md.name}: set-up cell not hidden"
    for cell in cells[1:]:
        for line in re.findall(r"pip install[^\n]*", cell.source):
            assert "git+" not in line or f"git+{REPOSITORY}@{BRANCH}#" in line, (md.name, line)


def _tracked_by_git(path: Path) -> bool | None:
    if not (REPO_ROOT / ".git").exists():
        return None
    result = subprocess.run(
        ["git", "ls-files", "--error-unmatch", str(path.relative_to(REPO_ROOT))],
        cwd=REPO_ROOT, capture_output=True,
    )
    return result.returncode == 0


@pytest.mark.parametrize("md", CHAPTERS, ids=CHAPTER_IDS)
def test_launch_button_opens_the_committed_notebook(html_dir: Path, md: Path) -> None:
    doc = md.relative_to(REPO_ROOT).with_suffix("").as_posix()
    soup = BeautifulSoup((html_dir / f"{doc}.html").read_text(), "html.parser")
    links = [a["href"] for a in soup.find_all("a", href=True) if "colab.research.google.com" in a["href"]]
    org_repo = REPOSITORY.removeprefix("https://github.com/")
    path_to_book = (CONFIG["repository"].get("path_to_book") or "").strip("/")
    relpath = f"{path_to_book}/{doc}.ipynb" if path_to_book else f"{doc}.ipynb"
    expected = f"https://colab.research.google.com/github/{org_repo}/blob/{BRANCH}/{relpath}"
    assert links == [expected], f"{doc}: Colab links {links}, expected [{expected}]"
    ipynb = REPO_ROOT / relpath
    assert ipynb.is_file(), f"the Colab button opens {relpath}, which does not exist"
    assert _tracked_by_git(ipynb) is not False, f"{relpath} is not committed: Colab cannot open it"


@pytest.mark.parametrize("md", CHAPTERS, ids=CHAPTER_IDS)
def test_setup_cell_is_hidden_on_the_site(html_dir: Path, md: Path) -> None:
    doc = md.relative_to(REPO_ROOT).with_suffix("").as_posix()
    article = BeautifulSoup((html_dir / f"{doc}.html").read_text(), "html.parser").find("article")
    assert "Colab set-up" not in article.get_text(), f"{doc} shows the Colab set-up cell"
