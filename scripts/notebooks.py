"""Make the Colab notebooks: book/NAME.ipynb from each MyST notebook book/NAME.md.

The site's "launch in Colab" button opens ``book/NAME.ipynb`` on the repository
and branch set in ``_config.yml`` (sphinx-book-theme links the ``.ipynb`` when
one sits beside the ``.md``). These notebooks are generated, never edited: run

    make notebooks            # (re)write every book/NAME.ipynb, after pointing
                              # each chapter's Colab install line at the
                              # repository/branch of _config.yml
    python scripts/notebooks.py --check   # exit 1 if one is stale or missing

They hold no outputs, have deterministic cell ids (so regenerating an unchanged
chapter changes no byte) and are excluded from the Sphinx build
(``exclude_patterns`` in ``_config.yml``), which reads the ``.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

import jupytext
import nbformat
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]


def toc_documents() -> list[str]:
    """Every document of _toc.yml (root first), as a path without suffix."""
    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text())
    docs = [toc["root"]]
    for part in toc.get("parts", []):
        docs += [chapter["file"] for chapter in part.get("chapters", [])]
    return docs


def is_myst_notebook(md: Path) -> bool:
    """True when the Markdown file has the jupytext/kernelspec front matter."""
    text = md.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return False
    front = yaml.safe_load(text.split("---", 2)[1]) or {}
    return "kernelspec" in front


def chapter_sources() -> list[Path]:
    """The MyST notebooks of the book, in table-of-contents order."""
    sources = []
    for doc in toc_documents():
        md = REPO_ROOT / f"{doc}.md"
        if md.is_file() and is_myst_notebook(md):
            sources.append(md)
    return sources


INSTALL_LINE = re.compile(r'%pip install --quiet "git\+[^"@#]+@[^"#]+#subdirectory=code"')


def install_line() -> str:
    """The Colab install line for the repository and branch of _config.yml."""
    config = yaml.safe_load((REPO_ROOT / "_config.yml").read_text())
    url = config["repository"]["url"].rstrip("/")
    branch = config["repository"].get("branch") or "main"
    return f'%pip install --quiet "git+{url}@{branch}#subdirectory=code"'


def sync_install_lines() -> list[Path]:
    """Point every chapter's Colab install line at the repository of _config.yml.

    Only the URL inside that one line changes; run by ``make notebooks`` so a
    fork changes ``repository`` in _config.yml and nothing else by hand.
    """
    changed = []
    for md in chapter_sources():
        text = md.read_text(encoding="utf-8")
        new = INSTALL_LINE.sub(lambda _: install_line(), text)
        if new != text:
            md.write_text(new, encoding="utf-8")
            changed.append(md)
    return changed


def notebook_path(md: Path) -> Path:
    return md.with_suffix(".ipynb")


def render(md: Path) -> nbformat.NotebookNode:
    """The Colab notebook of one chapter: its cells, no outputs, stable ids."""
    nb = jupytext.read(md, fmt="md:myst")
    nb.metadata.pop("jupytext", None)
    nb.metadata["language_info"] = {"name": "python"}
    nb.nbformat, nb.nbformat_minor = 4, 5
    for index, cell in enumerate(nb.cells):
        digest = hashlib.sha1(f"{index}\0{cell.source}".encode()).hexdigest()[:12]
        cell["id"] = f"c{index:03d}-{digest}"
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def dumps(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb, version=4) + "\n"


def comparable(nb: nbformat.NotebookNode) -> list:
    """What must agree between the committed and the regenerated notebook."""
    cells = [
        (c.cell_type, c.source, dict(c.metadata), c.get("outputs", []))
        for c in nb.cells
    ]
    return [dict(nb.metadata), cells]


def stale_notebooks() -> list[str]:
    """Messages for every chapter whose committed notebook is missing or stale."""
    problems = []
    for md in chapter_sources():
        ipynb = notebook_path(md)
        rel = ipynb.relative_to(REPO_ROOT)
        if not ipynb.is_file():
            problems.append(f"{rel} is missing")
            continue
        committed = nbformat.read(ipynb, as_version=4)
        if comparable(committed) != comparable(render(md)):
            problems.append(f"{rel} is stale (differs from {md.relative_to(REPO_ROOT)})")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check, write nothing")
    args = parser.parse_args()
    if args.check:
        problems = stale_notebooks()
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run `make notebooks` and commit book/*.ipynb", file=sys.stderr)
        return 1 if problems else 0
    for md in sync_install_lines():
        print(f"pointed the Colab install line of {md.relative_to(REPO_ROOT)} at {install_line()}")
    for md in chapter_sources():
        ipynb = notebook_path(md)
        text = dumps(render(md))
        if not ipynb.is_file() or ipynb.read_text(encoding="utf-8") != text:
            ipynb.write_text(text, encoding="utf-8")
            print(f"wrote {ipynb.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
