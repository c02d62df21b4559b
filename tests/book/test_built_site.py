"""The built site holds every chapter and loads nothing from other hosts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import toc_files

REMOTE_ASSET = re.compile(r"""<(?:script|link|img)\b[^>]*\b(?:src|href)=["'](?:https?:)?//""")


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
        str(page.relative_to(html_dir)): REMOTE_ASSET.findall(page.read_text())
        for page in html_dir.rglob("*.html")
    }
    assert not {page: hits for page, hits in offenders.items() if hits}
