"""The Colab notebooks name results as the built site does: "Definition 2.5", "(2.4)".

tools/notebooks.py takes the numbers and titles from book/labels.json; these
tests compare the notebooks with the built pages themselves.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from tools import myst, notebooks
from tools.config import site_url

CHAPTERS = notebooks.chapter_sources()
HEADING = re.compile(r"^(?:> )+\*\*(?P<kind>[A-Z][a-z]+) (?P<number>\d+\.\d+)\b", re.M)


@pytest.fixture(scope="module")
def site_links(html_dir: Path) -> dict[str, set[str]]:
    """anchor -> every text the site's pages show on links to it."""
    texts: dict[str, set[str]] = defaultdict(set)
    for page in (html_dir / "book").glob("*.html"):
        for a in BeautifulSoup(page.read_text(), "html.parser").select("a[href*='#']"):
            texts[str(a["href"]).split("#")[-1]].add(" ".join(a.get_text().split()))
    return texts


def markdown(md: Path) -> str:
    nb = nbformat.read(notebooks.notebook_path(md), as_version=4)
    return "\n\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda md: md.stem)
def test_links_to_results_read_as_on_the_site(md: Path, site_links) -> None:
    site = site_url()
    links = [(url, text) for url, text in myst.links(markdown(md)) if url.startswith(site)]
    assert links, f"{md.stem}: no link to the site in the notebook"
    wrong = []
    for url, text in links:
        anchor = url.split("#", 1)[1]
        if text not in site_links[anchor]:
            wrong.append(f"[{text}]({url}): the site shows {sorted(site_links[anchor])}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda md: md.stem)
def test_boxes_carry_the_sites_numbers(md: Path, html_dir: Path) -> None:
    page = html_dir / md.relative_to(md.parents[1]).with_suffix(".html")
    soup = BeautifulSoup(page.read_text(), "html.parser")
    numbered = {
        " ".join(title.get_text().split())
        for title in soup.select("article p.admonition-title span.caption-number")
    }
    site = {re.sub(r"^(\w+) ([\d.]+).*", r"\1 \2", n) for n in numbered}
    headings = {f"{m['kind']} {m['number']}" for m in HEADING.finditer(markdown(md))}
    headings = {h for h in headings if not h.startswith("Solution")}
    assert headings, f"{md.stem}: no numbered box in the notebook"
    assert headings <= site, f"numbers the site does not show: {sorted(headings - site)}"
