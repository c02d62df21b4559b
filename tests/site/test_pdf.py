"""Downloads and the PDF: every page offers its .md and .ipynb; the book is one PDF.

``make html`` prints the built site into ``_build/html/book.pdf``
(tools/build_pdf.py) and every page's download menu links to it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urljoin

import pytest
from bs4 import BeautifulSoup

from tools.config import REPO_ROOT, toc_documents

PDF_NAME = "book.pdf"


@lru_cache(maxsize=1)
def pdf_text(pdf: Path) -> tuple[int, str]:
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return len(reader.pages), text


@pytest.fixture(scope="module")
def pdf(html_dir: Path) -> Path:
    path = html_dir / PDF_NAME
    assert path.is_file(), f"{path} missing: `make html` prints it with tools/build_pdf.py"
    return path


def built_labels(html_dir: Path, css_class: str) -> list[tuple[str, str]]:
    """(caption number, title) of every box of one kind on the site, e.g. definitions."""
    found = []
    for doc in toc_documents():
        page = html_dir / f"{doc}.html"
        soup = BeautifulSoup(page.read_text(), "html.parser")
        for box in soup.select(f"div.proof.{css_class}[id] > p.admonition-title"):
            number = box.find("span", class_="caption-number")
            title = " ".join(t for t in box.find_all(string=True, recursive=False)).strip(" ()#")
            has_maths = box.find(class_="math") is not None
            found.append((" ".join(number.get_text().split()) if number else "", title, has_maths))
    return found


def normalise(text: str) -> str:
    """PDF text without hyphenation/line breaks, ligatures spelled out."""
    text = text.replace("\ufb01", "fi").replace("\ufb02", "fl").replace("\ufb00", "ff")
    text = text.replace("\ufb03", "ffi").replace("\ufb04", "ffl").replace("\u2019", "'")
    return " ".join(text.split())


def test_pdf_page_count_is_sane(pdf: Path) -> None:
    pages, _ = pdf_text(pdf)
    chapters = len(toc_documents())
    assert chapters <= pages <= 60 * chapters, f"{pages} pages for {chapters} documents"


def test_pdf_has_every_chapter_title_in_order(html_dir: Path, pdf: Path) -> None:
    _, text = pdf_text(pdf)
    text = normalise(text)
    position = 0
    for doc in toc_documents():
        soup = BeautifulSoup((html_dir / f"{doc}.html").read_text(), "html.parser")
        h1 = soup.find("article").find("h1")
        title = normalise(
            " ".join(s for s in h1.find_all(string=True) if s.parent.get("class") != ["headerlink"])
        )
        title = title.rstrip("#").strip()
        found = text.find(title, position)
        assert found >= 0, f"chapter title {title!r} not in the PDF (after position {position})"
        position = found


def squash(text: str) -> str:
    """Text without any whitespace or hyphen, for matching across line breaks."""
    return re.sub(r"[\s\-\u00ad]", "", normalise(text))


def test_pdf_has_definitions_numbered_as_on_the_site(html_dir: Path, pdf: Path) -> None:
    """e.g. "Definition 2.5 (Probability measure)": number and title as on the site.

    Titles containing maths are matched on their number only (the PDF holds the
    typeset glyphs, not the TeX).
    """
    _, text = pdf_text(pdf)
    text = squash(text)
    definitions = built_labels(html_dir, "definition") + built_labels(html_dir, "theorem")
    assert definitions, "found no definition or theorem on the site: the page parsing is broken"
    missing = []
    for number, title, has_maths in definitions:
        expected = f"{number} (" if has_maths else f"{number} ({title})"
        if squash(expected) not in text:
            missing.append(expected)
    assert not missing, f"not in the PDF text: {missing[:10]}"


def test_pdf_has_typeset_maths(html_dir: Path, pdf: Path) -> None:
    """The maths was typeset before printing: maths glyphs are in the text, no raw TeX.

    The TeX of each formula is the annotation that the build keeps with it
    (book/_ext/prerender_maths.py).
    """
    _, text = pdf_text(pdf)
    symbols = [c for c in "∑∫∈∂∇θ≤≥→∞" if c in text]
    assert len(symbols) >= 2, f"too few maths symbols in the PDF text: {symbols}"
    # no formula of the site appears as its TeX source
    squashed = squash(text)
    raw, formulas = [], 0
    for doc in toc_documents():
        soup = BeautifulSoup((html_dir / f"{doc}.html").read_text(), "html.parser")
        for source in soup.select('article div.math annotation[encoding="application/x-tex"]'):
            tex = source.get_text()
            formulas += 1
            if len(squash(tex)) >= 12 and "\\" in tex and squash(tex) in squashed:
                raw.append(tex[:60])
    assert formulas, "found no display maths with its TeX on the site: the page parsing is broken"
    assert not raw, f"formulas printed as TeX source: {raw[:5]}"


def test_pdf_has_figures_numbered_as_on_the_site(html_dir: Path, pdf: Path) -> None:
    _, text = pdf_text(pdf)
    text = normalise(text)
    numbers = []
    for doc in toc_documents():
        soup = BeautifulSoup((html_dir / f"{doc}.html").read_text(), "html.parser")
        numbers += [
            " ".join(s.get_text().split())
            for s in soup.select("figure[id] figcaption span.caption-number")
        ]
    assert numbers, "found no numbered figure on the site: the page parsing is broken"
    missing = [n for n in numbers if n not in text]
    assert not missing, f"figure numbers not in the PDF: {missing}"


@pytest.mark.parametrize("doc", toc_documents())
def test_every_page_links_the_book_pdf(html_dir: Path, doc: str) -> None:
    page = html_dir / f"{doc}.html"
    soup = BeautifulSoup(page.read_text(), "html.parser")
    targets = {
        Path(unquote(urljoin(page.as_uri(), a["href"]).removeprefix("file://"))).resolve()
        for a in soup.find_all("a", href=True)
        if a["href"].endswith(PDF_NAME)
    }
    assert (html_dir / PDF_NAME).resolve() in targets, f"{doc} does not link {PDF_NAME}"


def download_links(page: Path) -> dict[str, Path]:
    soup = BeautifulSoup(page.read_text(), "html.parser")
    links = {}
    for a in soup.select(".dropdown-download-buttons a[href], a.btn[href]"):
        href = a["href"]
        if "_sources/" in href:
            target = Path(unquote(urljoin(page.as_uri(), href).removeprefix("file://")))
            links[target.suffix] = target
    return links


@pytest.mark.parametrize("doc", toc_documents())
def test_each_page_offers_its_sources_for_download(html_dir: Path, doc: str) -> None:
    """The .md, and for MyST notebooks the .ipynb, are offered and exist in the build."""
    page = html_dir / f"{doc}.html"
    links = download_links(page)
    assert ".md" in links, f"{doc}: no .md download ({links})"
    source = (REPO_ROOT / f"{doc}.md").read_text()
    if "kernelspec:" in source.split("---", 2)[1] if source.startswith("---") else False:
        assert ".ipynb" in links, f"{doc}: no .ipynb download ({links})"
    for suffix, target in links.items():
        assert target.is_file(), f"{doc}: the {suffix} download {target} does not exist"
        assert target.stat().st_size > 0


def test_pdf_has_an_outline_of_the_chapters(pdf: Path) -> None:
    """Bookmarks: one entry per chapter (Chromium builds them from the tagged PDF)."""
    from pypdf import PdfReader

    def titles(items) -> list[str]:
        found = []
        for item in items:
            found += titles(item) if isinstance(item, list) else [squash(item.title)]
        return found

    outline = titles(PdfReader(pdf).outline)
    numbered = [t for t in outline if re.match(r"\d+\.\D", t)]
    assert len(numbered) >= 3, f"the PDF outline lacks the chapters: {outline[:12]}"
