"""A page's .ipynb download is the chapter's Colab notebook, with the build's outputs.

So the notebook a student downloads is the one Colab opens (book/NAME.ipynb,
plain Markdown, numbered as on the site), and it shows the results
(book/_ext/downloads.py).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tools import notebooks
from tools.config import REPO_ROOT

CHAPTERS = notebooks.chapter_sources()
MYST_MARKS = ("```{", ":::{", "{prf:ref}", "{eq}`", ":label:")


def cells(nb: nbformat.NotebookNode) -> list[tuple[str, str, dict]]:
    return [(c.cell_type, c.source, dict(c.metadata)) for c in nb.cells]


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda md: md.stem)
def test_the_download_is_the_colab_notebook_with_outputs(md: Path, html_dir: Path) -> None:
    doc = md.relative_to(REPO_ROOT).with_suffix(".ipynb")
    download = nbformat.read(html_dir / "_sources" / doc, as_version=4)
    colab = nbformat.read(notebooks.notebook_path(md), as_version=4)
    assert cells(download) == cells(colab), f"{doc}: the download is not the Colab notebook"
    code = [c for c in download.cells if c.cell_type == "code"]
    assert any(c.outputs for c in code), f"{doc}: the download has no outputs"
    assert all(c.execution_count for c in code[1:]), f"{doc}: a cell was not executed"
    raw = [
        m for c in download.cells if c.cell_type == "markdown" for m in MYST_MARKS if m in c.source
    ]
    assert not raw, f"{doc}: raw MyST in the download: {sorted(set(raw))}"
