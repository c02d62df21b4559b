"""The Tensor, the recorded graph and the reverse pass.

A :class:`Tensor` wraps an ndarray.  Every operation on Tensors that require a gradient
calls a primitive's forward (see :mod:`vjpgrad.primitives`) and records, in the result,
which primitive made it and from which inputs.  :meth:`Tensor.backward` then walks that
graph once, from the output back to the leaves, calling each primitive's VJP exactly
once, in an order where every node's gradient is complete before it is used.

The walk is iterative (no recursion, so a 100,000-node chain is fine) and each node's
gradient is released as soon as its VJP has run.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .primitives import PRIMITIVES, Primitive

__all__ = [
    "Tensor",
    "apply",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "grad",
    "value_and_grad",
]

_ndarray = np.ndarray
_asarray = np.asarray
_new = object.__new__

# Whether operations record a graph; switched off by `no_grad`.
_GRAD_ENABLED = True


def _float_array(value: Any, what: str = "value") -> np.ndarray:
    """np.asarray(value) as a real floating-point array; integers and bools become float64."""
    arr = _asarray(value)
    kind = arr.dtype.kind
    if kind == "f":
        return arr
    if kind in "biu":
        return arr.astype(np.float64)
    if kind == "c":
        raise TypeError(f"vjpgrad differentiates real functions; the {what} has complex dtype {arr.dtype}")
    raise TypeError(f"vjpgrad needs numeric data; the {what} has dtype {arr.dtype} ({type(value).__name__} given)")


def _constant(c: Any) -> Any:
    """The value of a non-Tensor operand: Python int/float as is, anything else a float array."""
    t = type(c)
    if t is float or t is int:
        return c
    return _float_array(c, "operand")


def _leaf(value: np.ndarray, requires_grad: bool) -> Tensor:
    t = _new(Tensor)
    t.value = value
    t.grad = None
    t.requires_grad = requires_grad
    t._ctx = None
    return t


def _node(value: Any, op: Primitive, parents: tuple, args: tuple, params: dict | None) -> Tensor:
    """A Tensor computed by primitive `op`; `parents` has a Tensor or None (no gradient needed) per input."""
    if type(value) is not _ndarray:
        value = _asarray(value)  # NumPy returns scalars for 0-d results
    t = _new(Tensor)
    t.value = value
    t.grad = None
    t.requires_grad = True
    t._ctx = (op, parents, args, params)
    return t


def _unary(op: Primitive, x: Tensor) -> Tensor:
    v = x.value
    out = op.forward(v)
    if x.requires_grad and _GRAD_ENABLED:
        return _node(out, op, (x,), (v,), None)
    return _leaf(_asarray(out), False)


def _with_params(op: Primitive, x: Tensor, params: dict) -> Tensor:
    v = x.value
    out = op.forward(v, **params)
    if x.requires_grad and _GRAD_ENABLED:
        return _node(out, op, (x,), (v,), params)
    return _leaf(_asarray(out), False)


def _binary(op: Primitive, a: Any, b: Any) -> Tensor:
    if isinstance(a, Tensor):
        av, pa = a.value, (a if a.requires_grad else None)
    else:
        av, pa = _constant(a), None
    if isinstance(b, Tensor):
        bv, pb = b.value, (b if b.requires_grad else None)
    else:
        bv, pb = _constant(b), None
    out = op.forward(av, bv)
    if (pa is not None or pb is not None) and _GRAD_ENABLED:
        return _node(out, op, (pa, pb), (av, bv), None)
    return _leaf(_asarray(out), False)


def _matmul(a: Any, b: Any) -> Tensor:
    av = a.value if isinstance(a, Tensor) else _constant(a)
    bv = b.value if isinstance(b, Tensor) else _constant(b)
    if np.ndim(av) == 0 or np.ndim(bv) == 0:
        raise ValueError(f"matmul: operands must be at least 1-D, got shapes {np.shape(av)} and {np.shape(bv)}")
    try:
        return _binary(_MATMUL, a, b)
    except ValueError:
        raise ValueError(
            f"matmul: shapes {np.shape(av)} and {np.shape(bv)} are not aligned "
            "(the last axis of the first must equal the second-to-last axis of the second, "
            "and batch axes must broadcast)"
        ) from None


def apply(primitive: str | Primitive, *inputs: Any, **params: Any) -> Tensor:
    """Apply a registered primitive (by name or object) to Tensors and/or constants.

    This is how a primitive you register yourself becomes usable on Tensors::

        register_primitive("sin", np.sin, lambda g, out, x: (g * np.cos(x),))
        y = apply("sin", x)
    """
    prim = PRIMITIVES[primitive] if isinstance(primitive, str) else primitive
    values, parents = [], []
    for x in inputs:
        if isinstance(x, Tensor):
            values.append(x.value)
            parents.append(x if x.requires_grad else None)
        else:
            values.append(_constant(x))
            parents.append(None)
    out = _float_array(prim.forward(*values, **params), f"result of {prim.name!r}")
    if _GRAD_ENABLED and any(p is not None for p in parents):
        return _node(out, prim, tuple(parents), tuple(values), params or None)
    return _leaf(out, False)


def _axis(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def _shape_arg(shape: tuple) -> Any:
    """Accept both f(2, 3) and f((2, 3))."""
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape


class Tensor:
    """An ndarray that records the operations applied to it, for reverse-mode differentiation.

    ``Tensor(value, requires_grad=True)`` wraps ``np.asarray(value)`` (integers and bools
    become float64; strings, objects and complex numbers raise TypeError).  After
    ``loss.backward()``, every leaf Tensor with ``requires_grad`` holds ``dloss/dleaf``
    in ``.grad`` (accumulated across calls, as in PyTorch; reset with ``zero_grad()``).
    """

    __slots__ = ("value", "grad", "requires_grad", "_ctx")
    # Make NumPy defer to Tensor: `ndarray + Tensor` calls Tensor.__radd__, giving a Tensor.
    __array_ufunc__ = None

    def __init__(self, value: Any, requires_grad: bool = True) -> None:
        if isinstance(value, Tensor):
            value = value.value
        self.value: np.ndarray = _float_array(value)
        self.grad: np.ndarray | None = None
        self.requires_grad: bool = bool(requires_grad)
        self._ctx: tuple | None = None

    # ---- array attributes --------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def ndim(self) -> int:
        return self.value.ndim

    @property
    def size(self) -> int:
        return self.value.size

    @property
    def dtype(self) -> np.dtype:
        return self.value.dtype

    @property
    def T(self) -> Tensor:
        """The transpose (all axes reversed)."""
        return self.transpose()

    @property
    def op(self) -> str | None:
        """Name of the primitive that computed this Tensor (None for a leaf)."""
        return None if self._ctx is None else self._ctx[0].name

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    def __len__(self) -> int:
        return len(self.value)

    def __bool__(self) -> bool:
        return bool(self.value)

    def item(self) -> float:
        """The value of a one-element Tensor as a Python float."""
        return self.value.item()

    def __repr__(self) -> str:
        prefix = "Tensor("
        body = np.array2string(self.value, precision=4, separator=", ", threshold=20,
                               edgeitems=3, prefix=prefix)
        if self._ctx is not None:
            tail = f", op={self._ctx[0].name!r}"
        else:
            tail = f", requires_grad={self.requires_grad}"
        return f"{prefix}{body}{tail})"

    # ---- operators ---------------------------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return _binary(_ADD, self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _binary(_ADD, other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _binary(_SUBTRACT, self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _binary(_SUBTRACT, other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _binary(_MULTIPLY, self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _binary(_MULTIPLY, other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _binary(_DIVIDE, self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _binary(_DIVIDE, other, self)

    def __pow__(self, other: Any) -> Tensor:
        return _binary(_POWER, self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _binary(_POWER, other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _matmul(other, self)

    def __neg__(self) -> Tensor:
        return _unary(_NEGATIVE, self)

    def __pos__(self) -> Tensor:
        return self

    def __getitem__(self, index: Any) -> Tensor:
        if isinstance(index, Tensor):
            index = index.value
        elif isinstance(index, tuple):
            index = tuple(i.value if isinstance(i, Tensor) else i for i in index)
        return _with_params(_GETITEM, self, {"index": index})

    # ---- element-wise functions --------------------------------------------------------
    def exp(self) -> Tensor:
        return _unary(_EXP, self)

    def log(self) -> Tensor:
        return _unary(_LOG, self)

    def tanh(self) -> Tensor:
        return _unary(_TANH, self)

    def sigmoid(self) -> Tensor:
        return _unary(_SIGMOID, self)

    def relu(self) -> Tensor:
        return _unary(_RELU, self)

    def maximum(self, other: Any) -> Tensor:
        """Element-wise maximum with broadcasting; at ties each side gets half the gradient."""
        return _binary(_MAXIMUM, self, other)

    # ---- reductions --------------------------------------------------------------------
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return _with_params(_SUM, self, {"axis": _axis(axis), "keepdims": keepdims})

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return _with_params(_MEAN, self, {"axis": _axis(axis), "keepdims": keepdims})

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Maximum along `axis`; tied maxima share the gradient evenly."""
        return _with_params(_MAX, self, {"axis": _axis(axis), "keepdims": keepdims})

    def logsumexp(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """log(sum(exp(x))) along `axis`, stable for large inputs."""
        return _with_params(_LOGSUMEXP, self, {"axis": _axis(axis), "keepdims": keepdims})

    # ---- shape -------------------------------------------------------------------------
    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        return _with_params(_RESHAPE, self, {"shape": _shape_arg(shape)})

    def transpose(self, *axes: int | Sequence[int]) -> Tensor:
        axes = _shape_arg(axes)
        return _with_params(_TRANSPOSE, self, {"axes": tuple(axes) if axes else None})

    # ---- graph -------------------------------------------------------------------------
    def detach(self) -> Tensor:
        """A new leaf sharing this value, cut from the graph (requires_grad=False)."""
        return _leaf(self.value, False)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (same as ``x.grad = None``)."""
        self.grad = None

    def backward(self, gradient: Any = None, retain_grads: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        ``gradient`` is dl/d(self), the vector in the vector-Jacobian product; it may be
        left out only for a one-element Tensor (it is then 1).  With
        ``retain_grads=True`` intermediate Tensors keep their ``.grad`` too (handy for
        :func:`vjpgrad.draw_graph`).
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a Tensor that does not require grad: no input of the "
                "computation had requires_grad=True (or it ran under no_grad())"
            )
        if gradient is None:
            if self.value.size != 1:
                raise ValueError(
                    f"backward() without `gradient` works only on a scalar; this Tensor has "
                    f"shape {self.shape}: pass gradient=<array of shape {self.shape}>"
                )
            seed = np.ones_like(self.value)
        else:
            seed = np.array(_float_array(gradient, "gradient"), dtype=self.value.dtype)  # a copy
            if seed.shape != self.shape:
                raise ValueError(f"gradient has shape {seed.shape}, but the Tensor has shape {self.shape}")
        _backward(self, seed, retain_grads)


def _store_grad(t: Tensor, g: Any, handed_out: set) -> None:
    """Add g to t.grad, never giving the user an array shared with another .grad or read-only."""
    if t.grad is not None:
        t.grad = t.grad + g
        handed_out.add(id(t.grad))
        return
    if (type(g) is not _ndarray or g.base is not None or id(g) in handed_out
            or g.dtype != t.value.dtype):
        g = np.array(g, dtype=t.value.dtype)
    handed_out.add(id(g))
    t.grad = g


def _backward(root: Tensor, seed: np.ndarray, retain: bool) -> None:
    """The reverse pass: every node's VJP runs once, after all its consumers have run."""
    # 1. Count how many times each Tensor reachable from root is used as an input.
    uses: dict[Tensor, int] = {}
    stack = [root]
    while stack:
        for p in stack.pop()._ctx[1]:
            if p is None:
                continue
            n = uses.get(p)
            if n is None:
                uses[p] = 1
                if p._ctx is not None:
                    stack.append(p)
            else:
                uses[p] = n + 1

    # 2. Propagate from root; a node is ready once all its uses have sent their gradient.
    grads: dict[Tensor, Any] = {root: seed}
    ready = [root]
    handed_out: set = set()
    while ready:
        node = ready.pop()
        g = grads.pop(node)
        ctx = node._ctx
        if ctx is None:  # a leaf: its gradient is complete
            _store_grad(node, g, handed_out)
            continue
        if retain:
            _store_grad(node, g, handed_out)
        op, parents, args, params = ctx
        out = node.value
        if params is None:
            params = _NO_PARAMS
        if op.partials is not None and (parents[0] is None or parents[1] is None):
            # only one input needs a gradient: compute just that one
            i = 0 if parents[1] is None else 1
            parents = (parents[i],)
            in_grads = (op.partials[i](g, out, *args, **params),)
        else:
            in_grads = op.vjp(g, out, *args, **params)
        for p, gp in zip(parents, in_grads):
            if p is None:
                continue
            if gp.shape != p.value.shape:
                raise ValueError(
                    f"the VJP of {op.name!r} returned a gradient of shape {gp.shape} "
                    f"for an input of shape {p.value.shape}"
                )
            prev = grads.get(p)
            grads[p] = gp if prev is None else prev + gp
            n = uses[p] - 1
            if n:
                uses[p] = n
            else:
                ready.append(p)


_NO_PARAMS: dict = {}

_ADD = PRIMITIVES["add"]
_SUBTRACT = PRIMITIVES["subtract"]
_MULTIPLY = PRIMITIVES["multiply"]
_DIVIDE = PRIMITIVES["divide"]
_POWER = PRIMITIVES["power"]
_MATMUL = PRIMITIVES["matmul"]
_MAXIMUM = PRIMITIVES["maximum"]
_NEGATIVE = PRIMITIVES["negative"]
_EXP = PRIMITIVES["exp"]
_LOG = PRIMITIVES["log"]
_TANH = PRIMITIVES["tanh"]
_SIGMOID = PRIMITIVES["sigmoid"]
_RELU = PRIMITIVES["relu"]
_SUM = PRIMITIVES["sum"]
_MEAN = PRIMITIVES["mean"]
_MAX = PRIMITIVES["max"]
_LOGSUMEXP = PRIMITIVES["logsumexp"]
_RESHAPE = PRIMITIVES["reshape"]
_TRANSPOSE = PRIMITIVES["transpose"]
_GETITEM = PRIMITIVES["getitem"]


# --------------------------------------------------------------------------------------
# Recording on / off
# --------------------------------------------------------------------------------------


class _GradMode:
    """Context manager and decorator that sets whether operations record a graph."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self._saved: list[bool] = []

    def __enter__(self) -> None:
        global _GRAD_ENABLED
        self._saved.append(_GRAD_ENABLED)
        _GRAD_ENABLED = self._enabled

    def __exit__(self, *exc: object) -> None:
        global _GRAD_ENABLED
        _GRAD_ENABLED = self._saved.pop()

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """``with no_grad():`` operations inside record no graph (results don't require grad)."""

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(_GradMode):
    """``with enable_grad():`` recording is on again, even inside ``no_grad()``."""

    def __init__(self) -> None:
        super().__init__(True)


def is_grad_enabled() -> bool:
    """Whether operations currently record a graph."""
    return _GRAD_ENABLED


# --------------------------------------------------------------------------------------
# Functional interface
# --------------------------------------------------------------------------------------


def value_and_grad(f: Callable[..., Tensor], argnum: int | Sequence[int] = 0) -> Callable[..., tuple]:
    """Return a function computing ``(f(*args), df/dargs[argnum])`` as ndarrays.

    ``f`` maps Tensors to a one-element Tensor.  The returned function is called with
    ndarrays (or numbers); argument ``argnum`` (an int, or a tuple of ints for a tuple of
    gradients) becomes a Tensor that requires grad, other ndarray arguments become
    Tensors that don't, and anything else is passed as it is.
    """
    argnums = (argnum,) if isinstance(argnum, int) else tuple(argnum)

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> tuple[np.ndarray, Any]:
        targs = [
            Tensor(a, requires_grad=True) if i in argnums
            else Tensor(a, requires_grad=False) if isinstance(a, (np.ndarray, Tensor)) else a
            for i, a in enumerate(args)
        ]
        with enable_grad():
            out = f(*targs, **kwargs)
        if not isinstance(out, Tensor):
            raise TypeError(f"f must return a Tensor, got {type(out).__name__}")
        if out.size != 1:
            raise ValueError(f"f must return a one-element Tensor, got shape {out.shape}")
        if out.requires_grad:
            out.backward()
        grads = tuple(
            targs[i].grad if targs[i].grad is not None else np.zeros_like(targs[i].value)
            for i in argnums
        )
        return out.value, grads[0] if isinstance(argnum, int) else grads

    return wrapped


def grad(f: Callable[..., Tensor], argnum: int | Sequence[int] = 0) -> Callable[..., Any]:
    """Return a function computing ``df/dargs[argnum]`` as an ndarray (see value_and_grad)."""
    vg = value_and_grad(f, argnum)

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return vg(*args, **kwargs)[1]

    return wrapped
