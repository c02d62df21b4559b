"""What readers and other books expect of a Jupyter Book site: a named inventory
for intersphinx, and an "open an issue" button for errata on every page."""

from __future__ import annotations

import urllib.parse
import zlib
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tools.config import book_config, repository, toc_documents


def test_the_inventory_names_the_book(html_dir: Path) -> None:
    header = (html_dir / "objects.inv").read_bytes().split(b"\n", 4)
    assert header[1].decode() == f"# Project: {book_config()['project']}"
    entries = zlib.decompress(header[4]).decode()
    assert "ch-probability std:label" in entries  # labels other books can reference


@pytest.mark.parametrize("doc", toc_documents())
def test_every_page_offers_to_open_an_issue(html_dir: Path, doc: str) -> None:
    soup = BeautifulSoup((html_dir / f"{doc}.html").read_text(), "html.parser")
    issues = [
        str(a["href"]) for a in soup.find_all("a", href=True) if "/issues/new" in str(a["href"])
    ]
    assert len(issues) == 1, f"{doc}: issue links {issues}"
    url = urllib.parse.urlsplit(issues[0])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{repository()[0]}/issues/new"
    assert doc in urllib.parse.unquote(url.query), f"{doc}: the issue does not name the page"
