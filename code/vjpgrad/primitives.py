"""The primitives: each one's forward (NumPy) and its vector-Jacobian products.

A primitive is a subclass of :class:`~vjpgrad.graph.Node`, written in three
parts:

* ``forward``, the NumPy function that computes the output from the inputs;
* ``save(self, out, *inputs, **params)``, which keeps on the node the values
  that the VJPs read (``exp`` keeps its output, ``add`` nothing);
* ``vjps``, one VJP per input: ``vjp(node, g)`` turns the upstream gradient
  ``g = dl/d(out)`` into that input's gradient ``dl/d(input)``.

A VJP can only read what ``save`` kept, so the graph holds exactly what the
reverse pass needs.  It may return its gradient in the shape of ``g`` when
NumPy broadcast the input: the reverse pass sums every gradient back to its
input's shape with :func:`unbroadcast`, the VJP of broadcasting.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .graph import Node

__all__ = ["PRIMITIVES", "unbroadcast", "builtin"]

#: The registry: primitive name -> its Node subclass.
PRIMITIVES: dict[str, type[Node]] = {}


def builtin(primitive: type[Node]) -> type[Node]:
    """Class decorator: register one of vjpgrad's own primitives in
    PRIMITIVES, under its name (its VJPs are verified by the test suite)."""
    PRIMITIVES[primitive.name] = primitive
    return primitive


def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum g down to `shape`: the VJP of broadcasting that shape to g's."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)  # axes that broadcasting put in front
    if lead < 0 or any(n not in (1, m) for n, m in zip(shape, g.shape[lead:])):
        raise ValueError(
            f"a gradient of shape {g.shape} cannot be summed to shape {shape}"
        )
    # the axes of size 1 that broadcasting stretched
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1)
    return g.sum(
        axis=tuple(range(lead)) + stretched,
        keepdims=True,
    ).reshape(shape)


# -----------------------------------------------------------------------------
# Element-wise, two inputs (NumPy broadcasts them; the reverse pass undoes it)
# -----------------------------------------------------------------------------


@builtin
class Add(Node):
    """x + y:  dl/dx = g,  dl/dy = g."""

    __slots__ = ()
    forward = np.add
    vjps = (
        lambda node, g: g,
        lambda node, g: g,
    )


@builtin
class Subtract(Node):
    """x - y:  dl/dx = g,  dl/dy = -g."""

    __slots__ = ()
    forward = np.subtract
    vjps = (
        lambda node, g: g,
        lambda node, g: -g,
    )


@builtin
class Multiply(Node):
    """x ⊙ y:  dl/dx = g ⊙ y,  dl/dy = g ⊙ x."""

    __slots__ = ("x", "y")
    forward = np.multiply

    def save(self, out, x, y):
        self.x, self.y = x, y

    vjps = (
        lambda node, g: g * node.y,
        lambda node, g: g * node.x,
    )


@builtin
class Divide(Node):
    """x / y:  dl/dx = g / y,  dl/dy = -g ⊙ x / y² = -g ⊙ out / y."""

    __slots__ = ("out", "y")
    forward = np.divide

    def save(self, out, x, y):
        self.out, self.y = out, y

    vjps = (
        lambda node, g: g / node.y,
        lambda node, g: -g * node.out / node.y,
    )


@builtin
class Power(Node):
    """x^y:  dl/dx = g ⊙ y x^(y-1) (0 where y = 0),  dl/dy = g ⊙ out ⊙ log x
    (0 where x = 0 < y, where 0^y = 0 is constant)."""

    __slots__ = ("out", "x", "y")
    forward = np.power

    def save(self, out, x, y):
        self.out, self.x, self.y = out, x, y

    def vjp_x(self, g):
        # entries np.where drops
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = self.y * self.x ** np.where(self.y == 0, 1.0, self.y - 1.0)
        return g * np.where(self.y == 0, 0.0, slope)

    def vjp_y(self, g):
        return g * self.out * np.log(np.where(self.x == 0, 1.0, self.x))

    vjps = (vjp_x, vjp_y)


def _share(a, b):
    """The share of g that goes to a in maximum(a, b): 1 where a is larger,
    1/2 at a tie, 0 where b is larger."""
    return (a > b) + 0.5 * (a == b)


@builtin
class Maximum(Node):
    """max(x, y) entry by entry:  dl/dx = g where x > y,  dl/dy = g where
    y > x; at a tie each gets g/2."""

    __slots__ = ("x", "y")
    forward = np.maximum

    def save(self, out, x, y):
        self.x, self.y = x, y

    vjps = (
        lambda node, g: g * _share(node.x, node.y),
        lambda node, g: g * _share(node.y, node.x),
    )


# -----------------------------------------------------------------------------
# Matrix product (np.matmul: 1-D operands, and batch axes that broadcast)
# -----------------------------------------------------------------------------


def _as_matrices(g, a, b):
    """g, a and b with a 1-D a as a row (1, n), a 1-D b as a column (n, 1),
    and g with the axis that each of them lost in the product."""
    if b.ndim == 1:
        b, g = b[:, None], g[..., None]
    if a.ndim == 1:
        a, g = a[None, :], g[..., None, :]
    return g, a, b


@builtin
class Matmul(Node):
    """A @ B:  dl/dA = G Bᵀ,  dl/dB = Aᵀ G  (a 1-D A counts as a row, a 1-D B
    as a column)."""

    __slots__ = ("a", "b")
    forward = np.matmul

    def save(self, out, a, b):
        self.a, self.b = a, b

    def vjp_a(self, g):
        g, a, b = _as_matrices(g, self.a, self.b)
        da = g @ np.swapaxes(b, -1, -2)
        return da[..., 0, :] if self.a.ndim == 1 else da  # a row back to 1-D

    def vjp_b(self, g):
        g, a, b = _as_matrices(g, self.a, self.b)
        db = np.swapaxes(a, -1, -2) @ g
        return db[..., 0] if self.b.ndim == 1 else db  # a column back to 1-D

    vjps = (vjp_a, vjp_b)


# -----------------------------------------------------------------------------
# Element-wise, one input
# -----------------------------------------------------------------------------


@builtin
class Negative(Node):
    """-x:  dl/dx = -g."""

    __slots__ = ()
    forward = np.negative
    vjps = (lambda node, g: -g,)


@builtin
class Exp(Node):
    """exp(x):  dl/dx = g ⊙ exp(x) = g ⊙ out."""

    __slots__ = ("out",)
    forward = np.exp

    def save(self, out, x):
        self.out = out

    vjps = (lambda node, g: g * node.out,)


@builtin
class Log(Node):
    """log(x):  dl/dx = g / x."""

    __slots__ = ("x",)
    forward = np.log

    def save(self, out, x):
        self.x = x

    vjps = (lambda node, g: g / node.x,)


@builtin
class Tanh(Node):
    """tanh(x):  dl/dx = g ⊙ (1 - tanh²(x)) = g ⊙ (1 - out²)."""

    __slots__ = ("out",)
    forward = np.tanh

    def save(self, out, x):
        self.out = out

    vjps = (lambda node, g: g * (1.0 - node.out * node.out),)


def sigmoid(x):
    """σ(x) = 1 / (1 + e^-x), as exp(-log(1 + e^-x)) so it never overflows."""
    return np.exp(-np.logaddexp(0.0, -x))


@builtin
class Sigmoid(Node):
    """σ(x):  dl/dx = g ⊙ σ(x)(1 - σ(x)) = g ⊙ out ⊙ (1 - out)."""

    __slots__ = ("out",)
    forward = sigmoid

    def save(self, out, x):
        self.out = out

    vjps = (lambda node, g: g * node.out * (1.0 - node.out),)


def relu(x):
    """relu(x) = max(x, 0)."""
    return np.maximum(x, 0.0)


@builtin
class Relu(Node):
    """relu(x):  dl/dx = g where x > 0 (i.e. out > 0), else 0; relu'(0) = 0."""

    __slots__ = ("out",)
    forward = relu

    def save(self, out, x):
        self.out = out

    vjps = (lambda node, g: g * (node.out > 0),)


# -----------------------------------------------------------------------------
# Reductions (axis None, an int or a tuple of ints; keepdims as in NumPy)
# -----------------------------------------------------------------------------


def _keep_reduced_axes(a, axis, keepdims):
    """a with the axes that a reduction removed put back as size-1 axes, so
    that it broadcasts against the reduction's input."""
    return a if keepdims or axis is None else np.expand_dims(a, axis)


@builtin
class Sum(Node):
    """Σ x along `axis`:  dl/dx = g copied along the summed axes."""

    __slots__ = ("x_shape", "axis", "keepdims")
    forward = np.sum

    def save(self, out, x, axis=None, keepdims=False):
        self.x_shape, self.axis, self.keepdims = np.shape(x), axis, keepdims

    def vjp_x(self, g):
        return np.broadcast_to(
            _keep_reduced_axes(g, self.axis, self.keepdims), self.x_shape
        )

    vjps = (vjp_x,)


@builtin
class Mean(Node):
    """mean of x along `axis`:  dl/dx = g / n copied along those axes (n
    entries per mean)."""

    __slots__ = ("x_shape", "axis", "keepdims", "n")
    forward = np.mean

    def save(self, out, x, axis=None, keepdims=False):
        self.x_shape, self.axis, self.keepdims = np.shape(x), axis, keepdims
        self.n = np.size(x) / max(np.size(out), 1)

    def vjp_x(self, g):
        g = _keep_reduced_axes(g, self.axis, self.keepdims) / self.n
        return np.broadcast_to(g, self.x_shape)

    vjps = (vjp_x,)


@builtin
class Max(Node):
    """max of x along `axis`:  dl/dx = g at the entries equal to the maximum
    (tied ones share it evenly), 0 elsewhere."""

    __slots__ = ("out", "x", "axis", "keepdims")
    forward = np.max

    def save(self, out, x, axis=None, keepdims=False):
        self.out, self.x, self.axis, self.keepdims = out, x, axis, keepdims

    def vjp_x(self, g):
        at_max = self.x == _keep_reduced_axes(
            self.out, self.axis, self.keepdims
        )
        share = at_max / np.sum(at_max, axis=self.axis, keepdims=True)
        return _keep_reduced_axes(g, self.axis, self.keepdims) * share

    vjps = (vjp_x,)


def logsumexp(x, axis=None, keepdims=False):
    """log Σ exp(x) along `axis`, stably: m + log Σ exp(x - m), m = max x."""
    # -inf for an empty axis
    m = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    # all -inf (or an inf) along the axis: no shift
    m = np.where(np.isfinite(m), m, 0.0)
    # log 0 = -inf: every entry -inf, or none
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


@builtin
class Logsumexp(Node):
    """log Σ exp(x) along `axis`:  dl/dx = g ⊙ softmax(x) = g ⊙ exp(x - out),
    copied along `axis`."""

    __slots__ = ("out", "x", "axis", "keepdims")
    forward = logsumexp

    def save(self, out, x, axis=None, keepdims=False):
        self.out, self.x, self.axis, self.keepdims = out, x, axis, keepdims

    def vjp_x(self, g):
        out = _keep_reduced_axes(self.out, self.axis, self.keepdims)
        return _keep_reduced_axes(g, self.axis, self.keepdims) * np.exp(
            self.x - out
        )

    vjps = (vjp_x,)


# -----------------------------------------------------------------------------
# Shape and indexing
# -----------------------------------------------------------------------------


@builtin
class Reshape(Node):
    """x with a new shape:  dl/dx = g with x's shape."""

    __slots__ = ("x_shape",)
    forward = np.reshape

    def save(self, out, x, shape):
        self.x_shape = np.shape(x)

    vjps = (lambda node, g: np.reshape(g, node.x_shape),)


@builtin
class Transpose(Node):
    """x with its axes permuted:  dl/dx = g permuted back (by the inverse
    permutation, the argsort of `axes`)."""

    __slots__ = ("inverse",)
    forward = np.transpose

    def save(self, out, x, axes=None):
        self.inverse = (
            None if axes is None else np.argsort(np.mod(axes, np.ndim(x)))
        )

    vjps = (lambda node, g: np.transpose(g, node.inverse),)


def getitem(x, index):
    """x[index]."""
    return x[index]


@builtin
class Getitem(Node):
    """x[index]:  dl/dx = g added into zeros at x[index] (repeats add up)."""

    __slots__ = ("x_shape", "index")
    forward = getitem

    def save(self, out, x, index):
        self.x_shape, self.index = np.shape(x), index

    def vjp_x(self, g):
        dx = np.zeros(self.x_shape, np.result_type(g))
        # dx[index] += g would count a repeated index once
        np.add.at(dx, self.index, g)
        return dx

    vjps = (vjp_x,)
