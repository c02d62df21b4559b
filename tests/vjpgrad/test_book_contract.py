"""The names and signatures the book includes verbatim (literalinclude :pyobject:) and calls."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest

import vjpgrad
from vjpgrad import primitives

PRIMITIVES_PY = Path(primitives.__file__)

SIGNATURES = {
    "unbroadcast": "(g, shape)",
    "add_vjp": "(g, out, a, b)",
    "multiply_vjp": "(g, out, a, b)",
    "matmul_vjp": "(g, out, a, b)",
    "exp_vjp": "(g, out, x)",
    "log_vjp": "(g, out, x)",
    "sum_vjp": "(g, out, x, axis=None, keepdims=False)",
    "maximum_vjp": "(g, out, a, b)",
    "subtract_vjp": "(g, out, a, b)",
    "divide_vjp": "(g, out, a, b)",
    "power_vjp": "(g, out, a, b)",
    "negative_vjp": "(g, out, x)",
    "tanh_vjp": "(g, out, x)",
    "sigmoid_vjp": "(g, out, x)",
    "relu_vjp": "(g, out, x)",
    "max_vjp": "(g, out, x, axis=None, keepdims=False)",
    "mean_vjp": "(g, out, x, axis=None, keepdims=False)",
    "logsumexp_vjp": "(g, out, x, axis=None, keepdims=False)",
    "reshape_vjp": "(g, out, x, shape=None)",
    "transpose_vjp": "(g, out, x, axes=None)",
    "getitem_vjp": "(g, out, x, index=None)",
}


def top_level_functions() -> dict[str, ast.FunctionDef]:
    tree = ast.parse(PRIMITIVES_PY.read_text(encoding="utf-8"))
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_top_level_function_with_exact_signature(name: str) -> None:
    assert name in top_level_functions(), f"{name} must be a top-level def in primitives.py"
    params = inspect.signature(getattr(primitives, name)).parameters.values()
    bare = "(" + ", ".join(str(p.replace(annotation=inspect.Parameter.empty)) for p in params) + ")"
    assert bare == SIGNATURES[name]  # names, order and defaults (type hints may be added)


@pytest.mark.parametrize("name", sorted(n for n in SIGNATURES if n.endswith("_vjp")))
def test_vjp_is_short_with_a_one_line_docstring(name: str) -> None:
    node = top_level_functions()[name]
    doc = ast.get_docstring(node)
    assert doc and "\n" not in doc, f"{name}: one-line docstring stating the math"
    lines = node.end_lineno - node.lineno + 1
    assert lines <= 12, f"{name} is {lines} lines: keep VJPs a few lines (they are printed in the book)"
    assert vjpgrad.PRIMITIVES[name[: -len("_vjp")]].vjp is getattr(primitives, name)


def test_vjps_return_one_gradient_per_input_in_input_order() -> None:
    a, b = np.array([[1.0, 2.0, 3.0]]), np.array([[2.0], [4.0]])
    out = a * b
    ga, gb = primitives.multiply_vjp(np.ones_like(out), out, a, b)
    assert ga.shape == a.shape and gb.shape == b.shape
    np.testing.assert_array_equal(ga, [[6.0, 6.0, 6.0]])
    np.testing.assert_array_equal(gb, [[6.0], [6.0]])
    assert primitives.unbroadcast(np.ones((4, 2, 3)), (2, 1)).tolist() == [[12.0], [12.0]]
    (gx,) = primitives.sum_vjp(np.array([1.0, 2.0]), np.zeros(2), np.zeros((2, 3)), axis=1)
    np.testing.assert_array_equal(gx, [[1.0] * 3, [2.0] * 3])


def test_public_api_is_exported() -> None:
    for name in ("Tensor", "no_grad", "grad", "value_and_grad", "numerical_jacobian", "check_grad",
                 "draw_graph", "register_primitive", "override_vjp", "apply", "unbroadcast"):
        assert hasattr(vjpgrad, name) and name in vjpgrad.__all__
    assert (PRIMITIVES_PY.parent / "py.typed").is_file()
