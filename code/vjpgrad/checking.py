"""Numerical checking of gradients by central finite differences (in float64).

:func:`numerical_jacobian` is the reference.  :func:`check_grad` compares a
function's gradient with it, and checks every recorded node's VJPs on their
own, each with a random upstream gradient, to name the primitive whose VJP is
wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
    f: Callable[[np.ndarray], Any], x: np.ndarray, h: float, entries: Any
) -> Iterator[tuple[int, np.ndarray, np.ndarray, float, float]]:
    """For each flat index j in `entries`: (j, f(x + h_j e_j), f(x - h_j e_j),
    the steps up and down as float64 represents them), with
    ``h_j = h · max(1, |x_j|)``.  `x` is a C-ordered float64 array (so that
    reshape(-1) is a view of it); it is perturbed in place and restored."""
    flat = x.reshape(-1)
    for j in entries:
        xj = flat[j]
        step = h * max(1.0, abs(xj))
        flat[j] = up_x = xj + step
        up = _as_values(f(x.copy()))
        flat[j] = down_x = xj - step
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
    x = np.array(x, dtype=np.float64, order="C")  # a copy we may perturb
    y = _as_values(f(x.copy()))
    jac = np.empty((y.size, x.size))
    for j, up, down, step_up, step_down in _nudged(f, x, eps, range(x.size)):
        jac[:, j] = ((up - down) / (step_up + step_down)).reshape(-1)
    return jac.reshape(y.shape + x.shape)


def _at_kink(
    f: Callable[[np.ndarray], float], x: np.ndarray, j: int, eps: float
) -> bool:
    """Whether f has a kink at entry j of x: its one-sided slopes differ by a
    gap that does not shrink with the step.

    The gap between the slopes to the right and to the left, at step h, is
    the second difference (f(x + h) - 2 f(x) + f(x - h)) / h.  Where f is
    smooth it is about h f''(x), so a quarter of the step leaves a quarter of
    the gap, however large the curvature; at a kink it tends to the jump of
    the derivative.  So: a kink where the gap at h/4 keeps more than half of
    the gap at h, and that gap is well above round-off."""
    x = np.array(x, dtype=np.float64, order="C")
    f0 = float(f(x.copy()))
    gaps = []
    for h in (eps, eps / 4):
        ((_, up, down, step_up, step_down),) = _nudged(f, x, h, [j])
        gaps.append(float((up - f0) / step_up - (f0 - down) / step_down))
    # the round-off in the gap at step h: a few ulps of f, divided by h
    noise = (
        4
        * np.finfo(float).eps
        * (1.0 + abs(f0))
        / (eps * max(1.0, abs(x.flat[j])))
    )
    return abs(gaps[0]) > 16 * noise and abs(gaps[1]) > 0.5 * abs(gaps[0])


def _richardson(
    f: Callable[[np.ndarray], float], x: np.ndarray, j: int, eps: float
) -> float:
    """The derivative of f along entry j of x by central differences at steps
    h and h/4, combined so that their h² error terms cancel (Richardson
    extrapolation): accurate where the curvature is too high for step h."""
    d = []
    for h in (eps, eps / 4):
        ((_, up, down, step_up, step_down),) = _nudged(f, x.copy(), h, [j])
        d.append(float((up - down) / (step_up + step_down)))
    return (16 * d[1] - d[0]) / 15


def _compare(
    exact: np.ndarray,
    approx: np.ndarray,
    along: Callable[[np.ndarray], float],
    x: np.ndarray,
    eps: float,
    atol: float,
    rtol: float,
) -> tuple[str, str]:
    """Compare a gradient with its finite differences `approx` (of the
    function `along`, at `x`): ("ok", ""), ("kink", "") when every entry that
    disagrees is at a kink, or ("wrong", the size of the error).

    An entry that disagrees is compared again with a more accurate finite
    difference (`_richardson`), so that high curvature is not taken for a
    wrong gradient.  Entries whose finite difference is NaN (the function is
    undefined next to the point, or NaN there) cannot be checked."""
    if exact.shape != approx.shape:
        return "wrong", f"shape {exact.shape} instead of {approx.shape}"
    approx = approx.copy()
    x = np.array(x, dtype=np.float64, order="C")
    for j in np.flatnonzero(~_close(exact, approx, atol, rtol)):
        approx.flat[j] = _richardson(along, x, int(j), eps)
    bad = ~_close(exact, approx, atol, rtol) & ~np.isnan(approx)
    if not bad.any():
        return "ok", ""
    if all(_at_kink(along, x, int(j), eps) for j in np.flatnonzero(bad)):
        return "kink", ""
    err = np.abs(exact - approx)[bad]
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(approx[bad] != 0, err / np.abs(approx[bad]), np.inf)
    return "wrong", (
        f"max abs error {np.max(err):.3g}, max rel error {np.max(rel):.3g}"
    )


def _close(
    exact: np.ndarray, approx: np.ndarray, atol: float, rtol: float
) -> np.ndarray:
    """Where exact is within atol + rtol |approx| of approx."""
    return np.abs(exact - approx) <= atol + rtol * np.abs(approx)


def _check_node(
    node: Node, g: np.ndarray, eps: float, atol: float, rtol: float
) -> tuple[str, str]:
    """Check the VJPs that `node` recorded against finite differences of its
    forward, at the values it was recorded with and upstream gradient g, for
    each input that needs a gradient: ("ok", ""), or the first problem as
    (kind, message), kind "kink" or "wrong".  The node must keep its values
    (be recorded inside `keep_values()`)."""
    assert node.values is not None
    op, (_, inputs, params) = type(node), node.values
    args = [np.array(a, dtype=np.float64) for a in inputs]
    where = f"input shapes {', '.join(str(a.shape) for a in args)}"
    for k, (parent, vjp) in enumerate(zip(node.parents, node.vjps)):
        if parent is None:  # an input that needs no gradient
            continue
        try:
            got = unbroadcast(np.asarray(vjp(node, g)), args[k].shape)
        except Exception as error:
            raise AssertionError(
                f"the VJP of {op.name!r} for input {k} raised "
                f"{type(error).__name__}: {error} ({where})"
            ) from error

        def along_input(z: np.ndarray, k: int = k) -> float:
            zs = list(args)
            zs[k] = z
            return float(np.sum(g * op.forward(*zs, **params)))

        with np.errstate(all="ignore"):  # NaN where the forward is undefined
            approx = numerical_jacobian(along_input, args[k], eps)
            # atol is for gradients of size about 1: scaled to this one's
            scale = min(1.0, float(np.nanmax(np.abs(approx), initial=0.0)))
            kind, detail = _compare(
                np.asarray(got, dtype=np.float64),
                approx,
                along_input,
                args[k],
                eps,
                atol * scale if scale > 0 else atol,
                rtol,
            )
        if kind == "kink":
            return kind, (
                f"at a kink: {op.name!r} is not differentiable at its input "
                f"{k} here ({where}): its one-sided slopes differ by a jump "
                "that does not shrink with the step, so no gradient is right; "
                "its VJP follows a convention there (e.g. relu'(0) = 0). "
                "Check at a point away from kinks"
            )
        if kind == "wrong":
            return kind, (
                f"VJP of {op.name!r} disagrees with finite differences at a "
                f"random upstream gradient: {detail} for input {k} of "
                f"{len(args)} ({where})"
            )
    return "ok", ""


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
    ``f``).  With a random upstream gradient ``v`` (drawn with ``seed``), the
    gradient of ``vᵀ f`` is compared with central differences (step scale
    ``eps``; an entry passes within ``atol + rtol |difference|``, and one
    whose finite difference is NaN is not checked).  Then every
    node of the recorded graph is checked on its own, at the values it
    received and with a random upstream gradient of its own, so that a VJP
    that mishandles ``g`` is found wherever it sits.

    Raises AssertionError when the gradient disagrees or a node's VJP does:
    it gives the largest errors and names the first primitive (from the
    inputs) whose VJP disagrees, or, when none does, the primitive found at a
    kink (a point where its one-sided slopes differ, e.g. relu at 0, told
    from a point of high curvature by how the gap between the slopes changes
    with the step).  An exception in a VJP becomes an AssertionError naming
    it.  Tensors that ``f`` uses from outside keep their ``.grad``.
    """
    xs = [
        np.array(x.value if isinstance(x, Tensor) else x, dtype=np.float64)
        for x in inputs
    ]
    rng = np.random.default_rng(seed)
    with enable_grad(), keep_values():  # nodes keep their values, to check
        ts = [Tensor(x) for x in xs]
        out = f(*ts)
    if not isinstance(out, Tensor):
        raise TypeError(f"f must return a Tensor, got {type(out).__name__}")
    v = rng.standard_normal(out.shape)  # random, also for one element
    nodes = [] if out.node is None else topological_order(out.node)[::-1]
    node_gs = [rng.standard_normal(node.shape) for node in nodes]
    try:
        if out.requires_grad:
            out.backward(v, inputs=ts)
    except Exception as error:  # a VJP that breaks the reverse pass
        _check_nodes(nodes, node_gs, eps, atol, rtol)  # names it, if it can
        raise AssertionError(f"the reverse pass raised: {error}") from error
    summary = _check_function(f, xs, ts, v, eps, atol, rtol)
    culprit, kink = _check_nodes(nodes, node_gs, eps, atol, rtol)
    if culprit and not summary:
        summary = (
            "the gradient of f agrees with finite differences here, but a "
            "VJP does not (it is wrong in a way this function does not show)"
        )
    if summary:
        reason = (
            culprit
            or kink
            or (
                "every primitive's VJP agrees with finite differences at its "
                "inputs; the function may be non-differentiable here, or "
                "compute outside the graph (with .value)"
            )
        )
        raise AssertionError(f"{summary}\n{reason}")


def _check_function(
    f: Callable[..., Tensor],
    xs: list[np.ndarray],
    ts: list[Tensor],
    v: np.ndarray,
    eps: float,
    atol: float,
    rtol: float,
) -> str:
    """The gradient of vᵀ f against central differences: a summary of the
    failure, or "" when every input agrees (or is NaN on both sides)."""
    failures = []
    for i, (x, t) in enumerate(zip(xs, ts)):

        def projected(z: np.ndarray, i: int = i) -> float:
            zs = [Tensor(a, requires_grad=False) for a in xs]
            zs[i] = Tensor(z, requires_grad=False)
            with no_grad():
                return float(np.sum(v * _as_values(f(*zs))))

        analytic = t.grad if t.grad is not None else np.zeros_like(x)
        with np.errstate(all="ignore"):
            approx = numerical_jacobian(projected, x, eps)
            kind, detail = _compare(
                analytic, approx, projected, x, eps, atol, rtol
            )
        if kind in ("wrong", "kink"):
            failures.append(f"input {i}: " + (detail or "at a kink"))
    if not failures:
        return ""
    return (
        f"gradient check failed (atol={atol}, rtol={rtol}, a random upstream "
        f"gradient): {'; '.join(failures)}"
    )


def _check_nodes(
    nodes: list[Node],
    gs: list[np.ndarray],
    eps: float,
    atol: float,
    rtol: float,
) -> tuple[str, str]:
    """(the message of the first node from the inputs whose VJP is wrong, the
    message of the first node at a kink), each "" when there is none."""
    kink = ""
    for node, g in zip(nodes, gs):
        if node.values is None:  # recorded outside check_grad: a Tensor that
            continue  # f uses from outside, with no values to check it at
        kind, message = _check_node(node, g, eps, atol, rtol)
        if kind == "wrong":
            return message, kink
        if kind == "kink" and not kink:
            kink = message
    return "", kink
