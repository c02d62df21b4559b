"""What the book includes verbatim (literalinclude :pyobject: Multiply, unbroadcast, ...)
and relies on: each built-in primitive is a short class in primitives.py whose
docstring states its VJP, with a forward and one VJP per input."""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import inspect
import re
from pathlib import Path

import numpy as np
import pytest

import vjpgrad
from vjpgrad import PRIMITIVES, Node, Tensor, apply, backward, primitives

PRIMITIVES_PY = Path(primitives.__file__)
MAX_CLASS_LINES = 25  # the book prints each class whole

# name -> number of inputs, for every built-in primitive (a new one is added here too)
INPUTS = {
    "add": 2,
    "subtract": 2,
    "multiply": 2,
    "divide": 2,
    "power": 2,
    "maximum": 2,
    "matmul": 2,
    "negative": 1,
    "exp": 1,
    "log": 1,
    "tanh": 1,
    "sigmoid": 1,
    "relu": 1,
    "sum": 1,
    "mean": 1,
    "max": 1,
    "logsumexp": 1,
    "reshape": 1,
    "transpose": 1,
    "getitem": 1,
}


def top_level_classes() -> dict[str, ast.ClassDef]:
    tree = ast.parse(PRIMITIVES_PY.read_text(encoding="utf-8"))
    return {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}


def builtin_names() -> set[str]:
    return {name for name, cls in PRIMITIVES.items() if cls.__module__ == primitives.__name__}


def test_the_builtins_are_the_listed_primitives() -> None:
    assert builtin_names() == set(INPUTS)


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_a_builtin_is_a_registered_node_subclass_in_primitives_py(name: str) -> None:
    cls = PRIMITIVES[name]
    assert inspect.isclass(cls) and issubclass(cls, Node) and cls is not Node
    assert cls.name == name == cls.__name__.lower()
    assert getattr(primitives, cls.__name__) is cls
    node = top_level_classes().get(cls.__name__)
    assert node is not None, (
        f"{cls.__name__} must be a top-level class of primitives.py (:pyobject:)"
    )
    decorators = [d.id for d in node.decorator_list if isinstance(d, ast.Name)]
    assert decorators == ["builtin"], f"{cls.__name__}: registered with @builtin"


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_a_builtin_is_short_with_a_docstring_stating_its_vjp(name: str) -> None:
    cls = PRIMITIVES[name]
    node = top_level_classes()[cls.__name__]
    doc = ast.get_docstring(node)
    assert doc, f"{cls.__name__}: a docstring stating the VJP"
    assert len(doc.splitlines()) <= 3, f"{cls.__name__}: keep the docstring to a line or so"
    assert re.search(r"dl/d\w+ =", doc), f"{cls.__name__}: the docstring states dl/d(input) = ..."
    lines = node.end_lineno - node.lineno + 1
    assert lines <= MAX_CLASS_LINES, f"{cls.__name__} is {lines} lines: the book prints it"
    body = {
        target.id
        for stmt in node.body
        if isinstance(stmt, ast.Assign)
        for target in stmt.targets
        if isinstance(target, ast.Name)
    }
    assert {"forward", "vjps"} <= body, f"{cls.__name__}: defines forward and vjps in its body"


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_a_builtin_has_a_forward_and_one_vjp_per_input(name: str) -> None:
    cls = PRIMITIVES[name]
    assert callable(cls.forward)
    assert isinstance(cls.vjps, tuple) and len(cls.vjps) == INPUTS[name]
    for vjp in cls.vjps:
        assert callable(vjp)
        assert len(inspect.signature(vjp).parameters) == 2, f"{name}: a VJP is (node, g)"
    save = inspect.signature(cls.save).parameters
    assert list(save)[:2] == ["self", "out"], f"{name}: save(self, out, *inputs, **params)"
    assert "__slots__" in vars(cls), f"{name}: declares the slots its save fills"


def test_the_vjps_return_the_gradient_of_their_input() -> None:
    """Multiply, as the book shows it: dl/dx = g ⊙ y, dl/dy = g ⊙ x, each summed back to
    its input's shape by the reverse pass."""
    x, y = Tensor([[1.0, 2.0, 3.0]]), Tensor([[2.0], [4.0]])
    node = apply(primitives.Multiply, x, y).node
    g = np.ones((2, 3))
    gx, gy = (vjp(node, g) for vjp in primitives.Multiply.vjps)
    np.testing.assert_array_equal(primitives.unbroadcast(gx, (1, 3)), [[6.0, 6.0, 6.0]])
    np.testing.assert_array_equal(primitives.unbroadcast(gy, (2, 1)), [[6.0], [6.0]])
    assert primitives.unbroadcast(np.ones((4, 2, 3)), (2, 1)).tolist() == [[12.0], [12.0]]
    sum_node = apply(primitives.Sum, Tensor(np.zeros((2, 3))), axis=1).node
    np.testing.assert_array_equal(
        primitives.Sum.vjps[0](sum_node, np.array([1.0, 2.0])), [[1.0] * 3, [2.0] * 3]
    )


@pytest.mark.parametrize(
    "g_shape, shape", [((3,), (4,)), ((2, 3), (3, 1)), ((3,), (2, 3)), ((2, 3), (2,))]
)
def test_unbroadcast_refuses_a_shape_it_cannot_sum_to(g_shape: tuple, shape: tuple) -> None:
    with pytest.raises(ValueError, match="cannot be summed to shape"):
        primitives.unbroadcast(np.ones(g_shape), shape)


FUNCTIONS = {  # module, name -> signature (type hints aside), as the book includes or calls them
    (primitives, "unbroadcast"): "(g, shape)",
    (backward, "topological_order"): "(root)",
    (backward, "backward_pass"): "(root, seed, keep=())",
    (vjpgrad.tensor, "apply"): "(primitive, *inputs, **params)",
}


@pytest.mark.parametrize("module, name", sorted(FUNCTIONS, key=lambda k: k[1]))
def test_top_level_function_with_exact_signature(module, name: str) -> None:
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    assert name in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    params = inspect.signature(getattr(module, name)).parameters.values()
    bare = "(" + ", ".join(str(p.replace(annotation=inspect.Parameter.empty)) for p in params) + ")"
    assert bare == FUNCTIONS[module, name]


def test_public_api_is_exported() -> None:
    for name in (
        "Tensor",
        "Node",
        "apply",
        "no_grad",
        "enable_grad",
        "is_grad_enabled",
        "keep_values",
        "grad",
        "value_and_grad",
        "vjp",
        "numerical_jacobian",
        "check_grad",
        "draw_graph",
        "PRIMITIVES",
        "primitive",
        "override_vjp",
        "unbroadcast",
        "__version__",
    ):
        assert hasattr(vjpgrad, name) and name in vjpgrad.__all__, name
    for gone in ("register_primitive", "Primitive"):
        assert not hasattr(vjpgrad, gone), gone
    assert importlib.util.find_spec("vjpgrad.bench") is None  # now benchmarks/bench.py
    # one place for the version: the package's metadata reads vjpgrad.__version__
    assert importlib.metadata.version("vjpgrad") == vjpgrad.__version__
    assert (PRIMITIVES_PY.parent / "py.typed").is_file()
