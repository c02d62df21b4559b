"""The site's Colab button opens the committed notebook; the set-up cell stays hidden.

tests/chapters/test_colab_notebooks.py checks the notebooks themselves.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tools import notebooks
from tools.config import REPO_ROOT, book_config, repository

CONFIG = book_config()
REPOSITORY, BRANCH = repository()
CHAPTERS = notebooks.chapter_sources()
CHAPTER_IDS = [md.stem for md in CHAPTERS]


def _tracked_by_git(path: Path) -> bool | None:
    if not (REPO_ROOT / ".git").exists():
        return None
    result = subprocess.run(
        ["git", "ls-files", "--error-unmatch", str(path.relative_to(REPO_ROOT))],
        cwd=REPO_ROOT,
        capture_output=True,
    )
    return result.returncode == 0


@pytest.mark.parametrize("md", CHAPTERS, ids=CHAPTER_IDS)
def test_launch_button_opens_the_committed_notebook(html_dir: Path, md: Path) -> None:
    doc = md.relative_to(REPO_ROOT).with_suffix("").as_posix()
    soup = BeautifulSoup((html_dir / f"{doc}.html").read_text(), "html.parser")
    links = [
        a["href"] for a in soup.find_all("a", href=True) if "colab.research.google.com" in a["href"]
    ]
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
