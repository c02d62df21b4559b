"""The build configuration does what the README promises: a notebook cell that
raises makes the build fail (instead of rendering the traceback silently,
jupyter-book#781). Each test builds a one-page book with this repository's
configuration and extensions.

tests/tools/test_invalidate_stale_cache.py checks that a change to the package
drops the cached notebook outputs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import yaml

from tools.config import REPO_ROOT

CHAPTER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A tiny chapter

```{{code-cell}} ipython3
{code}
```
"""


def make_tiny_book(root: Path, code: str) -> Path:
    """A one-page book that uses this repository's own configuration."""
    config = yaml.safe_load((REPO_ROOT / "_config.yml").read_text())
    (root / "_config.yml").write_text(yaml.safe_dump(config))
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/tiny\n")
    book = root / "book"
    for folder in ("_ext", "_static"):
        if (REPO_ROOT / "book" / folder).is_dir():
            shutil.copytree(REPO_ROOT / "book" / folder, book / folder)
    for bibfile in config.get("bibtex_bibfiles", []):
        shutil.copy(REPO_ROOT / bibfile, root / bibfile)
    (book / "tiny.md").write_text(CHAPTER.format(code=code))
    (root / "node_modules").symlink_to(REPO_ROOT / "node_modules")
    return root


def build(root: Path) -> subprocess.CompletedProcess:
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    return subprocess.run(
        [str(jupyter_book), "build", ".", "--warningiserror", "--nitpick", "--keep-going"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_failing_cell_fails_the_build(tmp_path: Path) -> None:
    root = make_tiny_book(tmp_path, 'raise ValueError("this cell is broken")')
    result = build(root)
    assert result.returncode != 0, "a cell raised but the build succeeded"
    assert "this cell is broken" in result.stdout + result.stderr


def test_a_passing_cell_builds(tmp_path: Path) -> None:
    root = make_tiny_book(tmp_path, "print(6 * 7)")
    result = build(root)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "42" in (root / "_build" / "html" / "book" / "tiny.html").read_text()


def colab_notebook(root: Path, code: str) -> None:
    """book/tiny.ipynb, the tiny chapter's notebook as jupytext reads it (as
    `make notebooks` starts), with CODE as its code cell."""
    notebook = jupytext.read(root / "book" / "tiny.md", fmt="md:myst")
    (cell,) = [c for c in notebook.cells if c.cell_type == "code"]
    cell.source = code
    nbformat.write(notebook, root / "book" / "tiny.ipynb")


def test_the_notebook_download_is_the_colab_notebook_with_outputs(tmp_path: Path) -> None:
    root = make_tiny_book(tmp_path, "print(6 * 7)")
    colab_notebook(root, "print(6 * 7)")
    result = build(root)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    download = nbformat.read(root / "_build/html/_sources/book/tiny.ipynb", as_version=4)
    assert download.cells[0].source == "# A tiny chapter"  # the Colab notebook's Markdown
    assert "42" in download.cells[1].outputs[0]["text"]  # with the build's output


def test_a_stale_colab_notebook_fails_the_build(tmp_path: Path) -> None:
    root = make_tiny_book(tmp_path, "print(6 * 7)")
    colab_notebook(root, "print(6 * 9)")  # the chapter changed, `make notebooks` not run
    result = build(root)
    assert result.returncode != 0, "a Colab notebook unlike its chapter was offered"
    assert "make notebooks" in result.stdout + result.stderr
