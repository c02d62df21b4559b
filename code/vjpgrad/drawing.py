"""Draw the recorded graph of a Tensor with Graphviz.

Graphviz is optional: it is imported only inside :func:`draw_graph`, so ``import
vjpgrad`` needs nothing but NumPy.
"""

from __future__ import annotations

import shutil
from typing import Any

import numpy as np

from .tensor import Tensor, _input_values

__all__ = ["draw_graph"]


def _fmt(a: Any) -> str:
    """A short text for an array: small ones in full, large ones abbreviated."""
    a = np.asarray(a)
    text = np.array2string(a, precision=4, threshold=6, edgeitems=2, max_line_width=48, separator=" ")
    return text.replace("\n", " ")


def _escape(s: str) -> str:
    """Escape characters that have a meaning inside a Graphviz record label."""
    for ch in "\\{}|<>":
        s = s.replace(ch, "\\" + ch)
    return s


def _params_text(params: dict | None) -> str:
    if not params:
        return ""
    shown = []
    for k, v in params.items():
        if v is None or (k == "keepdims" and not v):
            continue
        if k == "index":
            v = _fmt(v) if isinstance(v, np.ndarray) else repr(v)
            if len(v) > 30:
                v = v[:27] + "..."
        shown.append(f"{k}={v}")
    return ("\n" + ", ".join(shown)) if shown else ""


def draw_graph(tensor: Tensor, rankdir: str = "LR") -> Any:
    """Return a ``graphviz.Digraph`` of the graph that computed ``tensor``.

    Boxes are values (shape, value, and gradient when known); ellipses are primitives;
    grey boxes are constants.  ``rankdir`` is "LR" (left to right) or "TB".
    Needs the ``graphviz`` Python package and the Graphviz ``dot`` program.
    """
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "draw_graph needs the graphviz Python package: pip install graphviz "
            "(or pip install 'vjpgrad[draw]'), and the Graphviz programs "
            "(apt-get install graphviz, brew install graphviz or conda install graphviz)"
        ) from None
    if shutil.which("dot") is None:
        raise RuntimeError(
            "draw_graph needs the Graphviz 'dot' program on PATH: install it with "
            "apt-get install graphviz, brew install graphviz or conda install graphviz"
        )
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', got {rankdir!r}")

    dot = graphviz.Digraph(graph_attr={"rankdir": rankdir}, node_attr={"fontname": "Helvetica", "fontsize": "10"})
    ids: dict[int, str] = {}
    order: list[Tensor] = []
    stack = [tensor]
    while stack:  # iterative walk: deep graphs do not hit the recursion limit
        t = stack.pop()
        if id(t) in ids:
            continue
        ids[id(t)] = f"t{len(ids)}"
        order.append(t)
        if t._op is not None:
            stack.extend(p for p in t.parents if p is not None)

    n_const = 0
    for t in order:
        name = ids[id(t)]
        fields = [f"shape {t.shape}", f"value {_fmt(t.value)}"]
        if t.grad is not None:
            fields.append(f"grad {_fmt(t.grad)}")
        style = {} if t.requires_grad else {"style": "filled", "fillcolor": "#eeeeee"}
        label = "|".join(_escape(f) for f in fields)  # fields stacked vertically:
        dot.node(name, label if rankdir == "LR" else "{" + label + "}", shape="record", **style)
        if t._op is None:
            continue
        op_name = name + "_op"
        dot.node(op_name, t._op.name + _params_text(t._params), shape="ellipse")
        dot.edge(op_name, name)
        for p, a in zip(t.parents, _input_values(t)):
            if p is not None:
                dot.edge(ids[id(p)], op_name)
            else:  # a constant operand, or a Tensor that needs no gradient
                n_const += 1
                cname = f"c{n_const}"
                dot.node(cname, _escape(f"const {_fmt(a)}"), shape="record", style="filled", fillcolor="#eeeeee")
                dot.edge(cname, op_name)
    return dot
