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
import heapq
import itertools
import operator
from collections.abc import Callable, Iterator, Sequence
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

# Every recorded node gets the next number of this count-down: a node is always made
# after its inputs, so it has a smaller number than they do, and processing nodes
# smallest-number-first (a min-heap) visits each one after every node that uses it.
_next_seq = itertools.count(0, -1).__next__


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
    """A new leaf Tensor holding `value` (no checks: for values vjpgrad computed itself)."""
    t = _new(Tensor)
    t.value = value
    t.grad = None
    t.requires_grad = requires_grad
    t._op = None
    t._uses = 0
    return t


# The forward helpers below are the hot path of every operation, so they build the
# result inline.  A result computed with recording on keeps, besides its value:
#   _op       the Primitive that made it (None for a leaf),
#   _x, _y    its first and second input (a primitive has one or two; _y is None for
#             one): the Tensor itself when that input needs a gradient (a *parent*),
#             otherwise the input's value (a constant, or the value of a Tensor with
#             requires_grad=False),
#   _params   the primitive's keyword parameters (or None), and
#   _seq      its sequence number (see `_next_seq`).
# (Two fields rather than a tuple of inputs: one object less per operation, which a
# long graph feels, in memory and in the time Python's garbage collector spends on it.)
# An input is a parent exactly when it is recorded as a Tensor (`type(x) is Tensor`;
# Tensor has no subclasses).  A parent is recorded as itself, not its value, so its
# VJP reads `parent.value` when backward() runs.
# `_uses` counts how many times a Tensor is a parent of a recorded operation (`x * x`
# counts twice): the reverse pass hands the gradient of a Tensor used once straight on.


def _operand(x: Any) -> tuple[Any, Any]:
    """(value, what to record as the input) of one operand: a Tensor that
    needs a gradient is recorded as itself, anything else by its value."""
    if isinstance(x, Tensor):
        return x.value, (x if x.requires_grad else x.value)
    value = _constant(x)
    return value, value


def _record(t: Tensor, op: Primitive, x: Any, y: Any,
            params: dict | None) -> None:
    """Write into t that primitive `op` computed it from inputs x and y
    (see the fields above)."""
    t.requires_grad = True
    t._op = op
    t._x = x
    t._y = y
    t._params = params
    t._seq = _next_seq()
    if type(x) is Tensor:
        x._uses += 1
    if type(y) is Tensor:
        y._uses += 1


def _unary(op: Primitive, x: Tensor, params: dict | None = None) -> Tensor:
    """Apply a one-input primitive to Tensor x (the steps of `_binary`, inline for speed)."""
    v = x.value
    out = op.forward(v) if params is None else op.forward(v, **params)
    if type(out) is not _ndarray:
        out = _asarray(out)  # NumPy returns scalars for 0-d results
    t = _new(Tensor)
    t.value = out
    t.grad = None
    t._uses = 0
    if x.requires_grad and _GRAD_ENABLED:
        t.requires_grad = True
        t._op = op
        t._x = x
        t._y = None
        t._params = params
        t._seq = _next_seq()
        x._uses += 1
    else:
        t.requires_grad = False
        t._op = None
    return t


def _binary(op: Primitive, a: Any, b: Any) -> Tensor:
    """Apply binary primitive `op`; either side may be a Tensor or constant."""
    av, a_in = _operand(a)
    bv, b_in = _operand(b)
    t = _leaf(_asarray(op.forward(av, bv)), False)
    has_parent = type(a_in) is Tensor or type(b_in) is Tensor
    if has_parent and _GRAD_ENABLED:
        _record(t, op, a_in, b_in, None)
    return t


def _binary_method(op: Primitive, reflected: bool = False) -> Callable[[Tensor, Any], Tensor]:
    """The Tensor method ``self <op> other`` (or ``other <op> self`` when reflected).

    The steps of `_binary`, written out inline for speed: operators are the hot path.
    """

    def method(self: Tensor, other: Any) -> Tensor:
        kind = type(other)
        if kind is float or kind is int:
            ov = o_in = other
        elif kind is Tensor or isinstance(other, Tensor):
            ov = other.value
            o_in = other if other.requires_grad else ov
        else:
            ov = o_in = _constant(other)
        sv = self.value
        out = op.forward(ov, sv) if reflected else op.forward(sv, ov)
        if type(out) is not _ndarray:
            out = _asarray(out)
        t = _new(Tensor)
        t.value = out
        t.grad = None
        t._uses = 0
        # `o_in is not ov`: other is recorded as itself, not by its value (a parent)
        if (self.requires_grad or o_in is not ov) and _GRAD_ENABLED:
            s_in = self if self.requires_grad else sv
            t.requires_grad = True
            t._op = op
            if reflected:
                t._x, t._y = o_in, s_in
            else:
                t._x, t._y = s_in, o_in
            t._params = None
            t._seq = _next_seq()
            if s_in is self:
                self._uses += 1
            if o_in is not ov:
                other._uses += 1
        else:
            t.requires_grad = False
            t._op = None
        return t

    method.__name__ = f"__r{op.name}__" if reflected else f"__{op.name}__"
    return method


def _matmul(a: Any, b: Any) -> Tensor:
    """a @ b, turning NumPy's shape error into one that names both shapes."""
    try:
        return _binary(_MATMUL, a, b)
    except ValueError as error:
        try:
            sa, sb = (np.shape(x.value if isinstance(x, Tensor) else x) for x in (a, b))
        except ValueError:  # an operand that is not even an array (a ragged list)
            raise error from None
        if not sa or not sb:
            raise ValueError(f"matmul: operands must be at least 1-D, got shapes {sa} and {sb}") from None
        raise ValueError(
            f"matmul: shapes {sa} and {sb} are not aligned (the last axis of the first must "
            "equal the second-to-last axis of the second, and batch axes must broadcast)"
        ) from None


def apply(primitive: str | Primitive, *inputs: Any, **params: Any) -> Tensor:
    """Apply a registered primitive (by name or object) to one or two inputs, each a
    Tensor or a constant; any further arguments are keyword parameters.

    This is how a primitive you register yourself becomes usable on Tensors::

        register_primitive("sin", np.sin, lambda g, out, x: (g * np.cos(x),))
        y = apply("sin", x)
    """
    prim = PRIMITIVES[primitive] if isinstance(primitive, str) else primitive
    if not 1 <= len(inputs) <= prim.max_inputs:
        raise TypeError(
            f"apply({prim.name!r}, ...): {prim.name!r} takes "
            f"{'one input' if prim.max_inputs == 1 else 'one or two inputs'}, got {len(inputs)}; "
            "pass other arguments as keyword parameters"
        )
    values, recorded = zip(*map(_operand, inputs))
    out = _float_array(prim.forward(*values, **params), f"result of {prim.name!r}")
    t = _leaf(out, False)
    if _GRAD_ENABLED and any(type(r) is Tensor for r in recorded):
        _record(t, prim, recorded[0], recorded[1] if len(recorded) == 2 else None, params or None)
    return t


def _index_part(i: Any) -> Any:
    """One part of an index, recorded as a copy if it is an array or list (so that
    changing the caller's index array later cannot move the gradient)."""
    if isinstance(i, Tensor):
        raise TypeError(
            "index with an integer or boolean array, not a Tensor (a Tensor holds floats): "
            "use e.g. t[idx.value.astype(int)]"
        )
    if isinstance(i, (list, np.ndarray)):
        return np.array(i)
    return i


def _comparison(compare: Callable[[Any, Any], Any]) -> Callable[[Tensor, Any], np.ndarray]:
    """A comparison operator: a boolean ndarray of the values, as NumPy gives (not differentiable)."""

    def method(self: Tensor, other: Any) -> np.ndarray:
        return compare(self.value, other.value if isinstance(other, Tensor) else other)

    method.__name__ = f"__{compare.__name__}__"
    return method


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

    __slots__ = ("value", "grad", "requires_grad", "_op", "_x", "_y", "_params", "_seq", "_uses")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        raise TypeError(
            "vjpgrad.Tensor cannot be subclassed (the graph code tests `type(x) is Tensor`); "
            "keep a Tensor as an attribute of your class instead"
        )
    # Make NumPy defer to Tensor: `ndarray + Tensor` calls Tensor.__radd__, giving a Tensor.
    __array_ufunc__ = None

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError(
            "a Tensor is not converted to an ndarray implicitly (that would cut it from the "
            "graph): use t.value for its array, or Tensor methods to stay differentiable"
        )

    def __init__(self, value: Any, requires_grad: bool = True) -> None:
        if isinstance(value, Tensor):
            value = value.value
        self.value: np.ndarray = _float_array(value)
        self.grad: np.ndarray | None = None
        self.requires_grad: bool = bool(requires_grad)
        self._op: Primitive | None = None
        self._uses = 0

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
        return None if self._op is None else self._op.name

    @property
    def is_leaf(self) -> bool:
        return self._op is None

    @property
    def parents(self) -> tuple[Tensor | None, ...]:
        """Per input of the operation that computed this Tensor, the input Tensor if it
        needs a gradient, else None (a constant, or a Tensor with requires_grad=False);
        () for a leaf."""
        if self._op is None:
            return ()
        return tuple(x if type(x) is Tensor else None for x in _inputs(self))

    def __len__(self) -> int:
        return len(self.value)

    def __iter__(self) -> Iterator[Tensor]:
        """The Tensors t[0], t[1], ... (differentiable), as iterating an array gives its rows."""
        if self.value.ndim == 0:
            raise TypeError("iteration over a 0-d Tensor")
        return (self[i] for i in range(len(self.value)))

    def __bool__(self) -> bool:
        return bool(self.value)

    def item(self) -> float:
        """The value of a one-element Tensor as a Python float."""
        return self.value.item()

    def __repr__(self) -> str:
        prefix = "Tensor("
        body = np.array2string(self.value, precision=4, separator=", ", threshold=20,
                               edgeitems=3, prefix=prefix)
        if self._op is not None:
            tail = f", op={self._op.name!r}"
        else:
            tail = f", requires_grad={self.requires_grad}"
        if self.value.dtype != np.float64:
            tail += f", dtype={self.value.dtype}"
        return f"{prefix}{body}{tail})"

    # ---- comparisons: boolean ndarrays, as in NumPy (they have no gradient) ------------
    __lt__ = _comparison(np.less)
    __le__ = _comparison(np.less_equal)
    __gt__ = _comparison(np.greater)
    __ge__ = _comparison(np.greater_equal)
    __eq__ = _comparison(np.equal)  # type: ignore[assignment]
    __ne__ = _comparison(np.not_equal)  # type: ignore[assignment]
    __hash__ = object.__hash__  # by identity: the reverse pass keys dicts on Tensors

    # ---- operators ---------------------------------------------------------------------
    __add__ = _binary_method(PRIMITIVES["add"])
    __radd__ = _binary_method(PRIMITIVES["add"], reflected=True)
    __sub__ = _binary_method(PRIMITIVES["subtract"])
    __rsub__ = _binary_method(PRIMITIVES["subtract"], reflected=True)
    __mul__ = _binary_method(PRIMITIVES["multiply"])
    __rmul__ = _binary_method(PRIMITIVES["multiply"], reflected=True)
    __truediv__ = _binary_method(PRIMITIVES["divide"])
    __rtruediv__ = _binary_method(PRIMITIVES["divide"], reflected=True)
    __pow__ = _binary_method(PRIMITIVES["power"])
    __rpow__ = _binary_method(PRIMITIVES["power"], reflected=True)

    def __matmul__(self, other: Any) -> Tensor:
        return _matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _matmul(other, self)

    def __neg__(self) -> Tensor:
        return _unary(_NEGATIVE, self)

    def __pos__(self) -> Tensor:
        return self

    def __getitem__(self, index: Any) -> Tensor:
        if isinstance(index, tuple):
            index = tuple(_index_part(i) for i in index)
        else:
            index = _index_part(index)
        return _unary(_GETITEM, self, {"index": index})

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
        return _unary(_SUM, self, {"axis": _axis(axis), "keepdims": keepdims})

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return _unary(_MEAN, self, {"axis": _axis(axis), "keepdims": keepdims})

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Maximum along `axis`; tied maxima share the gradient evenly."""
        return _unary(_MAX, self, {"axis": _axis(axis), "keepdims": keepdims})

    def logsumexp(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """log(sum(exp(x))) along `axis`, stable for large inputs."""
        return _unary(_LOGSUMEXP, self, {"axis": _axis(axis), "keepdims": keepdims})

    # ---- shape -------------------------------------------------------------------------
    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        return _unary(_RESHAPE, self, {"shape": _shape_arg(shape)})

    def transpose(self, *axes: int | Sequence[int]) -> Tensor:
        axes = _shape_arg(axes)
        return _unary(_TRANSPOSE, self, {"axes": tuple(axes) if axes else None})

    # ---- graph -------------------------------------------------------------------------
    def detach(self) -> Tensor:
        """A new leaf sharing this value, cut from the graph (requires_grad=False)."""
        return _leaf(self.value, False)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (same as ``x.grad = None``)."""
        self.grad = None

    def backward(self, gradient: Any = None, retain_grads: bool = False,
                 inputs: Sequence[Tensor] | None = None) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        ``gradient`` is dl/d(self), the vector in the vector-Jacobian product; it may be
        left out only for a one-element Tensor (it is then 1).  With
        ``retain_grads=True`` intermediate Tensors keep their ``.grad`` too (handy for
        :func:`vjpgrad.draw_graph`).  With ``inputs``, only those leaves get a gradient
        (as in PyTorch); other leaves' ``.grad`` stay as they are.
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
            seed = np.ones(self.value.shape, self.value.dtype)
        else:
            if isinstance(gradient, Tensor):
                gradient = gradient.value
            seed = np.array(_float_array(gradient, "gradient"), dtype=self.value.dtype)  # a copy
            if seed.shape != self.shape:
                raise ValueError(f"gradient has shape {seed.shape}, but the Tensor has shape {self.shape}")
        _backward(self, seed, retain_grads, None if inputs is None else {id(t) for t in inputs})


def _store_grad(t: Tensor, g: Any, handed_out: set) -> None:
    """Add g to t.grad.  A stored gradient is a writable array of t's dtype that shares
    no memory with any other gradient given out by this backward pass (`handed_out`
    holds their ids and their bases' ids), so the user may modify it in place."""
    if t.grad is not None:
        t.grad = g = (t.grad + g).astype(t.value.dtype, copy=False)
    elif (type(g) is not _ndarray or g.dtype != t.value.dtype or not g.flags.writeable
            or id(g) in handed_out or (g.base is not None and id(g.base) in handed_out)):
        t.grad = g = np.array(g, dtype=t.value.dtype)
    else:
        t.grad = g
    handed_out.add(id(g))
    if g.base is not None:
        handed_out.add(id(g.base))


def _backward(root: Tensor, seed: np.ndarray, retain: bool,
              only: set | None = None) -> None:
    """The reverse pass: every node's VJP runs once, after all the nodes that
    use it.

    A node used by one operation has a complete gradient as soon as that
    operation's VJP has run, so the pass goes on with it next (a second such
    parent waits on `stack`).  A node used several times waits in `heap`, its
    gradient summed in `grads`, and is taken out newest first (smallest
    sequence number): every node that uses it is newer, so by then all have
    sent their share.  At the end the leaves get their gradients (only those
    whose id is in `only`, if given).
    """
    handed_out: set = set()
    if root._op is None:
        if only is None or id(root) in only:
            _store_grad(root, seed, handed_out)
        return
    stack: list = []  # (node, its complete gradient)
    heap: list = []  # (sequence number, id, node): the id breaks ties
    grads: dict[Tensor, Any] = {}
    leaves: dict[Tensor, Any] = {}  # leaf gradients, stored at the end
    node, g = root, seed
    while True:
        if retain:
            _store_grad(node, g, handed_out)
        next_node = next_g = None  # a parent whose gradient is now complete
        for p, gp in _parent_gradients(node, g):
            if p._op is None:  # a leaf
                prev = leaves.get(p)
                leaves[p] = gp if prev is None else prev + gp
            elif p._uses == 1:  # its only use: the gradient is complete
                if next_node is None:
                    next_node, next_g = p, gp
                else:
                    stack.append((p, gp))
            else:
                prev = grads.get(p)
                if prev is None:
                    grads[p] = gp
                    heapq.heappush(heap, (p._seq, id(p), p))
                else:
                    grads[p] = prev + gp
        # next: a parent just completed, else one from the stack, else the
        # newest waiting node
        if next_node is not None:
            node, g = next_node, next_g
        elif stack:
            node, g = stack.pop()
        elif heap:
            node = heapq.heappop(heap)[2]
            g = grads.pop(node)
        else:
            break
    for leaf, g in leaves.items():
        if only is None or id(leaf) in only:
            _store_grad(leaf, g, handed_out)


def _parent_gradients(node: Tensor, g: np.ndarray) -> list[tuple[Tensor, Any]]:
    """(parent, gradient) for each parent of `node`: the node's VJP at
    upstream gradient g."""
    op, x, y, params = node._op, node._x, node._y, node._params
    out = node.value
    if not op.trusted:  # a user's primitive: its VJP is checked
        return _user_parent_gradients(node, g)
    if y is None:  # one input, so it is the parent
        if params is None:
            return [(x, op.vjp(g, out, x.value)[0])]
        return [(x, op.vjp(g, out, x.value, **params)[0])]
    if op.partials is not None:  # two inputs, no keyword parameters
        if type(y) is not Tensor:  # y is a constant, so x is the parent
            return [(x, op.partials[0](g, out, x.value, y))]
        if type(x) is not Tensor:  # x is a constant, so y is the parent
            return [(y, op.partials[1](g, out, x, y.value))]
    grads = op.vjp(g, out, *_input_values(node), **(params or {}))
    return [(p, gp) for p, gp in zip((x, y), grads) if type(p) is Tensor]


def _user_parent_gradients(node: Tensor,
                           g: np.ndarray) -> list[tuple[Tensor, Any]]:
    """`_parent_gradients` for a primitive registered by the user: its VJP gets
    ndarrays (also for constants) and a read-only g (other parents may share
    it), and must return one gradient per input, shaped like it."""
    op, inputs = node._op, _inputs(node)
    args = [_asarray(a, dtype=np.float64) if type(a) is not _ndarray else a
            for a in _input_values(node)]
    g = _asarray(g).view()
    g.flags.writeable = False
    try:
        grads = op.vjp(g, node.value, *args, **(node._params or {}))
    except ValueError as error:
        if "read-only" not in str(error):
            raise
        raise ValueError(f"the VJP of {op.name!r} modifies its argument g in "
                         f"place ({error}); return new arrays instead") from error
    grads = _checked(op, inputs, grads)
    return [(p, gp) for p, gp in zip(inputs, grads) if type(p) is Tensor]


def _inputs(node: Tensor) -> tuple:
    """The recorded inputs of `node` (see the fields above `_record`)."""
    return (node._x,) if node._y is None else (node._x, node._y)


def _input_values(node: Tensor) -> list:
    """The values of the inputs that `node` was computed from (for its VJP)."""
    return [x.value if type(x) is Tensor else x for x in _inputs(node)]


def _checked(op: Primitive, inputs: tuple, grads: Any) -> list:
    """A VJP must return one gradient per input, shaped like it (checked for user VJPs);
    the gradients of parents come back as float arrays."""
    grads = list(grads)
    if len(grads) != len(inputs):
        raise ValueError(f"the VJP of {op.name!r} returned {len(grads)} gradients for {len(inputs)} inputs")
    for k, (x, gx) in enumerate(zip(inputs, grads)):
        if type(x) is not Tensor:
            continue
        gx = grads[k] = _float_array(gx, f"gradient returned by the VJP of {op.name!r}")
        if gx.shape != x.value.shape:
            raise ValueError(
                f"the VJP of {op.name!r} returned a gradient of shape {gx.shape} "
                f"for an input of shape {x.value.shape}"
            )
    return grads


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

    def __new__(cls, func: Callable | None = None) -> Any:
        if func is not None:  # used bare, as in `@no_grad`: wrap func
            return cls()(func)
        return super().__new__(cls)

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

    def __init__(self, func: Callable | None = None) -> None:
        super().__init__(False)


class enable_grad(_GradMode):
    """``with enable_grad():`` recording is on again, even inside ``no_grad()``."""

    def __init__(self, func: Callable | None = None) -> None:
        super().__init__(True)


def is_grad_enabled() -> bool:
    """Whether operations currently record a graph."""
    return _GRAD_ENABLED


# --------------------------------------------------------------------------------------
# Functional interface
# --------------------------------------------------------------------------------------


def _is_float_array(a: Any) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind == "f"


def _constant_tensor(a: Any) -> Any:
    """An argument that is not differentiated: a float array (or Tensor) becomes a Tensor
    that does not require grad; anything else (labels, hyperparameters) stays as it is."""
    return Tensor(a, requires_grad=False) if isinstance(a, Tensor) or _is_float_array(a) else a


def _argument_positions(argnum: Any, n_args: int) -> tuple[int, ...]:
    """The positions `argnum` names (an int or a tuple of ints, negative from the end)."""
    nums = (argnum,) if not isinstance(argnum, (tuple, list)) else argnum
    positions = []
    for num in nums:
        num = operator.index(num)
        if not -n_args <= num < n_args:
            raise ValueError(f"argnum {num} is out of range for a call with {n_args} positional arguments")
        positions.append(num % n_args)
    return tuple(positions)


def value_and_grad(f: Callable[..., Tensor], argnum: int | Sequence[int] = 0) -> Callable[..., tuple]:
    """Return a function computing ``(f(*args), df/dargs[argnum])`` as ndarrays.

    ``f`` maps Tensors to a one-element Tensor.  The returned function is called with
    ndarrays (or numbers); argument ``argnum`` (an int, or a tuple of ints for a tuple of
    gradients; negative counts from the end) becomes a Tensor that requires grad, other
    floating-point ndarrays (positional or keyword) become Tensors that don't, and
    anything else (integer labels or indices, hyperparameters) is passed as it is.
    Tensors that ``f`` uses from outside are left alone: their ``.grad`` is not changed.
    """
    single = not isinstance(argnum, (tuple, list))

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> tuple[np.ndarray, Any]:
        positions = _argument_positions(argnum, len(args))
        targs = [Tensor(a, requires_grad=True) if i in positions else _constant_tensor(a)
                 for i, a in enumerate(args)]
        tkwargs = {name: _constant_tensor(a) for name, a in kwargs.items()}
        with enable_grad():
            out = f(*targs, **tkwargs)
        if not isinstance(out, Tensor):
            raise TypeError(f"f must return a Tensor, got {type(out).__name__}")
        if out.size != 1:
            raise ValueError(f"f must return a one-element Tensor, got shape {out.shape}")
        if out.requires_grad:
            out.backward(inputs=[targs[i] for i in positions])
        grads = tuple(
            targs[i].grad if targs[i].grad is not None else np.zeros_like(targs[i].value)
            for i in positions
        )
        return out.value, grads[0] if single else grads

    return wrapped


def grad(f: Callable[..., Tensor], argnum: int | Sequence[int] = 0) -> Callable[..., Any]:
    """Return a function computing ``df/dargs[argnum]`` as an ndarray (see value_and_grad)."""
    vg = value_and_grad(f, argnum)

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return vg(*args, **kwargs)[1]

    return wrapped
