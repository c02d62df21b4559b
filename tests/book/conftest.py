"""Shared fixtures for the checks of the built site (run after `make html`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
HTML_DIR = REPO_ROOT / "_build" / "html"


def toc_files() -> list[str]:
    """Every document named in _toc.yml, root first, without extension."""
    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


@pytest.fixture(scope="session")
def html_dir() -> Path:
    if not (HTML_DIR / "index.html").is_file():
        pytest.fail(f"no built site at {HTML_DIR}: run `make html` first")
    return HTML_DIR


# Check a build made elsewhere (make html OUT=DIR): SITE_HTML_DIR=DIR/_build/html
import os  # noqa: E402

if os.environ.get("SITE_HTML_DIR"):
    HTML_DIR = Path(os.environ["SITE_HTML_DIR"])
