"""The built site holds every chapter and loads nothing from other hosts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import toc_files

REMOTE = re.compile(r"^(?:https?:)?//")
# <link> relations that make the browser fetch something (not e.g. rel="canonical")
FETCHING_LINK_RELS = {"stylesheet", "icon", "preload", "modulepreload", "prefetch", "manifest"}


def remote_assets(page: Path) -> list[str]:
    """URLs on other hosts that the page loads: scripts, styles, images, icons."""
    soup = BeautifulSoup(page.read_text(), "html.parser")
    urls = [tag.get("src", "") for tag in soup.find_all(["script", "img", "iframe", "source"])]
    urls += [
        link.get("href", "")
        for link in soup.find_all("link")
        if FETCHING_LINK_RELS & set(link.get("rel", []))
    ]
    return [url for url in urls if REMOTE.match(url)]


@pytest.mark.parametrize("doc", toc_files())
def test_every_toc_document_is_built(html_dir: Path, doc: str) -> None:
    page = html_dir / f"{doc}.html"
    assert page.is_file(), f"{doc} is in _toc.yml but {page} was not built"


def test_mathjax_is_served_from_the_site(html_dir: Path) -> None:
    assert (html_dir / "_static" / "mathjax" / "tex-chtml.js").is_file()
    for page in html_dir.rglob("*.html"):
        text = page.read_text()
        if "tex-chtml" in text:
            assert "_static/mathjax/tex-chtml.js" in text, page


def test_no_page_loads_assets_from_another_host(html_dir: Path) -> None:
    offenders = {
        str(page.relative_to(html_dir)): remote_assets(page)
        for page in html_dir.rglob("*.html")
    }
    assert not {page: hits for page, hits in offenders.items() if hits}
