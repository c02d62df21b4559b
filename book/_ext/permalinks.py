"""Citable permalinks: a ``#`` link on every labelled box, and unique ids.

sphinx-proof boxes (definitions, theorems, ...) and sphinx-exercise boxes
get a ``#`` link on their title, like section headings, pointing at their
label (``#def-probability-measure``); each proof gets one after "Proof.".
Labelled equations and figures already have Sphinx's own.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.writers.html5 import HTML5Translator

# the label prefixes of boxes whose proof may follow them
PROVABLE_PREFIXES = ("thm-", "lem-", "cor-", "prop-")


class box_permalink(nodes.Inline, nodes.Element):
    """A ``#`` link to ``refid``; renders only in HTML, has no text."""

    def astext(self) -> str:  # keep it out of titles, search and references
        return ""


def visit_permalink_html(self: HTML5Translator, node: box_permalink) -> None:
    self.body.append(
        f'<a class="headerlink" href="#{node["refid"]}" '
        f'title="{self.attval(node["tooltip"])}" '
        f'aria-label="{self.attval(node["tooltip"])}">#</a>'
    )
    raise nodes.SkipNode


def skip_node(self: Any, node: nodes.Node) -> None:
    raise nodes.SkipNode


def _permalink(refid: str, what: str) -> box_permalink:
    return box_permalink("", refid=refid, tooltip=f"Link to this {what}")


def _is(node: nodes.Node, module: str) -> bool:
    return type(node).__module__.startswith(module)


class BoxPermalinks(SphinxPostTransform):
    """Give proof and exercise boxes a unique id and a visible permalink."""

    default_priority = 900  # after references are resolved
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        try:
            from sphinx_proof import nodes as proof_nodes
        except ImportError:  # pragma: no cover
            return
        boxes = (*proof_nodes.NODE_TYPES.values(), proof_nodes.unenumerable_node)
        elements = list(self.document.findall(nodes.Element))
        for box in elements:
            if isinstance(box, boxes):
                self.fix_box(box)
        for proof in elements:
            if isinstance(proof, proof_nodes.proof_node):
                self.fix_proof(proof, boxes)
        for box in elements:
            if isinstance(box, nodes.Admonition) and _is(box, "sphinx_exercise") and box.get("ids"):
                self.fix_exercise(box)

    @staticmethod
    def fix_box(box: nodes.Element) -> None:
        # sphinx-proof writes the id "proof-content" in every box: not unique
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
    def fix_proof(proof: nodes.Element, boxes: tuple[type[nodes.Element], ...]) -> None:
        # A {prf:proof} takes its id from the MyST target (proof-NAME)= before
        # it: docutils puts that id on the proof node, which sphinx-proof never
        # renders, so the anchor would not exist in the HTML. Without a target,
        # proof-NAME comes from the thm-NAME (lem-, cor-, ...) label of the box
        # right before it. The id "proof" that every proof gets is dropped.
        inner = next((c for c in proof.children if isinstance(c, nodes.admonition)), None)
        if inner is None:
            return
        ids: list[str] = [i for i in proof["ids"] if i != "proof"]
        if not ids:
            ids = [i for i in inner["ids"] if i != "proof"]
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
                rest = text.astext()[len("Proof.") :]
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


def setup(app: Sphinx) -> dict[str, bool]:
    skip = (skip_node, None)
    app.add_node(
        box_permalink,
        html=(visit_permalink_html, None),
        latex=skip,
        text=skip,
        man=skip,
        texinfo=skip,
    )
    app.add_post_transform(BoxPermalinks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
