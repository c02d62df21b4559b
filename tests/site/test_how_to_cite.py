"""The how-to-cite page quotes permalinks and numbers as the built site has them."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from bs4 import BeautifulSoup

from tools.config import REPO_ROOT

HOW_TO_CITE = REPO_ROOT / "book" / "how-to-cite.md"
# the site the citation names (CITATION.cff), which a fork may keep citing
SITE = yaml.safe_load((REPO_ROOT / "CITATION.cff").read_text())["url"].rstrip("/") + "/"


def test_how_to_cite_example_matches_the_site(html_dir: Path) -> None:
    """Each permalink the page quotes exists, and the number it quotes is the site's."""
    text = HOW_TO_CITE.read_text()
    urls = set(re.findall(re.escape(SITE) + r"([\w/.-]+\.html)#([\w-]+)", text))
    assert urls, "the how-to-cite page quotes no permalink"
    for page, anchor in urls:
        built = html_dir / page
        assert built.is_file(), f"how-to-cite quotes {page}, not in the site"
        soup = BeautifulSoup(built.read_text(), "html.parser")
        target = soup.find(id=anchor)
        assert target is not None, f"how-to-cite quotes {page}#{anchor}, not in the site"
        title = target.find("p", class_="admonition-title")
        if title is None:
            continue
        number = " ".join(title.find("span", class_="caption-number").get_text().split())
        name = title.find_all(string=True, recursive=False)
        name = " ".join("".join(name).split()).strip("() ")
        assert f"{number} ({name})" in text, (
            f"how-to-cite must quote {anchor} as it is numbered on the site: {number} ({name})"
        )
