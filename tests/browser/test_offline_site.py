"""The release's site zip, unpacked and opened from disk (file://) in Chromium:
the root page leads to the book, the chapters show their maths and images,
and the search finds a chapter, with no error in the console."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tools import package
from tools.config import repository, toc_documents

NAME = f"{repository()[0].rsplit('/', 1)[-1]}-{package.version()}"

PAGE_STATE_JS = """() => ({
  maths: document.querySelectorAll('mjx-container').length,
  broken: [...document.images].filter((img) => !(img.complete && img.naturalWidth > 0))
                              .map((img) => img.src),
})"""


@pytest.fixture(scope="module")
def unpacked(html_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    site_zip = html_dir.parent / "release" / f"{NAME}-site.zip"
    assert site_zip.is_file(), f"{site_zip} missing: run `make release`"
    folder = tmp_path_factory.mktemp("offline")
    with zipfile.ZipFile(site_zip) as archive:
        archive.extractall(folder)
    return folder / NAME


def visit(browser, url: str, wait_for_url: str | None = None):
    """Load URL in a fresh page; return (page, problems the page reported)."""
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} ({r.failure})"))
    page.goto(url, wait_until="load")
    if wait_for_url:
        page.wait_for_url(wait_for_url, timeout=15000)
        page.wait_for_load_state("load")
    return page, problems


def test_the_root_page_leads_to_the_book(browser, unpacked: Path) -> None:
    page, problems = visit(browser, (unpacked / "index.html").as_uri(), "**/book/intro.html")
    page.close()
    # the redirect page is left at once, so the browser cancels its favicon
    problems = [p for p in problems if not p.endswith("favicon.svg (net::ERR_ABORTED)")]
    assert not problems, problems


@pytest.mark.parametrize("doc", toc_documents())
def test_a_chapter_reads_from_disk(browser, unpacked: Path, doc: str) -> None:
    page, problems = visit(browser, (unpacked / f"{doc}.html").as_uri())
    page.wait_for_timeout(300)
    state = page.evaluate(PAGE_STATE_JS)
    page.close()
    assert not problems, problems
    assert not state["broken"], f"images not shown: {state['broken']}"
    if (unpacked / f"{doc}.html").read_text().count('class="math') > 0:
        assert state["maths"] > 0, f"{doc}: no typeset maths"


def test_the_search_works_from_disk(browser, unpacked: Path) -> None:
    page, problems = visit(browser, (unpacked / "search.html").as_uri() + "?q=Bayes+theorem")
    results = page.locator("#search-results ul.search li a")
    results.first.wait_for(timeout=15000)
    hrefs = results.evaluate_all("links => links.map((a) => a.getAttribute('href'))")
    page.wait_for_timeout(500)
    page.close()
    assert any(h.split("#")[0].endswith("book/probability.html") for h in hrefs), hrefs
    assert not problems, problems
