"""Where things are, and what the book's configuration (_config.yml, _toc.yml) says."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
BOOK_DIR = REPO_ROOT / "book"
PACKAGE_DIR = REPO_ROOT / "code" / "vjpgrad"


def html_dir() -> Path:
    """The built site to check: ``make html``'s, or SITE_HTML_DIR=DIR/_build/html."""
    return Path(os.environ.get("SITE_HTML_DIR") or REPO_ROOT / "_build" / "html").resolve()


def book_config() -> dict[str, Any]:
    """_config.yml as a dictionary."""
    config: dict[str, Any] = yaml.safe_load((REPO_ROOT / "_config.yml").read_text())
    return config


def toc_documents() -> list[str]:
    """Every document of _toc.yml (root first), as a path without suffix."""
    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text())
    docs = [toc["root"]]
    for part in toc.get("parts", []):
        docs += [chapter["file"] for chapter in part.get("chapters", [])]
    return docs


def repository() -> tuple[str, str]:
    """(url, branch) of ``repository`` in _config.yml: where Colab opens the notebooks."""
    config = book_config()["repository"]
    return config["url"].rstrip("/"), config.get("branch") or "main"


def site_url() -> str:
    """Where the site is published, ending in a slash ("" if unknown).

    ``html.baseurl`` when set, else the GitHub Pages address of the
    ``repository`` of _config.yml (https://github.com/ORG/REPO ->
    https://ORG.github.io/REPO/), so that forking the book means changing one
    setting.
    """
    config = book_config()
    url = (config.get("html") or {}).get("baseurl") or ""
    if not url:
        repository = (config.get("repository") or {}).get("url", "").rstrip("/")
        match = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?", repository)
        if match:
            org, repo = match.groups()
            user_site = repo.lower() == f"{org.lower()}.github.io"
            url = f"https://{org.lower()}.github.io/" + ("" if user_site else f"{repo}/")
    return url if not url or url.endswith("/") else url + "/"


def maths_macros() -> dict[str, str | list[str | int]]:
    """The book's TeX macros: mathjax3_config.tex.macros in _config.yml."""
    config = book_config()["sphinx"]["config"].get("mathjax3_config") or {}
    macros: dict[str, str | list[str | int]] = (config.get("tex") or {}).get("macros") or {}
    return macros
