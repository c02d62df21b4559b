"""The download menu of every page: the whole book as one PDF.

``book.pdf`` sits at the site root, printed from the built site by
``python -m tools.build_pdf`` (which ``make html`` runs after the build).
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

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


def setup(app: Sphinx) -> dict[str, bool]:
    # after sphinx-book-theme has built the header buttons (priority 501)
    app.connect("html-page-context", add_pdf_download, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
