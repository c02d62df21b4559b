"""Every cross-reference in the book resolves in the built site.

Sphinx already fails the build on an unknown label (warnings are errors); these
tests check the result a reader clicks: each `{prf:ref}` written in a chapter
became a link, and every internal link points at an element that exists.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from urllib.parse import unquote, urldefrag

import pytest
from bs4 import BeautifulSoup

from tools import myst
from tools.config import REPO_ROOT, toc_documents


@cache
def ids_in(page: Path) -> frozenset[str]:
    soup = BeautifulSoup(page.read_text(), "html.parser")
    return frozenset(tag["id"] for tag in soup.find_all(id=True))


def chapter_sources() -> list[Path]:
    sources = [REPO_ROOT / f"{doc}.md" for doc in toc_documents()]
    return [path for path in sources if path.is_file()]


@pytest.mark.parametrize("source", chapter_sources(), ids=lambda p: p.stem)
def test_every_prf_ref_became_a_working_link(html_dir: Path, source: Path) -> None:
    labels = {role.target for role in myst.roles(source.read_text()) if role.name == "prf:ref"}
    page = html_dir / source.relative_to(REPO_ROOT).with_suffix(".html")
    soup = BeautifulSoup(page.read_text(), "html.parser")
    linked = {urldefrag(a["href"])[1] for a in soup.select("a.reference.internal[href*='#']")}
    missing = sorted(labels - linked)
    assert not missing, f"{source.name}: {{prf:ref}} without a link in the page: {missing}"


def test_every_internal_link_resolves(html_dir: Path) -> None:
    broken = []
    for page in sorted(html_dir.rglob("*.html")):
        soup = BeautifulSoup(page.read_text(), "html.parser")
        for anchor in soup.select("a.reference.internal[href]"):
            url, fragment = urldefrag(anchor["href"])
            target = (page.parent / unquote(url)).resolve() if url else page
            if not target.is_file():
                broken.append(f"{page.relative_to(html_dir)} -> {anchor['href']} (no page)")
            elif fragment and target.suffix == ".html" and unquote(fragment) not in ids_in(target):
                broken.append(f"{page.relative_to(html_dir)} -> {anchor['href']} (no anchor)")
    assert not broken, "\n".join(broken)
