"""The checkers of chapter 5's build-it-yourself exercises (vjpgrad.exercises), and
vjpgrad.vjp: they pass vjpgrad's own pieces and name the first node where a wrong
piece differs."""

from __future__ import annotations

import numpy as np
import pytest

import vjpgrad
from vjpgrad import PRIMITIVES, Node, Tensor, vjp
from vjpgrad.backward import backward_pass, topological_order
from vjpgrad.exercises import (
    EXAMPLES,
    check_backward_pass,
    check_topological_order,
    check_vjps,
    random_graph,
)
from vjpgrad.primitives import Matmul, Multiply, Sum


def full_backward_pass(root: Node, seed: np.ndarray) -> dict:
    return backward_pass(root, seed, keep=set(topological_order(root)))


def test_every_primitive_has_examples_and_its_own_vjps_pass() -> None:
    assert set(EXAMPLES) == set(PRIMITIVES)
    for name, primitive in PRIMITIVES.items():
        check_vjps(name, *primitive.vjps)


def test_vjpgrads_own_order_and_reverse_pass_pass() -> None:
    check_topological_order(topological_order)
    check_backward_pass(full_backward_pass)


def test_random_graphs_are_reproducible_and_use_the_primitive() -> None:
    for name in PRIMITIVES:
        out1, _ = random_graph(np.random.default_rng(5), name)
        out2, _ = random_graph(np.random.default_rng(5), name)
        assert out1.value == out2.value and np.isfinite(out1.value)
        assert name in {node.name for node in topological_order(out1.node)}


def test_a_wrong_order_is_caught_and_the_nodes_named() -> None:
    with pytest.raises(AssertionError, match=r"puts the '\w+' node .* before the '\w+' node"):
        check_topological_order(lambda root: topological_order(root)[::-1])
    with pytest.raises(AssertionError, match="leaves out the '"):
        check_topological_order(lambda root: topological_order(root)[:-1])
    with pytest.raises(AssertionError, match="more than once"):
        check_topological_order(lambda root: topological_order(root) + [root])
    with pytest.raises(AssertionError, match="not a node"):
        check_topological_order(lambda root: topological_order(root) + [None])


def test_a_reverse_pass_that_overwrites_instead_of_adding_is_caught() -> None:
    def overwriting(root: Node, seed: np.ndarray) -> dict:
        adjoint = {root: seed}
        for node in topological_order(root):
            for parent, vjp_ in zip(node.parents, node.vjps, strict=True):
                if parent is not None:
                    adjoint[parent] = vjpgrad.unbroadcast(
                        vjp_(node, adjoint[node]), parent.shape
                    )  # forgets +=
        return adjoint

    with pytest.raises(AssertionError, match=r"the gradient of (the '\w+' node|the leaf)"):
        check_backward_pass(overwriting)


def test_a_reverse_pass_that_returns_only_the_leaves_is_told_so() -> None:
    with pytest.raises(AssertionError, match="you return no gradient for the 'sum' node"):
        check_backward_pass(lambda root, seed: backward_pass(root, seed))


def test_the_checkers_catch_recursion_slowness_a_fixed_seed_and_in_place_adds() -> None:
    def recursive(root: Node) -> list:
        order: list = []

        def visit(node: Node) -> None:
            if node not in order:
                for parent in node.parents:
                    if isinstance(parent, Node):
                        visit(parent)
                order.insert(0, node)

        visit(root)
        return order

    with pytest.raises(AssertionError, match="RecursionError .* not by recursion"):
        check_topological_order(recursive)

    def ignoring_the_seed(root: Node, seed: np.ndarray) -> dict:
        return full_backward_pass(root, np.ones(()))

    with pytest.raises(AssertionError, match="differs"):
        check_backward_pass(ignoring_the_seed)

    def adding_in_place(root: Node, seed: np.ndarray) -> dict:
        adjoint = {root: seed}
        for node in topological_order(root):
            for parent, vjp_ in zip(node.parents, node.vjps, strict=True):
                if parent is not None:
                    part = vjpgrad.unbroadcast(vjp_(node, adjoint[node]), parent.shape)
                    if parent in adjoint:
                        adjoint[parent] += part
                    else:
                        adjoint[parent] = part
        return adjoint

    with pytest.raises(AssertionError, match=r"(?s)raised ValueError.*\+, not \+="):
        check_backward_pass(adding_in_place)


def dropping_repeats(node: Node, g: np.ndarray) -> np.ndarray:
    """The VJP of indexing written as dx[index] += g: a repeated index counts once."""
    dx = np.zeros(node.x_shape)
    dx[node.index] += g
    return dx


@pytest.mark.parametrize(
    ("name", "vjps", "kind"),
    [
        ("multiply", (lambda node, g: node.y, None), "forgets g"),
        ("multiply", (lambda node, g: g * node.x, lambda node, g: g * node.y), "swapped"),
        ("exp", (lambda node, g: -g * node.out,), "wrong sign"),
        (
            "matmul",
            (
                lambda node, g: (
                    np.swapaxes(Matmul.vjps[0](node, g), -1, -2)
                    if np.ndim(node.a) == 2 and node.a.shape[0] == node.a.shape[1]
                    else Matmul.vjps[0](node, g) * 2.0
                ),
                None,
            ),
            "transposed or scaled",
        ),
        ("sum", (lambda node, g: np.broadcast_to(np.sum(g), node.x_shape),), "wrong axis"),
        ("getitem", (lambda node, g: dropping_repeats(node, g),), "drops repeated indices"),
    ],
)
def test_a_wrong_vjp_is_caught_and_a_node_named(name: str, vjps: tuple, kind: str) -> None:
    with pytest.raises(AssertionError, match=rf"your VJP for input \d of '{name}'"):
        check_vjps(name, *vjps)


def test_vjp_of_a_primitive_is_its_vjps_with_broadcasting_undone() -> None:
    a, b = np.arange(6.0).reshape(2, 3), np.array([1.0, -2.0, 0.5])
    g = np.ones((2, 3)) * [[1.0], [3.0]]
    out, vjp_f = vjp(Multiply, a, b)
    np.testing.assert_array_equal(out, a * b)
    grad_a, grad_b = vjp_f(g)
    np.testing.assert_array_equal(grad_a, g * b)
    np.testing.assert_array_equal(grad_b, (g * a).sum(axis=0))
    (grad_x,) = vjp(Sum, a, axis=1)[1](np.array([1.0, -1.0]))
    np.testing.assert_array_equal(grad_x, [[1.0] * 3, [-1.0] * 3])


def test_vjp_of_a_function_and_its_errors() -> None:
    out, vjp_f = vjp(lambda x, y: (x * y).exp(), np.array([0.0, 1.0]), np.array([2.0, 0.5]))
    grad_x, grad_y = vjp_f(np.array([1.0, 2.0]))
    np.testing.assert_allclose(grad_x, [1.0, 2.0] * np.array([2.0, 0.5]) * out)
    np.testing.assert_allclose(grad_y, [1.0, 2.0] * np.array([0.0, 1.0]) * out)
    assert vjp(lambda x: x, np.ones(2))[1](np.array([3.0, 4.0]))[0].tolist() == [3.0, 4.0]
    assert vjp(lambda x, y: x * 2.0, np.ones(2), np.ones(2))[1](np.ones(2))[1].tolist() == [0, 0]
    with pytest.raises(ValueError, match="g has shape"):
        vjp_f(np.ones(3))
    with pytest.raises(TypeError, match="must return a Tensor"):
        vjp(lambda x: 1.0, np.ones(2))


def test_the_chapters_solutions_pass_and_a_copy_with_a_bug_fails() -> None:
    """The counting-uses order and the keep-everything reverse pass of the chapter's
    solutions are accepted (so the exercises can be solved without vjpgrad's code)."""

    def counting_uses(root: Node) -> list[Node]:
        uses, stack = {root: 0}, [root]
        while stack:
            for parent in stack.pop().parents:
                if isinstance(parent, Node):
                    if parent not in uses:
                        uses[parent] = 0
                        stack.append(parent)
                    uses[parent] += 1
        order, ready = [], [root]
        while ready:
            node = ready.pop()
            order.append(node)
            for parent in node.parents:
                if isinstance(parent, Node):
                    uses[parent] -= 1
                    if uses[parent] == 0:
                        ready.append(parent)
        return order

    def keep_everything(root: Node, seed: np.ndarray) -> dict:
        adjoint = {root: seed}
        for node in counting_uses(root):
            for parent, vjp_ in zip(node.parents, node.vjps, strict=True):
                if parent is not None:
                    part = vjpgrad.unbroadcast(vjp_(node, adjoint[node]), parent.shape)
                    adjoint[parent] = adjoint.get(parent, 0) + part
        return adjoint

    check_topological_order(counting_uses)
    check_backward_pass(keep_everything)
    x = Tensor(np.ones(3))
    y = (x * 2.0).sum()
    assert keep_everything(y.node, np.ones(()))[x].tolist() == [2.0, 2.0, 2.0]
