"""The primitives: each one's forward (NumPy) and its vector-Jacobian product.

Every differentiable operation in vjpgrad is a *primitive*.  A primitive has

* a **forward** function ``out = forward(*inputs, **params)`` working on ndarrays, and
* a **VJP** ``vjp(g, out, *inputs, **params) -> tuple`` which, given the upstream
  gradient ``g = dl/d(out)`` (an ndarray shaped like ``out``), returns one gradient
  ``dl/d(input)`` per input, in input order, each shaped like its input.  A VJP must
  not modify ``g`` in place: the same array may go to other inputs as well.

The reverse pass (``Tensor.backward`` in :mod:`vjpgrad.tensor`) only ever calls these
VJPs, so the derivative of every program is exactly as good as the functions below.
They all live in one registry, :data:`PRIMITIVES`, and sit beside their forward
definitions.

Each built-in primitive also says which values its VJP reads: the inputs, the output,
both, or only their shapes (``add``'s VJP needs no entries at all).  The recorded graph
keeps just those, so memory that nothing else holds is freed during the forward pass.

Binary primitives also register two *single-input* VJPs.  The reverse pass uses them
when only one input needs a gradient (``x * 2.0``, or ``X @ W`` with data ``X``), so it
never computes a gradient the result does not need; the tests check that they agree
with the two-output VJP.

Broadcasting: NumPy silently copies an input along broadcast axes, so the gradient
that arrives for it has the broadcast shape.  The VJP of copying is summing, which is
what :func:`unbroadcast` does; every binary VJP passes its results through it.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

__all__ = [
    "Primitive",
    "PRIMITIVES",
    "register_primitive",
    "override_vjp",
    "unbroadcast",
]


class Primitive:
    """A registered operation: its name, its forward and its VJP.

    ``partials`` (optional, binary primitives) holds one function per input computing
    only that input's gradient, with the same arguments as ``vjp``.  ``max_inputs`` is
    1 or 2.  ``reads_inputs`` and ``reads_output`` say whether the VJP reads the
    entries of the inputs and of the output (if not, the graph keeps only their shapes).
    ``trusted`` is True for the built-in primitives (verified by the test suite); for
    the others the reverse pass checks that the VJP returns one gradient per input,
    shaped like it.
    """

    __slots__ = ("name", "forward", "vjp", "partials", "max_inputs", "reads_inputs",
                 "reads_output", "trusted")

    def __init__(
        self,
        name: str,
        forward: Callable[..., Any],
        vjp: Callable[..., tuple],
        partials: tuple[Callable[..., Any], ...] | None = None,
    ) -> None:
        self.name = name
        self.forward = forward
        self.vjp = vjp
        self.partials = partials
        self.max_inputs = _inputs_taken(vjp)
        self.reads_inputs = self.reads_output = True
        self.trusted = False

    def __repr__(self) -> str:
        return f"Primitive({self.name!r}, vjp={getattr(self.vjp, '__name__', self.vjp)})"

    def __reduce__(self) -> tuple:
        return _registered, (self.name,)  # copies and pickles refer to the registry's entry


def _registered(name: str) -> Primitive:
    return PRIMITIVES[name]


def _inputs_taken(vjp: Callable[..., tuple]) -> int:
    """How many inputs (1 or 2) a VJP ``vjp(g, out, *inputs, **params)`` can take."""
    try:
        parameters = inspect.signature(vjp).parameters.values()
    except (TypeError, ValueError):  # no signature to read (a builtin): allow two
        return 2
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return 2
    required = [p for p in parameters if p.default is p.empty
                and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return 1 if len(required) <= 3 else 2  # g, out, then the inputs


#: The single registry: primitive name -> :class:`Primitive`.
PRIMITIVES: dict[str, Primitive] = {}


def register_primitive(
    name: str,
    forward: Callable[..., Any],
    vjp: Callable[..., tuple],
    partials: tuple[Callable[..., Any], ...] | None = None,
) -> Primitive:
    """Add (or replace) the primitive ``name`` and return it.

    ``forward(*inputs, **params)`` computes the value from one or two inputs
    (ndarrays, or Python numbers for number constants; anything else is a keyword
    parameter); ``vjp(g, out, *inputs, **params)`` receives the inputs as ndarrays and
    returns a tuple with one gradient per input; it receives ``g`` read-only (it must
    not modify it).  The number of inputs, one or two, is read from the VJP's
    positional parameters.  Apply a new primitive to Tensors with
    :func:`vjpgrad.apply`.  Replacing an existing primitive keeps the same
    :class:`Primitive` object, so Tensor methods pick up the change.
    """
    prim = PRIMITIVES.get(name)
    if prim is None:
        prim = PRIMITIVES[name] = Primitive(name, forward, vjp, partials)
    else:
        prim.forward, prim.vjp, prim.partials = forward, vjp, partials
        prim.max_inputs = _inputs_taken(vjp)
    prim.reads_inputs = prim.reads_output = True
    prim.trusted = False
    return prim


def _builtin(name: str, forward: Callable[..., Any], vjp: Callable[..., tuple],
             partials: tuple[Callable[..., Any], ...] | None = None, *,
             reads: str) -> None:
    """Register one of vjpgrad's own primitives (their VJPs are verified by the tests).

    `reads` names the values whose entries the VJP reads: "inputs", "output",
    "inputs and output", or "shapes" (neither).
    """
    if reads not in ("inputs", "output", "inputs and output", "shapes"):
        raise ValueError(f"{name}: reads must be 'inputs', 'output', 'inputs and output' or 'shapes', not {reads!r}")
    prim = register_primitive(name, forward, vjp, partials)
    prim.max_inputs = 2 if partials else 1
    prim.reads_inputs = reads in ("inputs", "inputs and output")
    prim.reads_output = reads in ("output", "inputs and output")
    prim.trusted = True


@contextlib.contextmanager
def override_vjp(name: str, vjp: Callable[..., tuple]) -> Iterator[Primitive]:
    """Temporarily replace the VJP of primitive ``name`` (restored on exit).

    Useful to try out your own VJP, or to see :func:`vjpgrad.check_grad` catch a
    wrong one::

        with override_vjp("multiply", my_multiply_vjp):
            check_grad(lambda x: (x * x).sum(), np.ones(3))
    """
    prim = PRIMITIVES[name]
    saved = prim.vjp, prim.partials, prim.reads_inputs, prim.reads_output, prim.trusted
    prim.vjp, prim.partials, prim.trusted = vjp, None, False  # use `vjp` for every input
    prim.reads_inputs = prim.reads_output = True  # `vjp` may read any value
    try:
        yield prim
    finally:
        prim.vjp, prim.partials, prim.reads_inputs, prim.reads_output, prim.trusted = saved


def unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum g down to `shape`, undoing NumPy broadcasting (the VJP of
    broadcasting)."""
    if g.shape == shape:
        return g  # fast path: nothing was broadcast
    lead = g.ndim - len(shape)  # axes that broadcasting prepended
    stretched = tuple(i + lead for i, n in enumerate(shape)
                      if n == 1 and g.shape[i + lead] != 1)  # size 1 -> more
    summed = g.sum(axis=tuple(range(lead)) + stretched, keepdims=True)
    return summed.reshape(shape)


def _keep_reduced_axes(a: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    """Put back, as size-1 axes, the axes a reduction removed, so `a` broadcasts against its input."""
    return a if keepdims or axis is None else np.expand_dims(a, axis)


# --------------------------------------------------------------------------------------
# Element-wise binary primitives (NumPy broadcasting)
# --------------------------------------------------------------------------------------


def add_vjp(g, out, a, b):
    """d l/da = g,  d l/db = g  (each summed back to its input's shape)."""
    return unbroadcast(g, a.shape), unbroadcast(g, b.shape)


# register: name, forward, VJP, the two single-input VJPs (the same formulas, one
# input at a time) that the reverse pass uses when only one input needs a gradient,
# and which values the VJP reads (add's reads only shapes)
_builtin("add", np.add, add_vjp, (
    lambda g, out, a, b: unbroadcast(g, a.shape),
    lambda g, out, a, b: unbroadcast(g, b.shape),
), reads="shapes")


def subtract_vjp(g, out, a, b):
    """d l/da = g,  d l/db = -g."""
    return unbroadcast(g, a.shape), unbroadcast(-g, b.shape)


_builtin("subtract", np.subtract, subtract_vjp, (
    lambda g, out, a, b: unbroadcast(g, a.shape),
    lambda g, out, a, b: unbroadcast(-g, b.shape),
), reads="shapes")


def multiply_vjp(g, out, a, b):
    """d l/da = g ⊙ b,  d l/db = g ⊙ a."""
    return unbroadcast(g * b, a.shape), unbroadcast(g * a, b.shape)


_builtin("multiply", np.multiply, multiply_vjp, (
    lambda g, out, a, b: unbroadcast(g * b, a.shape),
    lambda g, out, a, b: unbroadcast(g * a, b.shape),
), reads="inputs")


def divide_vjp(g, out, a, b):
    """d l/da = g / b,  d l/db = -g ⊙ a / b² = -g ⊙ out / b."""
    return unbroadcast(g / b, a.shape), unbroadcast(-g * out / b, b.shape)


_builtin("divide", np.divide, divide_vjp, (
    lambda g, out, a, b: unbroadcast(g / b, a.shape),
    lambda g, out, a, b: unbroadcast(-g * out / b, b.shape),
), reads="inputs and output")


def power_vjp(g, out, a, b):
    """d l/da = g ⊙ b a^(b-1),  d l/db = g ⊙ a^b log a  (0 where b = 0, resp. a = 0)."""
    return (unbroadcast(g * b * a ** np.where(b == 0, 1.0, b - 1.0), a.shape),
            unbroadcast(g * out * np.log(np.where(a == 0, 1.0, a)), b.shape))


_builtin("power", np.power, power_vjp, (
    lambda g, out, a, b: unbroadcast(g * b * a ** np.where(b == 0, 1.0, b - 1.0), a.shape),
    lambda g, out, a, b: unbroadcast(g * out * np.log(np.where(a == 0, 1.0, a)), b.shape),
), reads="inputs and output")


def maximum_vjp(g, out, a, b):
    """d l/da = g where a > b, d l/db = g where b > a; ties split g evenly."""
    share = g / (1.0 + (a == b))
    return (unbroadcast(share * (a == out), a.shape),
            unbroadcast(share * (b == out), b.shape))


_builtin("maximum", np.maximum, maximum_vjp, (
    lambda g, out, a, b: unbroadcast(g / (1.0 + (a == b)) * (a == out), a.shape),
    lambda g, out, a, b: unbroadcast(g / (1.0 + (a == b)) * (b == out), b.shape),
), reads="inputs and output")


# --------------------------------------------------------------------------------------
# Matrix product (np.matmul semantics: 1-D operands and broadcast batch axes)
# --------------------------------------------------------------------------------------


def matmul_vjp(g, out, a, b):
    """d l/dA = G Bᵀ,  d l/dB = Aᵀ G  (a 1-D a is a row, a 1-D b a column)."""
    A, B, G = a, b, g
    if b.ndim == 1:  # A @ b: b is a column, so G gains a last axis of size 1
        B, G = b[:, None], G[..., None]
    if a.ndim == 1:  # a @ B: a is a row, so G gains a row axis of size 1
        A, G = a[None, :], G[..., None, :]
    dA = unbroadcast(G @ B.swapaxes(-1, -2), A.shape).reshape(a.shape)
    dB = unbroadcast(A.swapaxes(-1, -2) @ G, B.shape).reshape(b.shape)
    return dA, dB


def _as_matrices(g, a, b):
    """View 1-D operands as a 1-row (a) / 1-column (b) matrix and give G the matching axes."""
    if b.ndim == 1:
        b, g = b[:, None], g[..., None]
    if a.ndim == 1:
        a, g = a[None, :], g[..., None, :]
    return g, a, b


def _matmul_vjp_a(g, out, a, b):
    """Only d l/dA = G Bᵀ (when B needs no gradient)."""
    G, A, B = _as_matrices(g, a, b)
    return unbroadcast(G @ B.swapaxes(-1, -2), A.shape).reshape(a.shape)


def _matmul_vjp_b(g, out, a, b):
    """Only d l/dB = Aᵀ G (when A needs no gradient, e.g. data)."""
    G, A, B = _as_matrices(g, a, b)
    return unbroadcast(A.swapaxes(-1, -2) @ G, B.shape).reshape(b.shape)


_builtin("matmul", np.matmul, matmul_vjp, (_matmul_vjp_a, _matmul_vjp_b), reads="inputs")


# --------------------------------------------------------------------------------------
# Element-wise unary primitives
# --------------------------------------------------------------------------------------


def negative_vjp(g, out, x):
    """d l/dx = -g."""
    return (-g,)


_builtin("negative", np.negative, negative_vjp, reads="shapes")


def exp_vjp(g, out, x):
    """d l/dx = g ⊙ exp(x) = g ⊙ out."""
    return (g * out,)


_builtin("exp", np.exp, exp_vjp, reads="output")


def log_vjp(g, out, x):
    """d l/dx = g / x."""
    return (g / x,)


_builtin("log", np.log, log_vjp, reads="inputs")


def tanh_vjp(g, out, x):
    """d l/dx = g ⊙ (1 - tanh(x)²) = g ⊙ (1 - out²)."""
    return (g * (1.0 - out * out),)


_builtin("tanh", np.tanh, tanh_vjp, reads="output")


def sigmoid(x):
    """σ(x) = 1 / (1 + e^-x), computed as exp(-log(1 + e^-x)) so it never overflows."""
    return np.exp(-np.logaddexp(0.0, -x))


def sigmoid_vjp(g, out, x):
    """d l/dx = g ⊙ σ(x) (1 - σ(x)) = g ⊙ out (1 - out)."""
    return (g * out * (1.0 - out),)


_builtin("sigmoid", sigmoid, sigmoid_vjp, reads="output")


def relu(x):
    """relu(x) = max(x, 0)."""
    return np.maximum(x, 0.0)


def relu_vjp(g, out, x):
    """d l/dx = g where x > 0 (that is, where out > 0), else 0; relu'(0) = 0."""
    return (g * (out > 0),)


_builtin("relu", relu, relu_vjp, reads="output")


# --------------------------------------------------------------------------------------
# Reductions (axis = None, an int, a negative int or a tuple; keepdims as in NumPy)
# --------------------------------------------------------------------------------------


def _sum(x, axis=None, keepdims=False):
    return x.sum(axis=axis, keepdims=keepdims)


def sum_vjp(g, out, x, axis=None, keepdims=False):
    """d l/dx = g copied back along the summed axes."""
    return (np.broadcast_to(_keep_reduced_axes(g, axis, keepdims), x.shape),)


_builtin("sum", _sum, sum_vjp, reads="shapes")


def _mean(x, axis=None, keepdims=False):
    return x.mean(axis=axis, keepdims=keepdims)


def mean_vjp(g, out, x, axis=None, keepdims=False):
    """d l/dx = g / n copied back along the averaged axes (n entries per mean)."""
    n = x.size / max(out.size, 1)
    return (np.broadcast_to(_keep_reduced_axes(g, axis, keepdims) / n, x.shape),)


_builtin("mean", _mean, mean_vjp, reads="shapes")


def _max(x, axis=None, keepdims=False):
    return x.max(axis=axis, keepdims=keepdims)


def max_vjp(g, out, x, axis=None, keepdims=False):
    """d l/dx = g at the entries equal to the max (ties share g evenly), 0 elsewhere."""
    at_max = x == _keep_reduced_axes(out, axis, keepdims)
    return (_keep_reduced_axes(g, axis, keepdims) * at_max / at_max.sum(axis=axis, keepdims=True),)


_builtin("max", _max, max_vjp, reads="inputs and output")


def logsumexp(x, axis=None, keepdims=False):
    """log Σ exp(x) along `axis`, computed stably as m + log Σ exp(x - m) with m = max x."""
    m = x.max(axis=axis, keepdims=True, initial=-np.inf)  # -inf for an empty axis
    m = np.where(np.isfinite(m), m, 0.0)  # all -inf (or an inf) along the axis: no shift
    with np.errstate(divide="ignore"):  # log 0 = -inf: every entry -inf, or none
        out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def logsumexp_vjp(g, out, x, axis=None, keepdims=False):
    """d l/dx = g ⊙ softmax(x) = g ⊙ exp(x - out), copied back along `axis`."""
    g, out = _keep_reduced_axes(g, axis, keepdims), _keep_reduced_axes(out, axis, keepdims)
    return (g * np.exp(x - out),)


_builtin("logsumexp", logsumexp, logsumexp_vjp, reads="inputs and output")


# --------------------------------------------------------------------------------------
# Shape and indexing primitives
# --------------------------------------------------------------------------------------


def reshape_vjp(g, out, x, shape=None):
    """d l/dx = g reshaped back to x's shape."""
    return (g.reshape(x.shape),)


_builtin("reshape", lambda x, shape: np.reshape(x, shape), reshape_vjp, reads="shapes")


def transpose_vjp(g, out, x, axes=None):
    """d l/dx = g transposed by the inverse permutation (argsort of `axes`)."""
    return (g.transpose(None if axes is None else np.argsort(np.mod(axes, x.ndim))),)


_builtin("transpose", lambda x, axes=None: np.transpose(x, axes), transpose_vjp, reads="shapes")


def getitem_vjp(g, out, x, index=None):
    """d l/dx = g scattered into zeros at x[index]; repeated indices add up."""
    dx = np.zeros_like(x)
    np.add.at(dx, index, g)
    return (dx,)


_builtin("getitem", lambda x, index: x[index], getitem_vjp, reads="shapes")
