"""Reader features of the site: citable permalinks, downloads, reading comfort.

* **Permalinks.** sphinx-proof boxes (definitions, theorems, ...) and
  sphinx-exercise boxes get a ``#`` header link on their title, like section
  headings, pointing at their label (``#def-probability-measure``). The
  duplicated ids sphinx-proof writes on every box (``proof-content``) and every
  proof (``proof``) are removed. A ``{prf:proof}`` takes its id from the MyST
  target ``(proof-NAME)=`` written before it (docutils moves that id onto the
  proof node, which sphinx-proof never renders, so without this the anchor
  would not exist in the HTML at all); a proof without such a target gets
  ``proof-NAME`` derived from the ``thm-NAME`` (``lem-``, ``cor-`` ...) label of
  the box right before it. Each proof gets a permalink after "Proof.".
  Labelled equations and figures already get Sphinx's own header links.
* **Downloads.** Every page's download menu gains an entry for the whole book
  as one PDF (``book.pdf`` at the site root, made by ``scripts/build_pdf.py``).
* **Reading comfort.** ``book/_static/reader.css`` (dark mode, wide maths,
  permalink visibility, print style).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform

STATIC_DIR = Path(__file__).resolve().parents[1] / "_static"
PDF_NAME = "book.pdf"

# the label prefixes of boxes whose proof may follow them
PROVABLE_PREFIXES = ("thm-", "lem-", "cor-", "prop-")


class reader_permalink(nodes.Inline, nodes.Element):
    """A ``#`` link to ``refid``; renders only in HTML, has no text."""

    def astext(self) -> str:  # keep it out of titles, search and references
        return ""


def visit_permalink_html(self, node: reader_permalink) -> None:
    self.body.append(
        f'<a class="headerlink" href="#{node["refid"]}" '
        f'title="{self.attval(node["tooltip"])}" '
        f'aria-label="{self.attval(node["tooltip"])}">#</a>'
    )
    raise nodes.SkipNode


def skip_node(self, node: nodes.Node) -> None:
    raise nodes.SkipNode


def _permalink(refid: str, what: str) -> reader_permalink:
    return reader_permalink("", refid=refid, tooltip=f"Link to this {what}")


def _is(node: nodes.Node, module: str) -> bool:
    return type(node).__module__.startswith(module)


class ReaderPermalinks(SphinxPostTransform):
    """Give proof and exercise boxes a unique id and a visible permalink."""

    default_priority = 900  # after references are resolved
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        try:
            from sphinx_proof import nodes as proof_nodes
        except ImportError:  # pragma: no cover
            return
        boxes = tuple(proof_nodes.NODE_TYPES.values()) + (proof_nodes.unenumerable_node,)
        for box in list(self.document.findall(lambda n: isinstance(n, boxes))):
            self.fix_box(box)
        for proof in list(self.document.findall(proof_nodes.proof_node)):
            self.fix_proof(proof, boxes)
        for box in list(self.document.findall(nodes.Admonition)):
            if _is(box, "sphinx_exercise") and box.get("ids"):
                self.fix_exercise(box)

    @staticmethod
    def fix_box(box: nodes.Element) -> None:
        for child in box.children:
            if isinstance(child, nodes.section) and child.get("ids") == ["proof-content"]:
                child["ids"] = []
        title = next((c for c in box.children if isinstance(c, nodes.title)), None)
        label = box.get("label") or (box["ids"][0] if box.get("ids") else "")
        if title is None or not label or re.fullmatch(r"[a-z]+-\d+", label):
            return  # unlabelled boxes get ids like "definition-3": not citable
        if title.get("ids"):  # unnumbered box: sphinx-proof puts the id on the title too
            box["ids"] = [i for i in box["ids"] if i not in title["ids"]]
        title += _permalink(label, box.get("realtype", "statement"))

    @staticmethod
    def fix_proof(proof: nodes.Element, boxes: tuple) -> None:
        inner = next((c for c in proof.children if isinstance(c, nodes.admonition)), None)
        if inner is None:
            return
        ids = [i for i in proof.get("ids", []) if i != "proof"]
        if not ids:
            ids = [i for i in inner.get("ids", []) if i != "proof"]
        if not ids:  # no (proof-NAME)= target: derive it from the box before
            previous = proof.previous_sibling() if hasattr(proof, "previous_sibling") else None
            if previous is None and proof.parent is not None:
                index = proof.parent.index(proof)
                previous = proof.parent[index - 1] if index > 0 else None
            label = previous.get("label", "") if isinstance(previous, boxes) else ""
            if label.startswith(PROVABLE_PREFIXES):
                ids = ["proof-" + label.split("-", 1)[1]]
        proof["ids"] = []
        inner["ids"] = ids
        inner["classes"].append("reader-proof")
        if not ids:
            return
        link = _permalink(ids[0], "proof")
        for text in inner.findall(nodes.Text):
            if text.astext().startswith("Proof."):
                parent = text.parent
                rest = text.astext()[len("Proof."):]
                position = parent.index(text)
                parent.replace(text, nodes.Text("Proof."))
                parent.insert(position + 1, link)
                if rest:
                    parent.insert(position + 2, nodes.Text(rest))
                return
        first = next(iter(inner.findall(nodes.paragraph)), None)
        if first is not None:
            first += link

    @staticmethod
    def fix_exercise(box: nodes.Element) -> None:
        for child in box.children:
            if isinstance(child, nodes.section) and child.get("ids") in (
                ["exercise-content"],
                ["solution-content"],
            ):
                child["ids"] = []  # the same id on every box
        title = next((c for c in box.children if isinstance(c, nodes.title)), None)
        if title is None or "/" in box["ids"][0]:
            return  # unlabelled: sphinx-exercise ids like "book/x-solution-3" are not stable
        what = "solution" if "solution" in type(box).__name__ else "exercise"
        title += _permalink(box["ids"][0], what)


def add_pdf_download(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """Offer the whole book as one PDF in every page's download menu."""
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


def add_static_path(app: Sphinx, config: Any) -> None:
    config.html_static_path = list(config.html_static_path) + [str(STATIC_DIR)]


def setup(app: Sphinx) -> dict:
    skip = (skip_node, None)
    app.add_node(
        reader_permalink,
        html=(visit_permalink_html, None),
        latex=skip,
        text=skip,
        man=skip,
        texinfo=skip,
    )
    app.add_post_transform(ReaderPermalinks)
    app.connect("config-inited", add_static_path)
    app.add_css_file("reader.css")
    # after sphinx-book-theme has built the header buttons (priority 501)
    app.connect("html-page-context", add_pdf_download, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
