"""numerical_jacobian and check_grad, including naming a deliberately wrong VJP."""

from __future__ import annotations

import re

import numpy as np
import pytest

import vjpgrad
from vjpgrad import PRIMITIVES, Node, Tensor, check_grad, numerical_jacobian, override_vjp
from vjpgrad.backward import topological_order


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
    check_grad(
        lambda a, b: ((a @ b).tanh() * a.sum()).sigmoid(),
        rng.standard_normal((2, 3)),
        rng.standard_normal(3),
    )
    check_grad(lambda x: (x.exp() / x.exp().sum()).log(), rng.standard_normal(4))  # vector output


# A typical student mistake: the factors swapped.
WRONG_MULTIPLY_VJPS = (lambda node, g: g * node.x, lambda node, g: g * node.y)


def test_deliberately_wrong_vjp_is_caught_and_named() -> None:
    f = lambda x, w: ((x * w).exp() + 1.0).log().sum()  # noqa: E731
    x, w = np.array([0.3, -0.2, 0.5]), np.array([1.5, 0.5, -1.0])
    check_grad(f, x, w)
    own = PRIMITIVES["multiply"].vjps
    with override_vjp("multiply", *WRONG_MULTIPLY_VJPS), pytest.raises(AssertionError) as info:
        check_grad(f, x, w)
    message = str(info.value)
    assert "VJP of 'multiply' disagrees with finite differences" in message
    assert "max abs error" in message and "max rel error" in message
    assert PRIMITIVES["multiply"].vjps == own  # restored
    check_grad(f, x, w)


def test_the_first_wrong_primitive_in_the_graph_is_named() -> None:
    def wrong_tanh_vjp(node, g):
        return g * (1.0 - node.out)  # forgot the square

    def wrong_exp_vjp(node, g):
        return 2.0 * g * node.out

    own = PRIMITIVES["tanh"].vjps
    f = lambda x: ((x * 2.0).tanh().exp() * 3.0).sum()  # noqa: E731  tanh comes before exp
    with (
        override_vjp("tanh", wrong_tanh_vjp),
        override_vjp("exp", wrong_exp_vjp),
        pytest.raises(AssertionError, match="VJP of 'tanh' disagrees"),
    ):
        check_grad(f, np.array([0.1, 0.7]))
    assert PRIMITIVES["tanh"].vjps == own


def test_a_wrong_vjp_shape_is_reported() -> None:
    def wrong_sum_vjp(node, g):
        return g  # not copied along the summed axis

    x = np.ones((2, 3))
    with override_vjp("sum", wrong_sum_vjp), pytest.raises(AssertionError) as failure:
        check_grad(lambda t: t.sum(axis=0).exp().sum(), x)
    message = str(failure.value)
    assert "the VJP of 'sum' for input 0 raised ValueError" in message, message
    assert isinstance(failure.value.__cause__, ValueError)  # the original, chained
    assert (
        "VJP of 'sum' returned a gradient of shape (3,) for input 0 of shape (2, 3)" in message
    ), message


def test_a_wrong_vjp_of_a_new_primitive_is_named() -> None:
    @vjpgrad.primitive
    class Cube(Node):
        __slots__ = ("x",)
        forward = staticmethod(lambda x: x**3)

        def save(self, out, x):
            self.x = x

        vjps = (lambda node, g: g * 3 * node.x,)  # wrong: x, not x²

    with pytest.raises(AssertionError, match="VJP of 'cube' disagrees"):
        check_grad(lambda t: vjpgrad.apply(Cube, t * 1.5).sum(), np.array([0.5, 2.0]))


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
    with (
        override_vjp("tanh", lambda node, g: g * (1.0 - node.out)),
        pytest.raises(AssertionError, match="VJP of 'tanh' disagrees"),
    ):
        check_grad(lambda W: (X @ W).relu().tanh().sum(), np.zeros((3, 2)) + [[0.0, 1.0]])


def test_the_relative_error_is_that_of_the_failing_entries() -> None:
    # entry 0: gradient 3e-18 against a finite difference of 0 (within atol, but an
    # infinite relative error); entry 1: off by 0.05 %: that is the error to report
    with (
        override_vjp("exp", lambda node, g: 1.001 * g * node.out),
        pytest.raises(AssertionError) as failure,
    ):
        check_grad(lambda x: (x * x * x).sum() + x[1:].exp().sum(), np.array([1e-9, 1.0]))
    summary = str(failure.value).splitlines()[0]
    relative = float(re.search(r"max rel error (\S+)", summary).group(1))
    assert 1e-4 < relative < 1e-3, summary


def test_check_grad_leaves_outside_tensors_alone() -> None:
    W = Tensor(np.ones((2, 2)))
    check_grad(lambda x: (x @ W).tanh().sum(), np.array([0.1, 0.2]))
    assert W.grad is None


def test_message_gives_errors_for_a_plain_mismatch() -> None:
    with (
        override_vjp("exp", lambda node, g: 2 * g * node.out),
        pytest.raises(AssertionError, match=r"max abs error [0-9.e+-]+, max rel error 1\b"),
    ):
        check_grad(lambda x: x.exp().sum(), np.array([0.0, 1.0]))


def test_nodes_are_checked_inputs_first_on_a_dag_with_shared_nodes() -> None:
    """check_grad reports the *first* wrong primitive, so it must visit inputs first."""
    x = Tensor(np.array([0.3, -0.2]))
    c = x.exp()
    d = (c * 2.0).tanh()
    out = (c + d * c).sum()
    order = topological_order(out.node)[::-1]  # the order check_grad checks nodes in
    position = {id(node): i for i, node in enumerate(order)}
    assert len(order) == 6
    for node in order:
        for parent in node.parents:
            if isinstance(parent, Node):
                assert position[id(parent)] < position[id(node)], (parent.name, node.name)
    with (  # add comes after tanh
        override_vjp("tanh", lambda node, g: g * (1.0 - node.out)),
        override_vjp("add", lambda node, g: 2.0 * g, None),
        pytest.raises(AssertionError, match="VJP of 'tanh' disagrees"),
    ):
        check_grad(lambda t: (t.exp() + ((t.exp() * 2.0).tanh() * t.exp())).sum(), x.value)


def test_nodes_recorded_outside_check_grad_are_not_blamed() -> None:
    """A Tensor that f uses from outside was recorded outside keep_values: check_grad has
    no values to check its nodes at, so it must not blame them (here relu, whose input
    is far from its kink)."""
    W = Tensor(np.linspace(1.0, 2.0, 1600).reshape(40, 40))
    h = W.relu()  # recorded outside check_grad: the node keeps relu's output only
    assert h.node.values is None
    with pytest.raises(AssertionError) as info:
        check_grad(
            lambda x: (x * x.value).sum() + h.sum(), np.ones(3)
        )  # .value: not differentiated
    assert "relu" not in str(info.value) and "outside the graph" in str(info.value)


def test_a_constant_input_is_not_blamed() -> None:
    """F6: with x ** 2 at x < 0 before a wrong exp, 'power' was blamed "for input 1 of
    2", its constant exponent (whose finite difference is NaN there)."""
    exp_vjp = PRIMITIVES["exp"].vjps[0]
    with (
        override_vjp("exp", lambda node, g: 2 * exp_vjp(node, g)),
        pytest.raises(AssertionError) as failure,
    ):
        check_grad(lambda x: (x**2).exp().sum(), np.array([-1.0, 0.5]))
    message = str(failure.value)
    assert "VJP of 'exp' disagrees" in message and "power" not in message, message


def test_a_kink_after_a_power_of_a_negative_number_is_named() -> None:
    """F6: relu at 0 after x ** 2 (x < 0) is a kink, not a wrong VJP of power."""
    with pytest.raises(AssertionError) as failure:
        check_grad(lambda x: ((x**2) - 1.0).relu().sum(), np.array([-1.0, 0.5]))
    message = str(failure.value)
    assert "at a kink: 'relu' is not differentiable" in message and "power" not in message, message


def test_check_grad_records_every_value_and_restores_the_mode() -> None:
    seen = []

    def f(x):
        y = x.exp()
        seen.append((y.node is not None and y.node.values is not None, vjpgrad.is_grad_enabled()))
        return y.sum()

    with vjpgrad.no_grad():
        check_grad(f, np.array([0.1, 0.2]))
        assert not vjpgrad.is_grad_enabled()
    assert seen[0] == (True, True)  # recorded, keeping values, even inside no_grad
    assert set(seen[1:]) == {(False, False)}  # the finite differences record nothing
    assert (Tensor([1.0]) * 2.0).node.values is None  # keep_values ended with check_grad


def test_numerical_jacobian_of_a_transposed_input() -> None:
    """A Fortran-ordered input (a transpose) is perturbed entry by entry too: a
    flat reshape of it is a copy, which once left every difference at zero."""
    x = np.arange(6.0).reshape(2, 3).T
    np.testing.assert_allclose(numerical_jacobian(lambda z: (z * z).sum(), x), 2 * x, rtol=1e-8)
    check_grad(lambda t: t.T * np.arange(6).reshape(2, 3), np.ones((3, 2)) * 0.5)
