"""Draw the recorded graph of a Tensor with Graphviz.

Graphviz is optional: it is imported only inside :func:`draw_graph`, so ``import
vjpgrad`` needs nothing but NumPy.
"""

from __future__ import annotations

import shutil
from typing import Any

import numpy as np

from .tensor import Node, Tensor, _is_stand_in

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
    grey boxes are constants.  A large value that no VJP reads is not kept by the
    graph, and its box says so; record inside :func:`vjpgrad.keep_values` to see it.
    ``rankdir`` is "LR" (left to right) or "TB".
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
    order: list[Node | Tensor] = []  # operation nodes, and the leaves that need a gradient
    stack: list = [tensor if tensor.node is None else tensor.node]
    while stack:  # iterative walk: deep graphs do not hit the recursion limit
        vertex = stack.pop()
        if vertex is None or id(vertex) in ids:  # a constant, or seen
            continue
        ids[id(vertex)] = f"t{len(ids)}"
        order.append(vertex)
        if type(vertex) is Node:
            stack.extend(vertex.parents)

    n_const = 0
    for vertex in order:
        name = ids[id(vertex)]
        value, grad, shape = _shown(vertex)
        fields = [f"shape {shape}", "value not kept" if value is None else f"value {_fmt(value)}"]
        if grad is not None:
            fields.append(f"grad {_fmt(grad)}")
        leaf_without_grad = type(vertex) is Tensor and not vertex.requires_grad
        style = {"style": "filled", "fillcolor": "#eeeeee"} if leaf_without_grad else {}
        label = "|".join(_escape(f) for f in fields)  # fields stacked vertically:
        dot.node(name, label if rankdir == "LR" else "{" + label + "}", shape="record", **style)
        if type(vertex) is not Node:
            continue
        op_name = name + "_op"
        dot.node(op_name, vertex.op.name + _params_text(vertex.params), shape="ellipse")
        dot.edge(op_name, name)
        for p, a in zip(vertex.parents, vertex.inputs):
            if p is not None:
                dot.edge(ids[id(p)], op_name)
            else:  # a constant operand, or a Tensor that needs no gradient
                n_const += 1
                cname = f"c{n_const}"
                text = f"const shape {np.shape(a)}" if _is_stand_in(a) else f"const {_fmt(a)}"
                dot.node(cname, _escape(text), shape="record", style="filled", fillcolor="#eeeeee")
                dot.edge(cname, op_name)
    return dot


def _shown(vertex: Node | Tensor) -> tuple[Any, Any, tuple[int, ...]]:
    """(value, or None if not kept; gradient or None; shape) of a box in the drawing.

    A node shows the output it keeps (a large output that its VJP does not read is
    not kept: see Node)."""
    if type(vertex) is Tensor:
        return vertex.value, vertex.grad, vertex.shape
    out = vertex.out
    return (None if _is_stand_in(out) else out), vertex.grad, np.shape(out)
