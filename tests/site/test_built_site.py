"""The built site holds every chapter, loads nothing from other hosts, gives images alt text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tools.config import toc_documents

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


@pytest.mark.parametrize("doc", toc_documents())
def test_every_toc_document_is_built(html_dir: Path, doc: str) -> None:
    page = html_dir / f"{doc}.html"
    assert page.is_file(), f"{doc} is in _toc.yml but {page} was not built"


MATHJAX_SCRIPT = re.compile(r"<script[^>]*(?:src=[\"'][^\"']*mathjax|>\s*window\.MathJax)", re.I)


def test_maths_is_typeset_when_the_book_is_built(html_dir: Path) -> None:
    """No page loads MathJax; every formula is SVG with MathML and its TeX source."""
    pages_with_maths = 0
    for page in sorted(html_dir.rglob("*.html")):
        text = page.read_text()
        name = page.relative_to(html_dir)
        assert not MATHJAX_SCRIPT.search(text), f"{name} still loads MathJax"
        soup = BeautifulSoup(text, "html.parser")
        maths = soup.select(".math")
        if not maths:
            continue
        pages_with_maths += 1
        assert soup.select_one("svg#MJX-SVG-global-cache defs"), f"{name}: no glyph definitions"
        assert soup.find("link", href=re.compile(r"_static/mathjax-svg\.css(\?v=\w+)?$")), (
            f"{name}: no maths CSS"
        )
        for math in maths:
            container = math.find("mjx-container", recursive=False)
            assert container is not None and container.find("svg"), f"{name}: not typeset: {math}"[
                :300
            ]
            annotation = container.select_one(
                'mjx-assistive-mml > math > semantics > annotation[encoding="application/x-tex"]'
            )
            assert annotation is not None and annotation.get_text().strip(), (
                f"{name}: no TeX source: {math}"[:300]
            )
            # the book's maths has no backslash character: one drawn is TeX or a
            # CSS escape shown as text (f'' once came out as f\2032\2032)
            assert not container.select('svg use[data-c="5C"]'), (
                f"{name}: a backslash is drawn in {annotation.get_text()!r}"
            )
    assert pages_with_maths >= 5, (
        f"only {pages_with_maths} pages with maths: the page parsing is broken"
    )
    assert (html_dir / "_static" / "mathjax-svg.css").is_file()


def test_no_page_loads_assets_from_another_host(html_dir: Path) -> None:
    offenders = {
        str(page.relative_to(html_dir)): remote_assets(page) for page in html_dir.rglob("*.html")
    }
    assert not {page: hits for page, hits in offenders.items() if hits}


def test_every_image_has_alt_text(html_dir: Path) -> None:
    missing = []
    for page in sorted(html_dir.rglob("*.html")):
        for img in BeautifulSoup(page.read_text(), "html.parser").find_all("img"):
            if not (img.get("alt") or "").strip():
                missing.append(f"{page.relative_to(html_dir)}: {img.get('src')}")
    assert not missing, "images without alt text:\n  " + "\n  ".join(missing)
