"""Composite functions against HIPS autograd (from PyPI), an independent oracle, to 1e-8.

Each loss is written twice, once with vjpgrad Tensors and once with autograd.numpy,
and the gradients with respect to every parameter must agree to 1e-8 relative.
"""

from __future__ import annotations

import os

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad as agrad
from hypothesis import given, settings
from hypothesis import strategies as st

from vjpgrad import Tensor, grad

RTOL, ATOL = 1e-8, 1e-12


def alogsumexp(z, axis):
    """log-sum-exp in autograd.numpy (autograd.scipy would need SciPy), shifted by the max."""
    m = anp.max(z, axis=axis, keepdims=True)
    return anp.squeeze(m, axis) + anp.log(anp.sum(anp.exp(z - m), axis=axis))


SETTINGS = settings(max_examples=int(os.environ.get("VJPGRAD_EXAMPLES", 15)), deadline=None)


def assert_same_gradients(ours, theirs, params: list[np.ndarray], *data) -> None:
    """Gradients w.r.t. each of `params` (arguments 0..n-1) from vjpgrad and autograd."""
    n = len(params)
    for i in range(n):
        g_ours = grad(ours, argnum=i)(*params, *data)
        g_theirs = agrad(theirs, argnum=i)(*params, *data)
        np.testing.assert_allclose(g_ours, g_theirs, rtol=RTOL, atol=ATOL, err_msg=f"parameter {i}")


# ---- softmax cross-entropy ------------------------------------------------------------


def xent_vjpgrad(W: Tensor, b: Tensor, X: Tensor, y: np.ndarray) -> Tensor:
    logits = X @ W + b
    return (logits.logsumexp(axis=1) - logits[np.arange(len(y)), y]).mean()


def xent_autograd(W, b, X, y):
    logits = anp.dot(X, W) + b
    return anp.mean(alogsumexp(logits, axis=1) - logits[anp.arange(len(y)), y])


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12), d=st.integers(1, 6), c=st.integers(2, 5)
)
def test_softmax_cross_entropy(seed: int, n: int, d: int, c: int) -> None:
    rng = np.random.default_rng(seed)
    W, b = rng.standard_normal((d, c)), rng.standard_normal(c)
    X, y = rng.standard_normal((n, d)) * 3, rng.integers(0, c, n)
    assert_same_gradients(xent_vjpgrad, xent_autograd, [W, b], X, y)


def test_softmax_cross_entropy_with_large_logits() -> None:
    rng = np.random.default_rng(5)
    W, b = rng.standard_normal((4, 3)) * 300, rng.standard_normal(3)
    X, y = rng.standard_normal((6, 4)), rng.integers(0, 3, 6)
    assert_same_gradients(xent_vjpgrad, xent_autograd, [W, b], X, y)


def test_softmax_written_with_exp_and_max() -> None:
    def ours(z: Tensor) -> Tensor:
        e = (z - z.max(axis=-1, keepdims=True)).exp()
        p = e / e.sum(axis=-1, keepdims=True)
        return (p * np.arange(12.0).reshape(3, 4)).sum()

    def theirs(z):
        e = anp.exp(z - anp.max(z, axis=-1, keepdims=True))
        p = e / anp.sum(e, axis=-1, keepdims=True)
        return anp.sum(p * np.arange(12.0).reshape(3, 4))

    z = np.random.default_rng(2).standard_normal((3, 4))
    assert_same_gradients(ours, theirs, [z])


# ---- a multilayer perceptron ----------------------------------------------------------


def mlp_vjpgrad(W1, b1, W2, b2, W3, b3, X, y):
    h1 = (X @ W1 + b1).relu()
    h2 = (h1 @ W2 + b2).tanh()
    logits = h2 @ W3 + b3
    data = (logits.logsumexp(axis=1) - logits[np.arange(len(y)), y]).mean()
    return data + 1e-3 * ((W1**2).sum() + (W2 * W2).sum() + (W3**2).sum())


def mlp_autograd(W1, b1, W2, b2, W3, b3, X, y):
    h1 = anp.maximum(anp.dot(X, W1) + b1, 0.0)
    h2 = anp.tanh(anp.dot(h1, W2) + b2)
    logits = anp.dot(h2, W3) + b3
    data = anp.mean(alogsumexp(logits, axis=1) - logits[anp.arange(len(y)), y])
    return data + 1e-3 * (anp.sum(W1**2) + anp.sum(W2 * W2) + anp.sum(W3**2))


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 10))
def test_mlp_loss(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    sizes = [5, 8, 6, 3]
    params = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        params += [rng.standard_normal((a, b)) / np.sqrt(a), rng.standard_normal(b) * 0.1]
    X, y = rng.standard_normal((n, sizes[0])), rng.integers(0, sizes[-1], n)
    assert_same_gradients(mlp_vjpgrad, mlp_autograd, params, X, y)


def test_binary_mlp_with_sigmoid() -> None:
    def ours(W1, w2, X, t):
        p = ((X @ W1).tanh() @ w2).sigmoid()
        return -(t * p.log() + (1.0 - t) * (1.0 - p).log()).mean()

    def theirs(W1, w2, X, t):
        p = 1.0 / (1.0 + anp.exp(-anp.dot(anp.tanh(anp.dot(X, W1)), w2)))
        return -anp.mean(t * anp.log(p) + (1.0 - t) * anp.log(1.0 - p))

    rng = np.random.default_rng(11)
    W1, w2 = rng.standard_normal((3, 4)), rng.standard_normal(4)
    X, t = rng.standard_normal((7, 3)), (rng.random(7) > 0.5).astype(float)
    assert_same_gradients(ours, theirs, [W1, w2], X, t)


# ---- ridge regression -----------------------------------------------------------------


def ridge_vjpgrad(w, X, y, lam):
    r = X @ w - y
    return r @ r + lam * (w @ w)


def ridge_autograd(w, X, y, lam):
    r = anp.dot(X, w) - y
    return anp.dot(r, r) + lam * anp.dot(w, w)


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 15),
    d=st.integers(1, 6),
    lam=st.floats(0.0, 10.0),
)
def test_ridge_loss(seed: int, n: int, d: int, lam: float) -> None:
    rng = np.random.default_rng(seed)
    w, X, y = rng.standard_normal(d), rng.standard_normal((n, d)), rng.standard_normal(n)
    assert_same_gradients(ridge_vjpgrad, ridge_autograd, [w], X, y, lam)
    # and the closed form: 2 Xᵀ(Xw - y) + 2 λ w
    np.testing.assert_allclose(
        grad(ridge_vjpgrad)(w, X, y, lam),
        2 * X.T @ (X @ w - y) + 2 * lam * w,
        rtol=RTOL,
        atol=1e-10,
    )


def test_ridge_minimiser_has_zero_gradient() -> None:
    rng = np.random.default_rng(3)
    X, y, lam = rng.standard_normal((20, 4)), rng.standard_normal(20), 0.7
    w_star = np.linalg.solve(X.T @ X + lam * np.eye(4), X.T @ y)
    assert np.max(np.abs(grad(ridge_vjpgrad)(w_star, X, y, lam))) < 1e-12


@pytest.mark.parametrize("reduction", ["sum", "mean", "max"])
def test_reductions_with_broadcasting(reduction: str) -> None:
    def ours(a, b):
        return getattr((a * b + a / (b * b + 1.0)), reduction)(axis=(0, 2)).exp().sum()

    def theirs(a, b):
        return anp.sum(anp.exp(getattr(anp, reduction)(a * b + a / (b * b + 1.0), axis=(0, 2))))

    rng = np.random.default_rng(4)
    assert_same_gradients(
        ours, theirs, [rng.standard_normal((2, 1, 4)), rng.standard_normal((3, 1))]
    )
