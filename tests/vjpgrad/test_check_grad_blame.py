"""check_grad catches every kind of wrong VJP of every built-in primitive and
names it, at the end of the graph and in its middle, behind each confounder
that once fooled it (a negative base under power, a relu kink, a log near 0);
and it reports a correct VJP at a kink as a kink, never as wrong.

The matrix: 20 primitives, each with the mistakes that apply to it (forgets g,
wrong sign for all; transposed for matmul and transpose; wrong axis for the
four reductions; drops repeated indices for getitem), in 2 positions, behind 4
confounders (none included): COMBINATIONS below counts them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from vjpgrad import PRIMITIVES, Node, Tensor, apply, check_grad, override_vjp

VJP = Callable[[Node, Any], Any]


def _inputs(name: str, u: Tensor) -> tuple[tuple[Tensor, ...], dict]:
    """Inputs for primitive `name`, computed from u (shape (3, 3), entries in
    (0.5, 1.5)), in its domain and away from its kinks and ties."""
    row = u[0] * 0.7 + 0.1  # (3,): broadcast against u
    if name in ("add", "subtract", "multiply", "maximum"):
        return (u, row), {}
    if name == "divide":
        return (u, row + 1.0), {}
    if name == "power":
        return (u, row), {}
    if name == "matmul":  # square, so that a transposed VJP has the right shape
        return (u, u * 0.5 + 0.2), {}
    if name in ("sum", "mean", "max", "logsumexp"):
        return (u,), {"axis": 1}
    if name == "reshape":
        return (u,), {"shape": (9,)}
    if name == "transpose":
        return (u,), {"axes": (1, 0)}
    if name == "getitem":
        return (u,), {"index": (np.array([0, 2, 0]), slice(None))}
    if name == "relu":
        return ((u - u.mean()) * 3.0,), {}  # both signs, no zero
    return (u,), {}


def _dropping_repeats(node: Node, g: Any) -> Any:
    dx = np.zeros(node.x_shape)
    dx[node.index] += g  # a repeated index counts once
    return dx


def _wrong_axis(name: str) -> VJP:
    """The VJP of reduction `name` over axis 1, computed as if over axis 0."""
    own = PRIMITIVES[name].vjps[0]

    def vjp(node: Node, g: Any) -> Any:
        return np.swapaxes(own(node, g), 0, 1)

    return vjp


def mistakes(name: str) -> dict[str, tuple[VJP, ...]]:
    """The wrong VJPs of each kind that apply to primitive `name`."""
    own = PRIMITIVES[name].vjps
    kinds: dict[str, tuple[VJP, ...]] = {
        "forgets g": tuple((lambda node, g, v=v: v(node, np.ones_like(g))) for v in own),
        "wrong sign": tuple((lambda node, g, v=v: -v(node, g)) for v in own),
    }
    if name == "matmul":
        kinds["transposed"] = tuple(
            (lambda node, g, v=v: np.swapaxes(v(node, g), -1, -2)) for v in own
        )
    if name == "transpose":
        kinds["transposed"] = (lambda node, g: g,)  # not permuted back
    if name in ("sum", "mean", "max", "logsumexp"):
        kinds["wrong axis"] = (_wrong_axis(name),)
    if name == "getitem":
        kinds["drops repeated indices"] = (_dropping_repeats,)
    return kinds


CONFOUNDERS: dict[str, Callable[[Tensor], Tensor]] = {
    "none": lambda x: x,
    "negative base under power": lambda x: x**2.0,
    "relu kink": lambda x: x.relu(),  # x has exact zeros
    "log near 0": lambda x: (x * x + 5e-4).log() * 0.1,
}


def _function(name: str, confounder: str, position: str) -> Callable[[Tensor], Tensor]:
    def f(x: Tensor) -> Tensor:
        c = CONFOUNDERS[confounder](x)
        u = (c * 0.5).tanh() * 0.5 + 1.0  # into (0.5, 1.5)
        inputs, params = _inputs(name, u)
        out = apply(PRIMITIVES[name], *inputs, **params)
        if position == "middle":
            out = (out * 0.3).tanh() * 2.0 + out
        return out

    return f


def _passes_or_reports_the_kink(f: Callable[[Tensor], Tensor]) -> None:
    try:
        check_grad(f, _x())
    except AssertionError as failure:
        assert str(failure).splitlines()[-1].startswith("at a kink: 'relu'"), failure


def _x() -> np.ndarray:
    x = np.random.default_rng(7).uniform(-1.0, 1.0, (3, 3))
    x[0, 0] = x[2, 1] = 0.0  # kinks for the relu confounder
    return x


CASES = [
    (name, kind, position, confounder)
    for name in sorted(PRIMITIVES)
    for kind in mistakes(name)
    for position in ("end", "middle")
    for confounder in CONFOUNDERS
]
COMBINATIONS = len(CASES)


def test_the_matrix_is_complete() -> None:
    assert len(PRIMITIVES) == 20
    assert sum(len(mistakes(name)) for name in PRIMITIVES) == 47
    assert COMBINATIONS == 47 * 2 * 4 == 376


@pytest.mark.parametrize(("name", "kind", "position", "confounder"), CASES)
def test_a_wrong_vjp_is_caught_and_named(
    name: str, kind: str, position: str, confounder: str
) -> None:
    f = _function(name, confounder, position)
    _passes_or_reports_the_kink(f)  # with vjpgrad's own VJPs
    with override_vjp(name, *mistakes(name)[kind]), pytest.raises(AssertionError) as failure:
        check_grad(f, _x())
    culprit = str(failure.value).splitlines()[-1]
    assert f"VJP of '{name}'" in culprit, str(failure.value)
    assert "at a kink" not in culprit


@pytest.mark.parametrize(
    ("f", "x", "primitive"),
    [
        (lambda x: x.relu().sum(), np.array([-1.0, 0.0, 2.0]), "relu"),
        (lambda x: (x * 2.0).relu().exp().sum(), np.array([[0.0, 0.5], [-0.3, 0.0]]), "relu"),
        (lambda x: x.max(axis=1).sum(), np.array([[1.0, 1.0, 1.0], [0.2, 3.0, 0.5]]), "max"),
        (lambda x: (x.relu() - (-x).relu()).exp().sum(), np.array([0.0, 0.3]), "relu"),
    ],
)
def test_a_correct_vjp_at_a_kink_is_reported_as_a_kink(
    f: Any, x: np.ndarray, primitive: str
) -> None:
    with pytest.raises(AssertionError) as failure:
        check_grad(f, x)
    message = str(failure.value)
    assert f"at a kink: '{primitive}'" in message, message
    assert "disagrees" not in message.splitlines()[-1], message


def test_ties_of_maximum_and_of_two_maxima_agree_with_central_differences() -> None:
    """At a tie the even split is what central differences give, so nothing is
    reported (chapter 4, rem-maximum-ties)."""
    check_grad(lambda x: x.maximum(-x).sum(), np.array([0.0, 1.5, -0.5]))
    check_grad(lambda x: x.maximum(0.0).sum(), np.array([0.0, 1.5]))
    check_grad(lambda x: x.max(axis=1).sum(), np.array([[1.0, 1.0, 0.5], [0.2, 3.0, 3.0]]))


def test_high_curvature_is_not_a_kink() -> None:
    """log at 1e-4 has f'' = -1e8: the one-sided slopes at h = 1e-6 differ by
    about 100, but the gap shrinks with the step; and the central difference's
    truncation error there is corrected by extrapolation.  A wrong log VJP is
    named as wrong (F8), and the right one passes."""
    x = np.array([5e-4, 1e-4])
    check_grad(lambda t: t.log().sum(), x)
    with (
        override_vjp("log", lambda node, g: 2 * g / node.x),
        pytest.raises(AssertionError, match="VJP of 'log' disagrees") as failure,
    ):
        check_grad(lambda t: t.log().sum(), x)
    assert "kink" not in str(failure.value)


def test_eps_reaches_the_node_checks() -> None:
    """Near log's singularity the default step crosses 0; eps=1e-10 does not,
    at the top level and node by node, so a wrong exp after log is named (F7)."""
    x = np.array([1e-7, 2e-7])
    check_grad(lambda t: t.log().sum(), x, eps=1e-10, rtol=1e-4)
    exp = PRIMITIVES["exp"].vjps[0]
    with (
        override_vjp("exp", lambda node, g: 2 * exp(node, g)),
        pytest.raises(AssertionError) as failure,
    ):
        check_grad(lambda t: t.log().exp().sum(), x, eps=1e-10, rtol=1e-4)
    assert "VJP of 'exp' disagrees" in str(failure.value), str(failure.value)


def test_a_vjp_that_forgets_g_at_the_one_element_output_is_caught() -> None:
    """The upstream gradient is random even for a one-element output (F5): a
    user norm whose VJP forgets g is caught and named."""

    class Norm(Node):
        __slots__ = ("x", "out")
        forward = staticmethod(lambda x: np.sqrt((x * x).sum()))

        def save(self, out: Any, x: Any) -> None:
            self.x, self.out = x, out

        vjps = (lambda node, g: node.x / node.out,)  # forgot g

    with pytest.raises(AssertionError, match="VJP of 'norm' disagrees"):
        check_grad(lambda t: apply(Norm, t) * 10.0, np.array([3.0, 4.0]))


def test_an_exception_in_a_vjp_names_the_primitive_and_is_chained() -> None:
    with (
        override_vjp("exp", lambda node, g: g[5]),
        pytest.raises(
            AssertionError, match=r"the VJP of 'exp' for input 0 raised IndexError"
        ) as failure,
    ):
        check_grad(lambda t: t.exp().sum(), np.ones(3))
    assert isinstance(failure.value.__cause__, IndexError)


@pytest.mark.filterwarnings("ignore:invalid value encountered in log")
def test_nan_on_both_sides_is_not_a_mismatch() -> None:
    """x ** y with a negative base: d/dy is NaN, and so is its finite
    difference; nothing can be checked there, and nothing is blamed."""
    check_grad(lambda x, y: (x**y).sum(), np.array([-1.5, 0.5]), np.array([2.0, 3.0]))


def test_a_wrong_vjp_hidden_by_the_function_is_still_caught() -> None:
    """A VJP that reads g only through its mean is right wherever g is constant,
    as after a sum; the node checks use a random g of their own, and catch it."""
    own = PRIMITIVES["exp"].vjps[0]
    with (
        override_vjp("exp", lambda node, g: own(node, np.full(np.shape(g), np.mean(g)))),
        pytest.raises(AssertionError, match="a VJP does not") as failure,
    ):
        check_grad(lambda t: (t.exp() * 1.0).sum(), np.array([0.1, 0.5, 0.9]))
    assert "VJP of 'exp' disagrees" in str(failure.value)
