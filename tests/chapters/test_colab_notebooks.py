"""Every chapter launches into Colab: a committed, current notebook with the install cell.

The site's Colab button opens ``book/NAME.ipynb`` on the repository and branch
set in ``_config.yml``. These tests check that the notebooks exist and match
their chapters (``make notebooks`` regenerates them) and that every chapter
with code starts with the Colab set-up cell whose install line names that
same repository and branch. tests/site/test_colab_launch.py checks that the
built pages link there.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from sphinx.errors import ExtensionError

import vjpgrad
from book._ext import prerender_maths
from tools import myst, notebooks, package
from tools.config import REPO_ROOT, book_config, maths_macros, repository

CONFIG = book_config()
REPOSITORY, BRANCH = repository()
CHAPTERS = notebooks.chapter_sources()
CHAPTER_IDS = [md.stem for md in CHAPTERS]


def expected_install_line() -> str:
    """While code/ is a released edition (releases.json), the release from PyPI,
    falling back to the repository at its tag; otherwise the repository and
    branch of _config.yml."""
    released = package.released_version()
    if released is None:
        return f'%pip install --quiet "git+{REPOSITORY}@{BRANCH}#subdirectory=code"'
    return (
        f'%pip install --quiet "vjpgrad=={released}" '
        f'|| python -m pip install --quiet "git+{REPOSITORY}@v{released}#subdirectory=code"'
    )


def setup_cell_source() -> str:
    """The first code cell every chapter with code must start with (brief for writers)."""
    return (
        "# Colab set-up: install vjpgrad, this book's package, when it is missing.\n"
        "try:\n"
        "    import vjpgrad\n"
        "except ImportError:\n"
        f"    {expected_install_line()}"
    )


def test_the_version_is_the_packages_own() -> None:
    """The version the install line may pin is the one the package reports."""
    assert package.version() == vjpgrad.__version__


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
    assert installs, (
        f"the first code cell of {md.name} is not the Colab set-up cell:\n{first.source}"
    )
    assert first.source.strip() == setup_cell_source(), (
        f"the Colab set-up cell of {md.name} differs from the one for {REPOSITORY}@{BRANCH}:\n"
        f"{first.source}\n--- expected ---\n{setup_cell_source()}"
    )
    assert "remove-cell" in first.metadata.get("tags", []), f"{md.name}: set-up cell not hidden"
    for cell in cells[1:]:
        for line in re.findall(r"pip install[^\n]*", cell.source):
            assert "git+" not in line or f"git+{REPOSITORY}@{BRANCH}#" in line, (md.name, line)


def notebook_maths(md: Path) -> list[dict[str, object]]:
    nb = nbformat.read(notebooks.notebook_path(md), as_version=4)
    return [
        {"tex": tex, "display": display}
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for tex, display in myst.maths(cell.source)
    ]


def test_notebook_maths_needs_no_macro_definition() -> None:
    """Colab, GitHub and VS Code keep no \\newcommand from one cell to the next:
    every formula of every notebook typesets with no macro defined."""
    macros = set(maths_macros())
    formulas = [f for md in CHAPTERS for f in notebook_maths(md)]
    assert len(formulas) > 1000, "found too few formulas: is the maths parsing broken?"
    left = {m for f in formulas for m in re.findall(r"\\([A-Za-z]+)", str(f["tex"]))} & macros
    assert not left, f"book macros left in the notebooks: {sorted(left)}"
    prerender_maths.typeset(
        {"output": "svg", "macros": {}, "pages": [formulas]}
    )  # TeX errors raise


def test_the_check_fails_on_an_undefined_macro() -> None:
    with pytest.raises(ExtensionError, match="vx"):
        prerender_maths.typeset(
            {"output": "svg", "macros": {}, "pages": [[{"tex": r"\vx", "display": False}]]}
        )


def test_expanded_maths_draws_what_the_book_draws() -> None:
    """Every formula of the chapters, its macros expanded as in the notebooks and
    typeset without them, draws the glyphs the book's typesetting draws."""
    macros = maths_macros()
    book = [
        {"tex": tex, "display": display}
        for md in CHAPTERS
        for tex, display in myst.maths(md.read_text())
    ]
    expanded = [{**f, "tex": notebooks.expand_macros(str(f["tex"]), macros)} for f in book]
    drawn = [
        prerender_maths.typeset({"output": "svg", "macros": m, "pages": [formulas]})["pages"][0]
        for m, formulas in ((macros, book), ({}, expanded))
    ]
    glyphs = [[re.findall(r'<use data-c="([0-9A-F]+)"', svg) for svg in d["maths"]] for d in drawn]
    differ = [f["tex"] for f, a, b in zip(book, *glyphs, strict=True) if a != b]
    assert not differ, f"expanded formulas drawn differently: {differ[:5]}"
