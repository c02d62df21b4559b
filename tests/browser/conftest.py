"""Fixtures for the checks of the built site in a real browser.

The built site (``make html``) is served on 127.0.0.1 at a free port and
visited with Playwright driving the system Chromium (see scripts/site_browser.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))

import site_browser  # noqa: E402 - scripts/ is not a package

HTML_DIR = site_browser.HTML_DIR


@pytest.fixture(scope="session")
def html_dir() -> Path:
    if not (HTML_DIR / "index.html").is_file():
        pytest.fail(f"no built site at {HTML_DIR}: run `make html` first")
    return HTML_DIR


@pytest.fixture(scope="session")
def base_url(html_dir: Path):
    with site_browser.serve(html_dir) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = site_browser.launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshot_dir(html_dir: Path) -> Path:
    site_browser.SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return site_browser.SCREENSHOT_DIR
