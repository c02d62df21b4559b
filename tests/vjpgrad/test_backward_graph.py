"""The reverse pass on large and shared graphs: no recursion limit, each VJP called
once (and never for an input that needs no gradient), exact; and the topological order
it follows."""

from __future__ import annotations

import gc
import sys
from collections import Counter
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vjpgrad import PRIMITIVES, Node, Tensor, override_vjp
from vjpgrad.backward import backward_pass, topological_order


def test_100000_node_chain_is_exact_and_not_recursive() -> None:
    x = Tensor([1.0, -2.0, 3.0, 0.5])
    y = x
    for _ in range(50_000):  # 100,000 nodes: x * 2 * 0.5 * 2 * 0.5 ... is exactly x
        y = y * 2.0
        y = y * 0.5
    assert sys.getrecursionlimit() < 100_000
    assert len(topological_order(y.node)) == 100_000
    y.sum().backward()
    np.testing.assert_array_equal(y.value, x.value)
    np.testing.assert_array_equal(x.grad, np.ones(4))


def test_100000_node_chain_of_tensor_operations() -> None:
    x = Tensor(np.array([0.25, 0.5]))
    one = Tensor(np.ones(2))  # a second leaf used by every step
    y = x
    for _ in range(100_000):
        y = y + one
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
    np.testing.assert_array_equal(one.grad, [100_000.0, 100_000.0])


def test_deleting_a_long_chain_does_not_crash() -> None:
    y = Tensor(np.ones(2))
    for _ in range(100_000):
        y = y + 1.0
    del y
    gc.collect()


def fan_out_dag(levels: int) -> tuple[Tensor, Tensor]:
    x = Tensor([1.5, -0.5])
    y = x
    for _ in range(levels):
        y = (y + y) * 0.5  # 2^levels paths from y to x
    return x, y


def test_60_level_fan_out_dag_is_exact() -> None:
    x, y = fan_out_dag(60)
    y.sum().backward()
    np.testing.assert_array_equal(y.value, x.value)
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def counted(calls: Counter, key: str, vjp: Callable) -> Callable:
    """`vjp`, counting its calls in calls[key]."""

    def counting(node, g):
        calls[key] += 1
        return vjp(node, g)

    return counting


def counting_overrides(calls: Counter, name: str) -> tuple[Callable, ...]:
    """The VJPs of primitive `name` as they are, each counting its calls."""
    return tuple(counted(calls, f"{name} {k}", vjp) for k, vjp in enumerate(PRIMITIVES[name].vjps))


def test_each_vjp_runs_once_on_shared_subexpressions() -> None:
    """2^60 paths, 120 nodes: each VJP of each node is called once, and multiply's VJP
    for its constant 0.5 never."""
    calls: Counter = Counter()
    x, y = fan_out_dag(60)
    loss = y.sum()
    with (
        override_vjp("add", *counting_overrides(calls, "add")),
        override_vjp("multiply", *counting_overrides(calls, "multiply")),
    ):
        loss.backward()
    assert calls == {"add 0": 60, "add 1": 60, "multiply 0": 60}
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_each_vjp_runs_once_on_a_diamond_with_a_retained_gradient() -> None:
    calls: Counter = Counter()
    x = Tensor([0.3, -0.2])
    c = x.exp()  # used by three operations
    d = (c * 2.0).tanh()
    loss = (c + d * c).sum()
    with (
        override_vjp("exp", *counting_overrides(calls, "exp")),
        override_vjp("tanh", *counting_overrides(calls, "tanh")),
    ):
        loss.backward(retain_grads=True)
    assert calls == {"exp 0": 1, "tanh 0": 1}
    e, t = np.exp(x.value), np.tanh(2.0 * np.exp(x.value))
    np.testing.assert_allclose(c.grad, 1.0 + t + e * (1 - t * t) * 2.0)
    np.testing.assert_allclose(x.grad, c.grad * e)


@pytest.mark.parametrize("data", ["ndarray", "Tensor without gradient", "number"])
def test_the_vjp_of_an_input_that_needs_no_gradient_is_never_called(data: str) -> None:
    """X @ W with data X: only dl/dW = Xᵀ G is computed, not the (large) dl/dX."""
    X = np.arange(12.0).reshape(4, 3)
    inputs = {
        "ndarray": X,
        "Tensor without gradient": Tensor(X, requires_grad=False),
        "number": 2.0,
    }
    W = Tensor(np.ones((3, 2)))
    calls: Counter = Counter()
    if data == "number":
        loss = (inputs[data] * W).sum()
        name = "multiply"
    else:
        loss = (inputs[data] @ W).sum()
        name = "matmul"
    with override_vjp(name, *counting_overrides(calls, name)):
        loss.backward()
    assert calls == {f"{name} 1": 1}
    expected = (
        np.full((3, 2), 2.0) if data == "number" else np.repeat(X.sum(axis=0)[:, None], 2, axis=1)
    )
    np.testing.assert_array_equal(W.grad, expected)


def test_backward_pass_returns_the_gradients_of_leaves_and_kept_nodes() -> None:
    x, w = Tensor([1.0, 2.0]), Tensor([3.0, -1.0])
    data = Tensor([5.0, 5.0], requires_grad=False)
    h = x * w
    loss = (h * data).sum()
    grads = backward_pass(loss.node, np.ones(()), keep=[h.node])
    assert set(grads) == {x, w, h.node}  # not data, which needs no gradient
    np.testing.assert_array_equal(grads[h.node], [5.0, 5.0])
    np.testing.assert_array_equal(grads[x], [15.0, -5.0])
    np.testing.assert_array_equal(grads[w], [5.0, 10.0])
    assert x.grad is None and h.grad is None  # backward_pass stores nothing


def test_a_broadcast_gradient_is_summed_to_the_input_shape() -> None:
    b = Tensor(np.zeros(3))
    loss = (np.ones((4, 3)) + b).sum()
    grads = backward_pass(loss.node, np.ones(()))
    np.testing.assert_array_equal(grads[b], [4.0, 4.0, 4.0])


def test_diamond_and_reused_intermediate() -> None:
    x = Tensor([2.0])
    a = x * 3.0  # used three times
    b = a.exp()
    y = (a * b + a).sum()
    y.backward()
    av = 3.0 * 2.0
    np.testing.assert_allclose(x.grad, [3.0 * (np.exp(av) + av * np.exp(av) + 1.0)])


def test_gradient_only_flows_through_the_graph_of_the_output() -> None:
    x = Tensor([1.0, 2.0])
    h = x * 2.0
    unrelated = h * 100.0  # another use of h that is not part of `y`
    y = (h * h).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad, 8 * x.value)
    assert unrelated.grad is None


def test_same_tensor_twice_in_one_operation() -> None:
    x = Tensor([3.0])
    (x * x).backward(np.ones(1))
    np.testing.assert_array_equal(x.grad, [6.0])
    z = Tensor([[1.0, 2.0], [3.0, 4.0]])
    (z @ z).sum().backward()
    np.testing.assert_allclose(z.grad, np.ones((2, 2)) @ z.value.T + z.value.T @ np.ones((2, 2)))


# ---- topological order on random DAGs ------------------------------------------------

STEPS = st.lists(
    st.tuples(
        st.sampled_from(["add", "multiply", "subtract", "maximum", "exp", "tanh", "sum0"]),
        st.integers(0, 10**6),
        st.integers(0, 10**6),
    ),
    min_size=1,
    max_size=30,
)


def random_dag(steps: list[tuple[str, int, int]], leaves: list) -> list:
    """Apply each step to earlier values (chosen by the two integers), reusing them
    freely; returns every value made, leaves first."""
    values = list(leaves)
    for op, i, j in steps:
        a, b = values[i % len(values)], values[j % len(values)]
        a_t = a if isinstance(a, Tensor) else Tensor(a, requires_grad=False)
        if op == "add":
            values.append(a + b)
        elif op == "multiply":
            values.append(a_t * b)
        elif op == "subtract":
            values.append(b - a_t)
        elif op == "maximum":
            values.append(a_t.maximum(b))
        elif op == "exp":
            values.append((a_t * 0.1).exp())
        elif op == "tanh":
            values.append(a_t.tanh())
        else:
            values.append(a_t.sum(axis=0, keepdims=True) * np.ones((2, 3)))
    return values


def reachable(root: Node) -> set[Node]:
    """The nodes root was computed from, found by a recursive walk (an independent
    reference; these graphs are small)."""
    found: set[Node] = set()

    def visit(node: Node) -> None:
        if node not in found:
            found.add(node)
            for parent in node.parents:
                if isinstance(parent, Node):
                    visit(parent)

    visit(root)
    return found


@settings(max_examples=60, deadline=None)
@given(steps=STEPS, pick=st.integers(0, 10**6), seed=st.integers(0, 2**32 - 1))
def test_topological_order_puts_every_node_before_its_parents(steps, pick: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    leaves = [
        Tensor(rng.standard_normal((2, 3))),
        Tensor(rng.standard_normal(3)),
        Tensor(rng.standard_normal((2, 3)), requires_grad=False),
        rng.standard_normal((2, 1)),
    ]
    values = random_dag(steps, leaves)
    computed = [v for v in values[len(leaves) :] if isinstance(v, Tensor) and v.node is not None]
    if not computed:
        return
    root = computed[pick % len(computed)].node
    order = topological_order(root)
    assert order[0] is root
    assert len(order) == len(set(order)) and set(order) == reachable(root)
    position = {node: k for k, node in enumerate(order)}
    for node in order:
        for parent in node.parents:
            if isinstance(parent, Node):
                assert position[parent] > position[node], (node, parent)
            else:
                assert parent is None or (isinstance(parent, Tensor) and parent.is_leaf)


@settings(max_examples=30, deadline=None)
@given(steps=STEPS, seed=st.integers(0, 2**32 - 1))
def test_random_dags_differentiate_like_finite_differences(steps, seed: int) -> None:
    rng = np.random.default_rng(seed)
    base = [rng.standard_normal((2, 3)), rng.standard_normal(3)]
    data = [rng.standard_normal((2, 3)), rng.standard_normal((2, 1))]

    def f(a, b):
        values = random_dag(steps, [a, b, Tensor(data[0], requires_grad=False), data[1]])
        return sum(
            (v * float(k + 1)).sum() for k, v in enumerate(values[4:]) if isinstance(v, Tensor)
        )

    a, b = Tensor(base[0]), Tensor(base[1])
    out = f(a, b)
    if not isinstance(out, Tensor) or not out.requires_grad:
        return
    out.backward()
    from vjpgrad import numerical_jacobian

    for k, t in enumerate((a, b)):

        def along(z, k=k):
            args = [Tensor(x, requires_grad=False) for x in base]
            args[k] = Tensor(z, requires_grad=False)
            return f(*args).value

        expected = numerical_jacobian(along, base[k])
        got = t.grad if t.grad is not None else np.zeros_like(base[k])
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
