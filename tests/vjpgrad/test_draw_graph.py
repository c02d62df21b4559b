"""draw_graph: a graphviz.Digraph of values and ops, and clear errors without Graphviz."""

from __future__ import annotations

import shutil
import sys

import numpy as np
import pytest

import vjpgrad
from vjpgrad import Node, Tensor, draw_graph, keep_values

graphviz = pytest.importorskip("graphviz")


def small_graph() -> tuple[Tensor, Tensor]:
    x = Tensor([[1.0, 2.0], [2.0, -1.0]])
    y = (x * 2.0 - 1.0).maximum(0.0).sum(axis=-1)
    return x, y


def test_returns_a_digraph_with_values_ops_and_shapes() -> None:
    x, y = small_graph()
    dot = draw_graph(y)
    assert isinstance(dot, graphviz.Digraph)
    src = dot.source
    for op in ("multiply", "subtract", "maximum", "sum"):
        assert op in src
    assert "shape (2, 2)" in src and "shape (2,)" in src
    assert "value [[ 1.  2.]  [ 2. -1.]]" in src  # the leaf
    assert "value [4. 3.]" in src  # the output
    assert src.count("value not kept") == 3  # multiply, subtract, maximum
    assert "const" not in src and "grad" not in src


def test_inside_keep_values_every_value_constant_and_parameter_is_shown() -> None:
    with keep_values():
        x, y = small_graph()
    src = draw_graph(y).source
    assert "value not kept" not in src
    for value in (
        "[[ 2.  4.]  [ 4. -2.]]",
        "[[ 1.  3.]  [ 3. -3.]]",
        "[[1. 3.]  [3. 0.]]",
        "[4. 3.]",
    ):
        assert f"value {value}" in src, value
    assert "axis=-1" in src  # the parameters of a node
    assert "const 2." in src and "const 1." in src and "const 0." in src  # constants: grey boxes
    assert src.count("#eeeeee") == 3


def test_computed_values_are_shown_only_inside_keep_values() -> None:
    x = Tensor(np.arange(2000.0) / 1000.0)
    src = draw_graph((x * 3.0 + 1.0).exp().sum()).source
    assert "value [0.000e+00 1.000e-03 ... 1.998e+00 1.999e+00]" in src  # the leaf
    assert src.count("value not kept") == 3  # x * 3.0, + 1.0 and exp, whatever save keeps
    small = draw_graph((Tensor([1.0, 2.0]) * 3.0 + 1.0).sum()).source
    assert small.count("value not kept") == 2 and "value [4. 7.]" not in small  # small ones too
    with keep_values():
        kept = draw_graph((x * 3.0 + 1.0).exp().sum()).source
    assert "value not kept" not in kept and "value [1.    1.003 ... 6.994 6.997]" in kept
    assert "value [   2.7183    2.7264 ... 1090.0731 1093.3482]" in kept


def test_gradients_are_shown_when_known() -> None:
    x, y = small_graph()
    y.backward(np.ones(2), retain_grads=True)
    src = draw_graph(y).source
    assert src.count("grad ") >= 4  # the leaf and the retained intermediates


def test_large_arrays_are_abbreviated() -> None:
    big = Tensor(np.arange(10_000.0).reshape(100, 100))
    src = draw_graph((big * 2.0).sum()).source
    assert "..." in src and "5000." not in src  # a middle entry is left out
    assert len(src) < 2_000
    assert "axis=None" not in src


def test_deep_graph_does_not_recurse() -> None:
    y = Tensor(np.ones(2))
    for _ in range(3_000):
        y = y * 1.0
    assert draw_graph(y).source.count("multiply") == 3_000


@pytest.mark.skipif(shutil.which("dot") is None, reason="the Graphviz dot program is not installed")
def test_renders_to_svg() -> None:
    _, y = small_graph()
    svg = draw_graph(y, rankdir="TB").pipe(format="svg")
    assert b"<svg" in svg


def test_missing_graphviz_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)  # makes `import graphviz` fail
    with pytest.raises(ImportError, match="pip install graphviz"):
        draw_graph(Tensor([1.0]) * 2.0)


def test_missing_dot_program_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        draw_graph(Tensor([1.0]) * 2.0)


@pytest.mark.skipif(shutil.which("dot") is None, reason="the Graphviz dot program is not installed")
def test_labels_ending_in_a_backslash_render() -> None:
    """F21: op labels were not escaped, so a parameter ending in a backslash made invalid DOT."""

    @vjpgrad.primitive
    class Load(Node):
        __slots__ = ()
        forward = staticmethod(lambda x, path: x * 1.0)
        vjps = (lambda node, g: g * 1.0,)

    with keep_values():
        y = vjpgrad.apply(Load, Tensor(np.ones(2)), path="C:\\data\\").sum()
    svg = draw_graph(y).pipe(format="svg")
    assert b"<svg" in svg and b"C:\\data\\" in svg


def test_bad_rankdir() -> None:
    with pytest.raises(ValueError):
        draw_graph(Tensor([1.0]) * 2.0, rankdir="XY")


def test_draw_graph_says_when_given_something_that_is_not_a_tensor() -> None:
    """F22: an ndarray gets a clear TypeError, not an AttributeError."""
    with pytest.raises(
        TypeError, match="draw_graph draws the graph of a vjpgrad Tensor, not of a ndarray"
    ):
        draw_graph(np.ones(2))
