"""Draw the recorded graph of a Tensor with Graphviz.

Graphviz is optional: it is imported only inside :func:`draw_graph`, so
``import vjpgrad`` needs nothing but NumPy.
"""

from __future__ import annotations

import shutil
from typing import Any

import numpy as np

from .backward import topological_order
from .graph import Node
from .tensor import Tensor

__all__ = ["draw_graph"]


def _fmt(a: Any) -> str:
    """Short text for an array: small ones in full, large ones abbreviated."""
    a = np.asarray(a)
    text = np.array2string(
        a,
        precision=4,
        threshold=6,
        edgeitems=2,
        max_line_width=48,
        separator=" ",
    )
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

    Boxes are values (shape, value, and gradient when known); ellipses are
    primitives.  The graph keeps only what its VJPs need, so a computed value's
    box says "value not kept": record the graph inside
    :func:`vjpgrad.keep_values` to see every value and the constants (grey
    boxes).
    ``rankdir`` is "LR" (left to right) or "TB".
    Needs the ``graphviz`` Python package and the Graphviz ``dot`` program.
    """
    try:
        import graphviz  # type: ignore[import-untyped]
    except ImportError:
        raise ImportError(
            "draw_graph needs the graphviz Python package: pip install "
            "graphviz (or pip install 'vjpgrad[draw]'), and the Graphviz "
            "programs (apt-get install graphviz, brew install graphviz or "
            "conda install graphviz)"
        ) from None
    if shutil.which("dot") is None:
        raise RuntimeError(
            "draw_graph needs the Graphviz 'dot' program on PATH: install it "
            "with apt-get install graphviz, brew install graphviz or conda "
            "install graphviz"
        )
    if not isinstance(tensor, Tensor):
        raise TypeError(
            f"draw_graph draws the graph of a vjpgrad Tensor, not of a "
            f"{type(tensor).__name__}"
        )
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', got {rankdir!r}")

    dot = graphviz.Digraph(
        graph_attr={"rankdir": rankdir},
        node_attr={"fontname": "Helvetica", "fontsize": "10"},
    )
    nodes = [] if tensor.node is None else topological_order(tensor.node)[::-1]
    leaves = {
        id(p): p
        for node in nodes
        for p in node.parents
        if isinstance(p, Tensor)
    }
    boxes: list[Node | Tensor] = (
        [*leaves.values(), *nodes] if nodes else [tensor]
    )
    ids = {id(box): f"t{i}" for i, box in enumerate(boxes)}

    def box(name: str, fields: list[str], **style: str) -> None:
        # fields stacked vertically:
        label = "|".join(_escape(f) for f in fields)
        dot.node(
            name,
            label if rankdir == "LR" else "{" + label + "}",
            shape="record",
            **style,
        )

    n_const = 0
    for vertex in boxes:
        name = ids[id(vertex)]
        value = (
            vertex.value
            if isinstance(vertex, Tensor)
            else (
                tensor.value
                if vertex is tensor.node
                else None
                if vertex.values is None
                else vertex.values[0]
            )
        )
        fields = [
            f"shape {vertex.shape}",
            "value not kept" if value is None else f"value {_fmt(value)}",
        ]
        if vertex.grad is not None:
            fields.append(f"grad {_fmt(vertex.grad)}")
        box(name, fields)
        if isinstance(vertex, Tensor):
            continue
        op_name = name + "_op"
        params = {} if vertex.values is None else vertex.values[2]
        dot.node(
            op_name,
            _escape(vertex.name + _params_text(params)),
            shape="ellipse",
        )
        dot.edge(op_name, name)
        for parent in vertex.parents:
            if parent is not None:
                dot.edge(ids[id(parent)], op_name)
        for parent, constant in zip(
            vertex.parents, vertex.values[1] if vertex.values else ()
        ):
            if parent is None:  # an input that needs no gradient
                n_const += 1
                box(
                    f"c{n_const}",
                    [f"const {_fmt(constant)}"],
                    style="filled",
                    fillcolor="#eeeeee",
                )
                dot.edge(f"c{n_const}", op_name)
    return dot
