"""What the scripts read from the book's configuration: _config.yml and _toc.yml."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]


def book_config() -> dict:
    """_config.yml as a dictionary."""
    return yaml.safe_load((REPO_ROOT / "_config.yml").read_text())


def toc_documents() -> list[str]:
    """Every document of _toc.yml (root first), as a path without suffix."""
    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text())
    docs = [toc["root"]]
    for part in toc.get("parts", []):
        docs += [chapter["file"] for chapter in part.get("chapters", [])]
    return docs


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


def maths_macros() -> dict:
    """The book's TeX macros: mathjax3_config.tex.macros in _config.yml."""
    config = book_config()["sphinx"]["config"].get("mathjax3_config") or {}
    return (config.get("tex") or {}).get("macros") or {}
