"""The release assets (`make release`, which `make test` runs after the clean build):
what a GitHub release carries, built here as the release workflow builds it."""

from __future__ import annotations

import posixpath
import urllib.parse
import zipfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tools import notebooks, package
from tools.config import REPO_ROOT, repository, toc_documents

NAME = f"{repository()[0].rsplit('/', 1)[-1]}-{package.version()}"
FETCHED = {"a": "href", "link": "href", "script": "src", "img": "src", "source": "src"}


@pytest.fixture(scope="module")
def assets(html_dir: Path) -> Path:
    folder = html_dir.parent / "release"
    assert folder.is_dir(), f"no release assets at {folder}: run `make release`"
    return folder


def test_the_package_files_are_the_version(assets: Path) -> None:
    names = sorted(p.name for p in (assets / "dist").iterdir())
    version = package.version()
    assert names == [f"vjpgrad-{version}-py3-none-any.whl", f"vjpgrad-{version}.tar.gz"]


def test_the_pdf_is_the_sites(assets: Path, html_dir: Path) -> None:
    assert (assets / "book.pdf").read_bytes() == (html_dir / "book.pdf").read_bytes()


def test_the_notebooks_zip_holds_the_pages_downloads(assets: Path, html_dir: Path) -> None:
    with zipfile.ZipFile(assets / f"{NAME}-notebooks.zip") as archive:
        members = sorted(archive.namelist())
        chapters = notebooks.chapter_sources()
        assert members == sorted(f"{NAME}-notebooks/{md.stem}.ipynb" for md in chapters)
        for md in chapters:
            download = html_dir / "_sources" / md.relative_to(REPO_ROOT).with_suffix(".ipynb")
            assert archive.read(f"{NAME}-notebooks/{md.stem}.ipynb") == download.read_bytes()


def local_targets(page: str, html: str) -> set[str]:
    """The files of the site that PAGE (a path in the zip) links to or loads."""
    soup = BeautifulSoup(html, "html.parser")
    found = set()
    for tag, attribute in FETCHED.items():
        for element in soup.find_all(tag):
            url = str(element.get(attribute) or "")
            parts = urllib.parse.urlsplit(url)
            if not url or parts.scheme or parts.netloc or not parts.path:
                continue  # another site, mailto:, or an anchor on this page
            found.add(posixpath.normpath(posixpath.join(posixpath.dirname(page), parts.path)))
    return found


def test_the_site_zip_opens_from_disk(assets: Path) -> None:
    """Every page of the book is in the zip, and every file a page links to or loads
    is there under a relative path (nothing from a server root, no folder index)."""
    with zipfile.ZipFile(assets / f"{NAME}-site.zip") as archive:
        members = set(archive.namelist())
        assert f"{NAME}/index.html" in members and f"{NAME}/book.pdf" in members
        assert {f"{NAME}/{doc}.html" for doc in toc_documents()} <= members
        missing = []
        pages = [
            m
            for m in sorted(members)
            if m.endswith(".html") and m.split("/")[1] not in ("_static", "_sources", "_images")
        ]
        assert len(pages) >= len(toc_documents()), pages
        for member in pages:
            for target in local_targets(member, archive.read(member).decode()):
                if target not in members:
                    missing.append(f"{member} -> {target}")
        assert not missing, "links to files not in the zip:\n" + "\n".join(missing[:20])
        options = archive.read(f"{NAME}/_static/documentation_options.js").decode()
        assert "SHOW_SEARCH_SUMMARY: false" in options  # no fetch() of pages on file://
