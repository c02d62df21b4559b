"""Fixtures shared by the test groups (see README, "Tests").

Only the standard library and pytest are imported here: the package's own
tests (tests/vjpgrad) also run where only vjpgrad and its test tools are
installed (CI's oldest and newest Python).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="session")
def html_dir() -> Path:
    """The built site: make's build, or SITE_HTML_DIR=DIR/_build/html."""
    from tools.config import html_dir

    site = html_dir()
    if not (site / "index.html").is_file():
        pytest.fail(f"no built site at {site}: run `make html` first")
    return site


@pytest.fixture(scope="session")
def base_url(html_dir: Path) -> Iterator[str]:
    """The built site served on 127.0.0.1 at a free port."""
    from tools import chromium

    with chromium.serve(html_dir) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """The system Chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    from tools import chromium

    with sync_playwright() as playwright:
        launched = chromium.launch(playwright)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def screenshot_dir(html_dir: Path) -> Path:
    """Where the browser checks leave their screenshots: _build/screenshots."""
    directory = html_dir.parent / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory
