"""Build the engine yourself: checkers for the autograd chapter's exercises.

Each checker runs a piece you wrote (a VJP, a topological order, a reverse
pass) and vjpgrad's own on the same random graphs, and raises AssertionError
naming the first node where the two differ::

    from vjpgrad.exercises import check_backward_pass
    # silent when it agrees on every graph
    check_backward_pass(my_backward_pass)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .backward import backward_pass, topological_order
from .graph import VJP, Node, enable_grad
from .primitives import PRIMITIVES, unbroadcast
from .tensor import Tensor, apply

__all__ = [
    "EXAMPLES",
    "random_graph",
    "check_topological_order",
    "check_backward_pass",
    "check_vjps",
]

# For each primitive, inputs and parameters to apply it to, of shapes where the
# sizes differ (a square example cannot tell G Bᵀ from B G) and with
# broadcasting.
EXAMPLES: dict[
    str, list[tuple[tuple[tuple[int, ...], ...], dict[str, Any]]]
] = {
    "add": [(((2, 3), (3,)), {}), (((2, 1), (1, 3)), {})],
    "subtract": [(((2, 3), (3,)), {}), (((4,), (2, 1)), {})],
    "multiply": [(((2, 3), (3,)), {}), (((2, 1), (1, 3)), {})],
    "divide": [(((2, 3), (3,)), {}), (((3,), (2, 1)), {})],
    "power": [(((2, 3), (3,)), {})],
    "maximum": [(((2, 3), (3,)), {})],
    "matmul": [
        (((2, 3), (3, 4)), {}),
        (((3,), (3, 4)), {}),
        (((2, 3), (3,)), {}),
        (((5, 2, 3), (3, 4)), {}),
    ],
    "negative": [(((2, 3),), {})],
    "exp": [(((2, 3),), {})],
    "log": [(((2, 3),), {})],
    "tanh": [(((2, 3),), {})],
    "sigmoid": [(((2, 3),), {})],
    "relu": [(((2, 3),), {})],
    "sum": [
        (((2, 3),), {"axis": 1}),
        (((2, 3, 4),), {"axis": (0, 2), "keepdims": True}),
    ],
    "mean": [(((2, 3),), {"axis": 0}), (((2, 3),), {"axis": None})],
    "max": [(((2, 3),), {"axis": 1}), (((2, 3),), {"axis": None})],
    "logsumexp": [
        (((2, 3),), {"axis": 1}),
        (((2, 3),), {"axis": 0, "keepdims": True}),
    ],
    "reshape": [(((2, 3),), {"shape": (3, 2)})],
    "transpose": [(((2, 3, 4),), {"axes": (2, 0, 1)})],
    "getitem": [(((4, 3),), {"index": (np.array([0, 2, 0]), slice(None))})],
}


def _positive(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random values in [0.5, 2): away from 0 (log, divide), from each other
    (max), and from kinks."""
    return rng.uniform(0.5, 2.0, shape)


def random_graph(
    rng: np.random.Generator, name: str | None = None, example: int = 0
) -> tuple[Tensor, list[Tensor]]:
    """A random computation (output, leaves): a few leaves, a random mix of
    operations on them with shared subexpressions and constants, and, if `name`
    is given, that primitive applied to computed inputs (as in
    EXAMPLES[name][example]) on the way."""
    shapes, params = EXAMPLES[name][example] if name else (((2, 3), (3,)), {})
    leaves = [Tensor(_positive(rng, shape)) for shape in shapes]
    with enable_grad():
        inputs = [_mix(rng, leaf, leaves) for leaf in leaves]
        if name:
            out = apply(PRIMITIVES[name], *inputs, **params)
        else:
            out = inputs[0] * inputs[-1]
        out = _mix(rng, out, leaves)
        # so that no gradient is just 1
        weights = rng.standard_normal(out.shape)
        return (out * weights).sum(), leaves


def _mix(rng: np.random.Generator, x: Tensor, leaves: list[Tensor]) -> Tensor:
    """x through a few random shape-keeping operations, some using x twice;
    positive values stay positive and moderate."""
    x = (x * 0.2).tanh() + 0.5  # in (0.5, 1.5) from any positive x
    for _ in range(rng.integers(1, 4)):
        step = rng.integers(4)
        if step == 0:
            x = (x * x + 1.0).log()  # x used twice
        elif step == 1:
            x = x.exp() * 0.2 + x * 0.5
        elif step == 2:
            x = x * 0.5 + x.mean() * 0.5
        else:
            other = leaves[rng.integers(len(leaves))]
            x = x + other.sum() * 0.1  # another leaf joins in
    return x


def _describe(node: Node, order: list[Node]) -> str:
    """For a message: `node`'s primitive, shape and place from the output."""
    place = order.index(node) + 1
    return (
        f"the {node.name!r} node of shape {node.shape} "
        f"({_ordinal(place)} from the output)"
    )


def _ordinal(n: int) -> str:
    suffix = (
        "th"
        if 10 <= n % 100 <= 20
        else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    )
    return f"{n}{suffix}"


def _graphs(rng: np.random.Generator, graphs: int) -> list[Tensor]:
    """Random graphs, then a long chain and a fan-out graph with many paths."""
    outs = [random_graph(rng)[0] for _ in range(graphs)]
    x = Tensor(1.0)
    y = x
    for _ in range(5_000):  # deeper than Python's recursion limit
        y = y * 1.0
    outs.append(y)
    y = x
    for _ in range(20):  # 2**20 paths through 40 nodes
        y = (y + y) * 0.5
    return [*outs, y]


def check_topological_order(
    order: Callable[[Node], list[Node]], graphs: int = 30, seed: int = 0
) -> None:
    """Check `order(root)` on random graphs, a chain of 5,000 operations and a
    graph with 2**20 paths: every node that root was computed from, root
    included, exactly once, each before the nodes it was computed from."""
    rng = np.random.default_rng(seed)
    for out in _graphs(rng, graphs):
        assert out.node is not None
        expected = topological_order(out.node)
        start = time.perf_counter()
        try:
            got = list(order(out.node))
        except RecursionError as error:
            raise AssertionError(
                f"your order raised RecursionError on a graph {len(expected)} "
                "nodes deep: walk the graph with a list as the stack, not by "
                "recursion"
            ) from error
        if time.perf_counter() - start > 5.0:
            raise AssertionError(
                f"your order took {time.perf_counter() - start:.0f} s for "
                f"{len(expected)} nodes: does it expand a node more than once "
                "(once per path to it)?"
            )
        _compare_orders(got, expected)


def _compare_orders(got: list[Any], expected: list[Node]) -> None:
    """Raise AssertionError at the first way in which `got` is not an order
    of the nodes in `expected`, each before the nodes computed from it."""
    listed = set(expected)
    missing = [n for n in expected if n not in set(got)]
    if missing:
        raise AssertionError(
            f"your order leaves out {_describe(missing[0], expected)}"
        )
    extra = [n for n in got if not isinstance(n, Node) or n not in listed]
    if extra:
        raise AssertionError(
            f"your order lists {extra[0]!r}, which is not a node that the "
            "output was computed from (leaves and None do not belong in it)"
        )
    if len(got) != len(expected):
        raise AssertionError("your order lists a node more than once")
    position = {node: i for i, node in enumerate(got)}
    for node in got:
        for parent in node.parents:
            if isinstance(parent, Node) and position[parent] < position[node]:
                raise AssertionError(
                    f"your order puts {_describe(parent, expected)} before "
                    f"{_describe(node, expected)}, which was computed from it"
                )


def check_backward_pass(
    backward: Callable[[Node, np.ndarray], dict[Any, Any]],
    graphs: int = 30,
    seed: int = 0,
) -> None:
    """Check `backward(root, seed)` on random graphs, a long chain and a graph
    with many paths: it must return the gradient of the output with respect
    to every node (keyed by the node) and every leaf (keyed by the Tensor), as
    vjpgrad's backward_pass computes them, for a seed that is not 1."""
    rng = np.random.default_rng(seed)
    for out in _graphs(rng, graphs):
        assert out.node is not None
        order = topological_order(out.node)
        leaves = _leaves(order)
        seed_value = np.array(rng.uniform(0.5, 2.0))
        expected = backward_pass(out.node, seed_value, keep=set(order))
        try:
            got = backward(out.node, seed_value.copy())
        except Exception as error:
            raise AssertionError(
                f"your reverse pass raised {type(error).__name__}: {error}\n"
                "Hints: sum each contribution to its input's shape with "
                "vjpgrad.unbroadcast(contribution, parent.shape); add "
                "contributions with +, not += (a VJP may return a read-only "
                "view, or the same array for two inputs)"
            ) from error
        keys: list[Node | Tensor] = [*order, *leaves]
        for key in keys:  # from the output down, then the leaves
            what = (
                _describe(key, order)
                if isinstance(key, Node)
                else f"the leaf of shape {key.shape}"
            )
            if key not in got:
                raise AssertionError(f"you return no gradient for {what}")
            if not _same(got[key], expected[key]):
                raise AssertionError(
                    f"the gradient of {what} differs (seed {seed_value}): "
                    f"vjpgrad gives\n{expected[key]}\nand yours\n{got[key]}"
                )


def _leaves(order: list[Node]) -> list[Tensor]:
    """The leaf Tensors that the nodes in `order` use, each once."""
    leaves = {
        id(p): p
        for node in order
        for p in node.parents
        if isinstance(p, Tensor)
    }
    return list(leaves.values())


def _same(got: Any, expected: Any) -> bool:
    """Whether a gradient has the shape and (nearly) the values expected."""
    return np.shape(got) == np.shape(expected) and bool(
        np.allclose(got, expected, rtol=1e-10, atol=1e-12)
    )


def check_vjps(
    name: str, *vjps: VJP | None, graphs: int = 10, seed: int = 0
) -> None:
    """Check your VJPs of primitive `name` (one per input, as in its class;
    None keeps vjpgrad's) on random graphs that use it: at each node of that
    primitive, each of your VJPs must return what vjpgrad's returns (after
    unbroadcast), so that the gradient of every node is vjpgrad's."""
    n_inputs = len(PRIMITIVES[name].vjps)
    if len(vjps) != n_inputs:
        raise TypeError(
            f"{name!r} has {n_inputs} input(s): give one VJP per input (None "
            f"keeps vjpgrad's), not {len(vjps)}"
        )
    rng = np.random.default_rng(seed)
    for i in range(graphs):
        out, _ = random_graph(rng, name, i % len(EXAMPLES[name]))
        assert out.node is not None
        order = topological_order(out.node)
        expected = backward_pass(out.node, np.ones(()), keep=set(order))
        for (
            node
        ) in order:  # each node of the primitive, nearest the output first
            if node.name == name:
                _compare_vjps(node, expected[node], vjps)


def _compare_vjps(node: Node, g: Any, vjps: tuple[VJP | None, ...]) -> None:
    """Raise AssertionError where one of `vjps` differs from vjpgrad's own at
    `node`, for upstream gradient g (each result summed to its input's
    shape)."""
    for k, (parent, own, yours) in enumerate(
        zip(node.parents, type(node).vjps, vjps)
    ):
        if parent is None or yours is None:
            continue
        where = (
            f"for input {k} of {node.name!r} (shape {parent.shape}, output "
            f"shape {node.shape}), with g =\n{g}\n"
        )
        g_read_only = np.array(g)  # a VJP must not change g
        g_read_only.flags.writeable = False
        try:
            got = unbroadcast(
                np.asarray(yours(node, g_read_only)), parent.shape
            )
        except Exception as error:
            raise AssertionError(
                f"your VJP {where}raised {type(error).__name__}: {error}"
            ) from error
        expected = unbroadcast(np.asarray(own(node, g)), parent.shape)
        if not _same(got, expected):
            raise AssertionError(
                f"your VJP {where}returns\n{got}\nbut vjpgrad's returns\n"
                f"{expected}"
            )
