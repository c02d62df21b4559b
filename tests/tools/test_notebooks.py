"""The MyST-to-notebook conversion: macros expanded as MathJax expands them, and
references worded as the site words them (tools/notebooks.py)."""

from __future__ import annotations

import pytest

from tools import myst, notebooks

MACROS = {
    "vx": r"\mathbf{x}",
    "T": r"{\top}",
    "R": r"\mathbb{R}",
    "pdv": [r"\frac{\partial #1}{\partial #2}", 2],
    "norm": [r"\left\lVert #1 \right\rVert", 1],
    "vect": [r"\mathbf{#1}", 1],
}


@pytest.mark.parametrize(
    "tex, expanded",
    [
        (r"\vx^\T \vx", r"\mathbf{x}^{\top} \mathbf{x}"),
        (r"\pdv{l}{\vx}", r"\frac{\partial l}{\partial \mathbf{x}}"),
        (r"\norm{\vx - \{a\}}", r"\left\lVert \mathbf{x} - \{a\} \right\rVert"),
        (r"\vect w + \vect{\alpha}", r"\mathbf{w} + \mathbf{\alpha}"),
        # an argument position takes one token: the expansion is grouped
        (r"x^\vx, x_\R, \hat\vx", r"x^{\mathbf{x}}, x_{\mathbb{R}}, \hat{\mathbf{x}}"),
        # other control words and control symbols are left alone
        (r"\Theta \Rightarrow a \\ \vxy", r"\Theta \Rightarrow a \\ \vxy"),
    ],
)
def test_macros_expand_as_mathjax_expands_them(tex: str, expanded: str) -> None:
    assert notebooks.expand_macros(tex, MACROS) == expanded


def test_an_unbalanced_argument_is_an_error() -> None:
    with pytest.raises(ValueError, match="unbalanced"):
        notebooks.expand_macros(r"\norm{x", MACROS)


LABELS = {
    "def-a": {"type": "definition", "number": "2.5", "title": "Probability measure"},
    "eq-b": {"type": "equation", "number": "2.4", "title": ""},
    "fig-c": {"type": "figure", "number": "1.2", "title": "Broadcasting"},
    "ex-d": {"type": "exercise", "number": "6.21", "title": r"Norm of \(x\)"},
    "ch-e": {"type": "section", "number": "3", "title": "Estimation"},
}


@pytest.mark.parametrize(
    "role, text",
    [
        ("{prf:ref}`def-a`", "Definition 2.5"),
        ("{prf:ref}`the measure <def-a>`", "the measure"),
        ("{eq}`eq-b`", "(2.4)"),
        ("{numref}`fig-c`", "Fig. 1.2"),
        ("{numref}`Figure %s <fig-c>`", "Figure 1.2"),
        ("{numref}`ex-d`", "Exercise 6.21"),
        ("{ref}`ex-d`", "Exercise 6.21 (Norm of $x$)"),
        ("{ref}`ch-e`", "Estimation"),
    ],
)
def test_references_read_as_on_the_site(role: str, text: str) -> None:
    match = myst.ROLE.fullmatch(role)
    assert match is not None
    parsed = myst.Role(match["name"], match["content"])
    assert notebooks.reference_text(parsed, LABELS[parsed.target]) == text
