"""The download menu of every page: the chapter's notebook and the whole book.

* **The notebook.** A page's ".ipynb" download is the chapter's Colab
  notebook (``book/NAME.ipynb``, made by ``make notebooks``: plain Markdown,
  numbers as on the site) with the outputs of the build's execution, so the
  notebook a student downloads is the one Colab opens, with results. The
  theme would offer myst-nb's executed notebook instead, whose Markdown is
  raw MyST. A Colab notebook whose code differs from the chapter's is an
  error (run ``make notebooks``); a chapter with no Colab notebook yet keeps
  the theme's download.
* **The book.** ``book.pdf`` at the site root, printed from the built site
  by ``python -m tools.build_pdf`` (which ``make html`` runs after the build).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

PDF_NAME = "book.pdf"


def add_pdf_download(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Offer the whole book as one PDF in the page's download menu."""
    for button in context.get("header_buttons", []):
        if button.get("label") == "download-buttons":
            button["buttons"].append(
                {
                    "type": "link",
                    "url": context["pathto"](PDF_NAME, 1),
                    "text": "Book (.pdf)",
                    "tooltip": "Download the whole book as one PDF",
                    "icon": "fas fa-book",
                    "label": "download-book-pdf-button",
                }
            )


def with_outputs(app: Sphinx, colab: Path, doc: Path) -> nbformat.NotebookNode:
    """The Colab notebook COLAB of chapter DOC with the outputs of the build's run.

    With the execution cache (``execute_notebooks: cache``) the outputs come
    from jupyter-cache, matched on the code cells: myst-nb leaves them out of
    jupyter_execute/ when it takes a chapter from the cache. Otherwise they
    come from jupyter_execute/, cell for cell.
    """
    notebook = nbformat.read(colab, as_version=4)
    if app.config.nb_execution_mode == "cache":
        from jupyter_cache import get_cache

        # myst-nb's default place for the cache
        path = app.config.nb_execution_cache_path or Path(app.outdir).parent / ".jupyter_cache"
        try:
            _, merged = get_cache(str(path)).merge_match_into_notebook(notebook)
        except KeyError:
            raise ValueError(f"{colab}'s code is not its chapter's: run `make notebooks`") from None
        return merged
    run = nbformat.read(Path(app.outdir).parent / "jupyter_execute" / f"{doc}.ipynb", 4)
    shapes = [
        [(c.cell_type, c.source if c.cell_type == "code" else "") for c in nb.cells]
        for nb in (notebook, run)
    ]
    if shapes[0] != shapes[1]:
        raise ValueError(f"{colab}'s code is not its chapter's: run `make notebooks`")
    for cell, done in zip(notebook.cells, run.cells, strict=True):
        if cell.cell_type == "code":
            cell.outputs = done.outputs
            cell.execution_count = done.execution_count
    return notebook


def write_notebook_downloads(app: Sphinx, exception: Exception | None) -> None:
    """Put each chapter's Colab notebook, with outputs, where the menu links."""
    if exception is not None or app.builder.format != "html":
        return
    sources = Path(app.outdir) / "_sources"
    for download in sorted(sources.rglob("*.ipynb")):
        doc = download.relative_to(sources).with_suffix("")
        colab = Path(app.srcdir) / f"{doc}.ipynb"
        if not colab.is_file():  # a chapter with no Colab notebook yet keeps the theme's
            logger.info("downloads: no %s (make notebooks)", colab.name)
            continue
        try:
            notebook = with_outputs(app, colab, doc)
        except (OSError, ValueError) as error:
            logger.warning("downloads: %s", error, type="downloads")
            continue
        nbformat.write(notebook, download)


def setup(app: Sphinx) -> dict[str, bool]:
    # after sphinx-book-theme has built the header buttons (priority 501)
    app.connect("html-page-context", add_pdf_download, priority=600)
    app.connect("build-finished", write_notebook_downloads)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
