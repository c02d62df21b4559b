"""Numerical checking of gradients by central finite differences (in float64).

:func:`numerical_jacobian` is the reference; :func:`check_grad` compares a
function's reverse-mode gradient with it and, when they disagree, checks the
recorded graph node by node to name the first primitive whose VJP is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .backward import topological_order
from .graph import Node, enable_grad, keep_values, no_grad
from .primitives import unbroadcast
from .tensor import Tensor

__all__ = ["numerical_jacobian", "check_grad"]


def _as_values(y: Any) -> np.ndarray:
    return np.asarray(
        y.value if isinstance(y, Tensor) else y, dtype=np.float64
    )


def _nudged(
    f: Callable[[np.ndarray], Any], x: np.ndarray, eps: float, entries: Any
) -> Any:
    """For each flat index j in `entries`: (j, f(x + h e_j), f(x - h e_j), the
    steps up and down as float64 represents them), with
    ``h = eps · max(1, |x_j|)``.  `x` is a float64 array; it is perturbed in
    place and restored."""
    flat = x.reshape(-1)
    for j in entries:
        xj = flat[j]
        h = eps * max(1.0, abs(xj))
        flat[j] = up_x = xj + h
        up = _as_values(f(x.copy()))
        flat[j] = down_x = xj - h
        down = _as_values(f(x.copy()))
        flat[j] = xj
        yield j, up, down, up_x - xj, xj - down_x


def numerical_jacobian(
    f: Callable[[np.ndarray], Any], x: Any, eps: float = 1e-6
) -> np.ndarray:
    """Jacobian of ``f`` at ``x`` by central differences.

    Its shape is ``f(x).shape + x.shape``.
    ``J[i, j] = (f(x + h e_j) - f(x - h e_j))_i / (2h)`` with
    ``h = eps · max(1, |x_j|)``, evaluated in float64: the error is O(h²) plus
    rounding of O(1e-16 / h), about 1e-10 for the default ``eps``.  ``f``
    takes an ndarray and returns an array (a Tensor result is unwrapped).
    """
    x = np.array(x, dtype=np.float64)  # a float64 copy we may perturb
    y = _as_values(f(x.copy()))
    jac = np.empty((y.size, x.size))
    for j, up, down, step_up, step_down in _nudged(f, x, eps, range(x.size)):
        jac[:, j] = ((up - down) / (step_up + step_down)).reshape(-1)
    return jac.reshape(y.shape + x.shape)


def _failing(
    approx: np.ndarray, exact: np.ndarray, atol: float, rtol: float
) -> np.ndarray:
    """Where approx and exact differ by more than atol + rtol |exact|."""
    return ~(np.abs(approx - exact) <= atol + rtol * np.abs(exact))


def _errors(
    approx: np.ndarray, exact: np.ndarray, atol: float, rtol: float
) -> tuple[float, float]:
    """Largest absolute error and largest relative error |a - e| / |e| over
    the entries that fail the tolerance (an entry within tolerance says nothing
    about the failure)."""
    bad = _failing(approx, exact, atol, rtol)
    if not bad.any():
        return 0.0, 0.0
    err = np.abs(approx - exact)[bad]
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(exact[bad] != 0, err / np.abs(exact[bad]), np.inf)
    return float(np.max(err)), float(np.max(rel))


def _close(
    approx: np.ndarray, exact: np.ndarray, atol: float, rtol: float
) -> bool:
    return (
        approx.shape == exact.shape
        and not _failing(approx, exact, atol, rtol).any()
    )


def _at_kink(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    where: np.ndarray,
    eps: float,
) -> bool:
    """Whether f's one-sided derivatives differ at some entry of x marked in
    `where`: f has a kink there, so no gradient (and no finite difference) is
    right."""
    x = np.array(x, dtype=np.float64)
    f0 = f(x.copy())
    for _, up, down, step_up, step_down in _nudged(
        f, x, eps, np.flatnonzero(where)
    ):
        right, left = (up - f0) / step_up, (f0 - down) / step_down
        if abs(right - left) > 1e-3 * (1.0 + max(abs(right), abs(left))):
            return True
    return False


def _check_node(
    node: Node, rng: np.random.Generator, atol: float, rtol: float
) -> str | None:
    """Compare the VJPs that `node` recorded with finite differences of its
    forward, at the values it was recorded with; a message if they differ
    (starting "at a kink" when the forward has no derivative there).  The node
    must keep its values (record the graph inside `keep_values()`)."""
    assert node.values is not None
    op, (_, inputs, params) = type(node), node.values
    args = [np.array(a, dtype=np.float64) for a in inputs]
    out = np.asarray(op.forward(*args, **params), dtype=np.float64)
    g = rng.standard_normal(out.shape)
    where = f"at input shapes {', '.join(str(a.shape) for a in args)}"
    for k, (parent, vjp) in enumerate(zip(node.parents, node.vjps)):
        if parent is None:  # an input that needs no gradient
            continue
        a = args[k]
        try:
            gk = np.asarray(
                unbroadcast(np.asarray(vjp(node, g)), a.shape),
                dtype=np.float64,
            )
        except Exception as exc:
            # a broken VJP is exactly what we are looking for
            return (
                f"VJP of {op.name!r} for input {k} raised "
                f"{type(exc).__name__}: {exc} ({where})"
            )

        def along_input(z: np.ndarray, k: int = k) -> float:
            zs = list(args)
            zs[k] = z
            return float(np.sum(g * op.forward(*zs, **params)))

        num = numerical_jacobian(along_input, a)
        if not _close(gk, num, atol, rtol):
            if _at_kink(along_input, a, _failing(gk, num, atol, rtol), 1e-6):
                return (
                    f"at a kink: {op.name!r} is not differentiable at its "
                    f"input {k} here (one-sided differences differ) "
                    f"({where}); its VJP follows a convention there "
                    "(e.g. relu'(0) = 0): check at a point away from kinks"
                )
            abs_err, rel_err = _errors(gk, num, atol, rtol)
            return (
                f"VJP of {op.name!r} disagrees with finite differences: "
                f"max abs error {abs_err:.3g}, max rel error {rel_err:.3g} "
                f"for input {k} of {len(args)} ({where})"
            )
    return None


def check_grad(
    f: Callable[..., Tensor],
    *inputs: Any,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    eps: float = 1e-6,
    seed: int = 0,
) -> None:
    """Check the gradient of ``f`` at ``inputs`` against central differences.

    ``f`` maps Tensors to a Tensor; ``inputs`` are arrays (converted to
    float64), each differentiated (pass constants such as integer labels inside
    ``f``).  For a non-scalar output a random upstream vector ``v`` is used
    (checking ``vᵀJ``).  Raises AssertionError giving the largest absolute and
    relative error and naming the first primitive in the graph whose VJP
    disagrees with finite differences.  Tensors that ``f`` uses from outside
    keep their ``.grad``.
    """
    xs = [
        np.array(x.value if isinstance(x, Tensor) else x, dtype=np.float64)
        for x in inputs
    ]
    rng = np.random.default_rng(seed)
    # every node keeps its inputs, for _check_node
    with enable_grad(), keep_values():
        ts = [Tensor(x) for x in xs]
        out = f(*ts)
    if not isinstance(out, Tensor):
        raise TypeError(f"f must return a Tensor, got {type(out).__name__}")
    v = np.ones(out.shape) if out.size == 1 else rng.standard_normal(out.shape)
    if out.requires_grad:
        try:
            out.backward(v, inputs=ts)
        except (ValueError, TypeError) as error:
            # a VJP that breaks the reverse pass
            _fail(out, rng, atol, rtol, f"the reverse pass failed: {error}")
    analytic = [
        t.grad if t.grad is not None else np.zeros_like(t.value) for t in ts
    ]

    failures = []
    for i, x in enumerate(xs):

        def projected(z: np.ndarray, i: int = i) -> float:
            zs = list(xs)
            zs[i] = z
            with no_grad():
                return float(
                    np.sum(
                        v
                        * _as_values(
                            f(*[Tensor(a, requires_grad=False) for a in zs])
                        )
                    )
                )

        num = numerical_jacobian(projected, x, eps)
        if not _close(analytic[i], num, atol, rtol):
            failures.append((i, *_errors(analytic[i], num, atol, rtol)))
    if failures:
        abs_err = max(e[1] for e in failures)
        rel_err = max(e[2] for e in failures)
        _fail(
            out,
            rng,
            atol,
            rtol,
            f"gradient check failed for input(s) {[e[0] for e in failures]}: "
            f"max abs error {abs_err:.3g}, max rel error {rel_err:.3g} "
            f"(atol={atol}, rtol={rtol})",
        )


def _fail(
    out: Tensor,
    rng: np.random.Generator,
    atol: float,
    rtol: float,
    summary: str,
) -> None:
    """Raise AssertionError: the summary, then the first primitive of out's
    graph whose VJP disagrees with finite differences (one at a kink only if no
    VJP is wrong)."""
    culprit = kink = None
    nodes = topological_order(out.node) if out.node is not None else []
    for node in reversed(nodes):  # inputs first
        # recorded outside check_grad (a Tensor that f uses from outside): no
        # values to check it at
        if node.values is None:
            continue
        message = _check_node(node, rng, atol, rtol)
        if message and message.startswith("at a kink"):
            kink = kink or message
        elif message:
            culprit = message
            break
    reason = (
        culprit
        or kink
        or (
            "every primitive's VJP agrees with finite differences at its "
            "inputs; the function may be non-differentiable here (a kink or "
            "tie), or compute outside the graph (.value)"
        )
    )
    raise AssertionError(f"{summary}\n{reason}")
