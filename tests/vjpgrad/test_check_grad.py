"""numerical_jacobian and check_grad, including naming a deliberately wrong VJP."""

from __future__ import annotations

import re

import numpy as np
import pytest

import vjpgrad
from vjpgrad import PRIMITIVES, Tensor, check_grad, numerical_jacobian, override_vjp
from vjpgrad.primitives import multiply_vjp, tanh_vjp


def test_numerical_jacobian_is_accurate() -> None:
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 4))
    x = rng.standard_normal(4)
    np.testing.assert_allclose(numerical_jacobian(lambda v: A @ v, x), A, rtol=1e-9, atol=1e-10)
    # central differences: about 10 correct digits, where forward differences with h=1e-10 get ~5
    J = numerical_jacobian(np.exp, x)
    np.testing.assert_allclose(J, np.diag(np.exp(x)), rtol=1e-9, atol=1e-10)
    # shapes: f(x).shape + x.shape, also for 0-d input and output
    assert numerical_jacobian(lambda v: v.sum(), np.ones((2, 3))).shape == (2, 3)
    assert numerical_jacobian(lambda v: v * np.ones((2, 2)), np.array(1.0)).shape == (2, 2)
    assert float(numerical_jacobian(lambda v: v**3, 2.0)) == pytest.approx(12.0, rel=1e-9)


def test_numerical_jacobian_unwraps_tensor_results_and_does_not_modify_x() -> None:
    x = np.array([1.0, 2.0])
    J = numerical_jacobian(lambda v: Tensor(v, requires_grad=False).exp(), x)
    np.testing.assert_allclose(J, np.diag(np.exp(x)), rtol=1e-9)
    assert x.tolist() == [1.0, 2.0]


def test_check_grad_passes_for_correct_gradients() -> None:
    rng = np.random.default_rng(1)
    check_grad(lambda a, b: ((a @ b).tanh() * a.sum()).sigmoid(), rng.standard_normal((2, 3)), rng.standard_normal(3))
    check_grad(lambda x: (x.exp() / x.exp().sum()).log(), rng.standard_normal(4))  # vector output


def wrong_multiply_vjp(g, out, a, b):
    """A typical student mistake: the factors swapped and not unbroadcast."""
    return g * a, g * b


def test_deliberately_wrong_vjp_is_caught_and_named() -> None:
    f = lambda x, w: ((x * w).exp() + 1.0).log().sum()  # noqa: E731
    x, w = np.array([0.3, -0.2, 0.5]), np.array([1.5, 0.5, -1.0])
    check_grad(f, x, w)
    with override_vjp("multiply", wrong_multiply_vjp):
        with pytest.raises(AssertionError) as info:
            check_grad(f, x, w)
    message = str(info.value)
    assert "VJP of 'multiply' disagrees with finite differences" in message
    assert "max abs error" in message and "max rel error" in message
    assert PRIMITIVES["multiply"].vjp is multiply_vjp  # restored
    check_grad(f, x, w)


def test_the_first_wrong_primitive_in_the_graph_is_named() -> None:
    def wrong_tanh_vjp(g, out, x):
        return (g * (1.0 - out),)  # forgot the square

    def wrong_exp_vjp(g, out, x):
        return (2.0 * g * out,)

    f = lambda x: ((x * 2.0).tanh().exp() * 3.0).sum()  # noqa: E731  tanh comes before exp
    with override_vjp("tanh", wrong_tanh_vjp), override_vjp("exp", wrong_exp_vjp):
        with pytest.raises(AssertionError, match="VJP of 'tanh' disagrees"):
            check_grad(f, np.array([0.1, 0.7]))
    assert PRIMITIVES["tanh"].vjp is tanh_vjp


def test_a_wrong_vjp_shape_is_reported() -> None:
    def wrong_sum_vjp(g, out, x, axis=None, keepdims=False):
        return (g,)  # not broadcast back

    x = np.ones((2, 3))
    with override_vjp("sum", wrong_sum_vjp), pytest.raises(AssertionError) as failure:
        check_grad(lambda t: t.sum(axis=0).exp().sum(), x)
    message = str(failure.value)
    assert "the reverse pass failed" in message, message
    assert "VJP of 'sum' returned shape (3,) for input 0 of shape (2, 3)" in message, message


def test_a_wrong_vjp_of_a_new_primitive_is_named() -> None:
    vjpgrad.register_primitive("cube_for_test", lambda x: x**3, lambda g, out, x: (g * 3 * x,))  # wrong: x not x²
    try:
        with pytest.raises(AssertionError, match="VJP of 'cube_for_test' disagrees"):
            check_grad(lambda t: vjpgrad.apply("cube_for_test", t * 1.5).sum(), np.array([0.5, 2.0]))
    finally:
        del PRIMITIVES["cube_for_test"]


def test_leaving_the_graph_is_reported_as_such() -> None:
    # `.value` escapes the graph: the gradient misses a term, but no VJP is wrong
    f = lambda x: (x * Tensor(x.value, requires_grad=False)).sum()  # noqa: E731
    with pytest.raises(AssertionError, match="every primitive's VJP agrees"):
        check_grad(f, np.array([1.0, 2.0]))


def test_a_correct_vjp_at_a_kink_is_not_blamed() -> None:
    X = np.random.default_rng(0).standard_normal((4, 3))
    with pytest.raises(AssertionError) as failure:  # zero weights: every relu input is 0
        check_grad(lambda W: (X @ W).relu().sum(), np.zeros((3, 2)))
    message = str(failure.value)
    assert "at a kink: 'relu' is not differentiable" in message, message
    assert "disagrees" not in message, message


def test_a_wrong_vjp_is_named_even_past_a_kink() -> None:
    X = np.random.default_rng(0).standard_normal((4, 3))
    with override_vjp("tanh", lambda g, out, x: (g * (1.0 - out),)):
        with pytest.raises(AssertionError, match="VJP of 'tanh' disagrees"):
            check_grad(lambda W: (X @ W).relu().tanh().sum(), np.zeros((3, 2)) + [[0.0, 1.0]])


def test_the_relative_error_is_that_of_the_failing_entries() -> None:
    # entry 0: gradient 3e-18 against a finite difference of 0 (within atol, but an
    # infinite relative error); entry 1: off by 0.05 %: that is the error to report
    with override_vjp("exp", lambda g, out, x: (1.001 * g * out,)):
        with pytest.raises(AssertionError) as failure:
            check_grad(lambda x: (x * x * x).sum() + x[1:].exp().sum(), np.array([1e-9, 1.0]))
    summary = str(failure.value).splitlines()[0]
    relative = float(re.search(r"max rel error (\S+)", summary).group(1))
    assert 1e-4 < relative < 1e-3, summary


def test_check_grad_leaves_outside_tensors_alone() -> None:
    W = Tensor(np.ones((2, 2)))
    check_grad(lambda x: (x @ W).tanh().sum(), np.array([0.1, 0.2]))
    assert W.grad is None


def test_message_gives_errors_for_a_plain_mismatch() -> None:
    with override_vjp("exp", lambda g, out, x: (2 * g * out,)):
        with pytest.raises(AssertionError, match=r"max abs error [0-9.e+-]+, max rel error 1\b"):
            check_grad(lambda x: x.exp().sum(), np.array([0.0, 1.0]))


def test_nodes_are_checked_inputs_first_on_a_dag_with_shared_nodes() -> None:
    """check_grad reports the *first* wrong primitive, so it must visit inputs first."""
    from vjpgrad import Node
    from vjpgrad.checking import _graph_nodes

    x = Tensor(np.array([0.3, -0.2]))
    c = x.exp()
    d = (c * 2.0).tanh()
    out = (c + d * c).sum()
    order = _graph_nodes(out)
    position = {id(node): i for i, node in enumerate(order)}
    assert len(order) == 6
    for node in order:
        for parent in node.parents:
            if type(parent) is Node:
                assert position[id(parent)] < position[id(node)], (parent.op.name, node.op.name)


def test_nodes_recorded_outside_check_grad_are_not_blamed() -> None:
    """A Tensor that f uses from outside was recorded keeping only shapes: check_grad has
    no values to check its nodes at, so it must not blame them (here relu, whose input
    is far from its kink)."""
    W = Tensor(np.linspace(1.0, 2.0, 1600).reshape(40, 40))
    h = W.relu()  # recorded outside check_grad; relu's input is kept as a stand-in
    with pytest.raises(AssertionError) as info:
        check_grad(lambda x: (x * x.value).sum() + h.sum(), np.ones(3))  # .value: not differentiated
    assert "relu" not in str(info.value) and "outside the graph" in str(info.value)
