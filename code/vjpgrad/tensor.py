"""The Tensor, the recorded graph and the reverse pass.

A :class:`Tensor` wraps an ndarray.  Every operation on Tensors that require a gradient
calls a primitive's forward (see :mod:`vjpgrad.primitives`) and records a :class:`Node`,
the *operation node*: which primitive ran, on which inputs, and what its VJP will need.
The result Tensor points to that node.  :meth:`Tensor.backward` then walks the nodes
once, from the output back to the leaves, calling each primitive's VJP exactly once, in
an order where every node's gradient is complete before it is used.

A node keeps only the values its VJP reads (``add`` keeps none, ``exp`` keeps its
output), so a value that the program no longer holds and no VJP needs is freed at once,
as in PyTorch and HIPS autograd.  The walk is iterative (no recursion, so a
100,000-node chain is fine) and each node's gradient is released as soon as its VJP has
run.
"""

from __future__ import annotations

import contextlib
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
    "Node",
    "apply",
    "keep_values",
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

# Whether nodes keep every value, not only those their VJP reads (see `keep_values`).
_KEEP_ALL_VALUES = False

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
    t._grad = None
    t.requires_grad = requires_grad
    t._node = None
    return t


class Node:
    """An operation node: one application of a primitive, recorded for the reverse pass.

    ``op`` is the :class:`Primitive` and ``params`` its keyword parameters (or None).
    A primitive has one or two inputs, x and y.  For each, the node keeps its *parent*
    (``x_parent``, ``y_parent``): the Node that computed the input, the input Tensor
    itself if it is a leaf that needs a gradient, or None if it needs none (a
    constant, or a Tensor with ``requires_grad=False``); a one-input primitive has
    ``y_parent = y_value = _NO_INPUT``.  ``out``, ``x_value`` and ``y_value`` are the
    output and the input values as the VJP will get them: a large value whose entries
    the VJP does not read is kept as a *stand-in*, an array of the same shape and dtype
    that takes no memory and whose entries are all NaN.  ``uses`` counts the
    operations that have this node as a parent, ``seq`` says when it was made (see
    ``_next_seq``), and ``grad`` is its gradient once ``backward(retain_grads=True)``
    has run (the ``.grad`` of the Tensor it computed).

    (Fields rather than tuples of parents and values: one object per operation rather
    than three, which a long graph feels, above all in the time Python's garbage
    collector spends on it.)
    """

    __slots__ = ("op", "params", "x_parent", "y_parent", "out", "x_value", "y_value",
                 "seq", "uses", "grad")

    @property
    def parents(self) -> tuple[Node | Tensor | None, ...]:
        """The parent of each input (see above)."""
        if self.y_parent is _NO_INPUT:
            return (self.x_parent,)
        return (self.x_parent, self.y_parent)

    @property
    def inputs(self) -> tuple[Any, ...]:
        """The value of each input, as kept for the VJP (see above)."""
        if self.y_parent is _NO_INPUT:
            return (self.x_value,)
        return (self.x_value, self.y_value)

    def __repr__(self) -> str:
        return f"Node({self.op.name!r}, inputs={len(self.parents)})"


class _NoInput:
    """The type of _NO_INPUT, the second input of a one-input primitive."""

    def __repr__(self) -> str:
        return "_NO_INPUT"

    def __reduce__(self) -> str:
        return "_NO_INPUT"  # copies and pickles of a graph keep the one marker


_NO_INPUT = _NoInput()


@functools.lru_cache(maxsize=None)
def _nan(dtype: np.dtype) -> np.ndarray:
    return np.full((), np.nan, dtype)


@functools.lru_cache(maxsize=1024)
def _stand_in(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    # read-only, every entry the one NaN: a VJP that reads it by mistake gives NaN
    return np.broadcast_to(_nan(dtype), shape)


# Arrays with fewer entries than this are kept whole even when no VJP reads them
# (unless they are views of a larger array): that costs little memory, and less
# time than making a stand-in.
_STAND_IN_MIN_SIZE = 1024


def _shape_only(value: Any) -> Any:
    """What a node keeps of a value whose entries its VJP does not read: for a large
    array (or a view of one), a stand-in of the same shape and dtype that takes no
    memory, so the array itself is freed when the program drops it; anything else
    as it is."""
    if type(value) is not _ndarray:
        return value
    memory = value if value.base is None else value.base
    if getattr(memory, "size", 0) < _STAND_IN_MIN_SIZE:
        return value
    return _stand_in(value.shape, value.dtype)


def _is_stand_in(value: Any) -> bool:
    return type(value) is _ndarray and value.base is _nan(value.dtype)


def _holds_stand_ins(node: Node) -> bool:
    """Whether `node` kept only the shape of some value (see Node)."""
    return any(map(_is_stand_in, (node.out, *node.inputs)))


@contextlib.contextmanager
def keep_values() -> Iterator[None]:
    """``with keep_values():`` operations record nodes that keep every value, not only
    those their VJP reads: :func:`vjpgrad.draw_graph` then shows every value, and
    :func:`vjpgrad.check_grad` (which uses it) can re-check each node's VJP."""
    global _KEEP_ALL_VALUES
    saved, _KEEP_ALL_VALUES = _KEEP_ALL_VALUES, True
    try:
        yield
    finally:
        _KEEP_ALL_VALUES = saved


def _operand(x: Any) -> tuple[Any, Any]:
    """(value, parent) of one operand.  The parent is what the graph links to:
    the Node that computed x, or x itself if it is a leaf; None if x needs no
    gradient (a constant, or a Tensor with requires_grad=False)."""
    if isinstance(x, Tensor):
        if not x.requires_grad:
            return x.value, None
        return x.value, (x if x._node is None else x._node)
    return _constant(x), None


def _record(t: Tensor, op: Primitive, x_parent: Any, x_value: Any,
            y_parent: Any = _NO_INPUT, y_value: Any = _NO_INPUT,
            params: dict | None = None) -> None:
    """Make t the output of a new node: primitive `op` applied to inputs
    with these parents and values (see Node).  The node keeps the values
    that op's VJP reads (every value inside keep_values())."""
    node = _new(Node)
    node.op = op
    node.params = params
    node.x_parent = x_parent
    node.y_parent = y_parent
    if _KEEP_ALL_VALUES or op.reads_output:
        node.out = t.value
    else:
        node.out = _shape_only(t.value)
    if _KEEP_ALL_VALUES or op.reads_inputs:
        node.x_value, node.y_value = x_value, y_value
    else:
        node.x_value, node.y_value = _shape_only(x_value), _shape_only(y_value)
    node.seq = _next_seq()
    node.uses = 0
    node.grad = None
    if type(x_parent) is Node:
        x_parent.uses += 1
    if type(y_parent) is Node:
        y_parent.uses += 1
    t.requires_grad = True
    t._node = node


def _unary(op: Primitive, x: Tensor, params: dict | None = None) -> Tensor:
    """Apply a one-input primitive to Tensor x."""
    v = x.value
    out = op.forward(v) if params is None else op.forward(v, **params)
    if type(out) is not _ndarray:
        out = _asarray(out)  # NumPy returns scalars for 0-d results
    t = _new(Tensor)  # _leaf(out, False), inline: this is the hot path
    t.value, t._grad, t.requires_grad, t._node = out, None, False, None
    if x.requires_grad and _GRAD_ENABLED:
        _record(t, op, x if x._node is None else x._node, v, params=params)
    return t


def _binary(op: Primitive, a: Any, b: Any) -> Tensor:
    """Apply binary primitive `op`; either side may be a Tensor or constant."""
    av, a_parent = _operand(a)
    bv, b_parent = _operand(b)
    t = _leaf(_asarray(op.forward(av, bv)), False)
    if (a_parent is not None or b_parent is not None) and _GRAD_ENABLED:
        _record(t, op, a_parent, av, b_parent, bv)
    return t


def _binary_method(op: Primitive, reflected: bool = False) -> Callable[[Tensor, Any], Tensor]:
    """The Tensor method ``self <op> other`` (or ``other <op> self`` when reflected).

    The steps of `_binary`, with the common cases first: operators are the hot path.
    """

    def method(self: Tensor, other: Any) -> Tensor:
        kind = type(other)
        if kind is float or kind is int:
            ov, o_parent = other, None
        elif kind is Tensor:
            ov = other.value
            o_parent = None if not other.requires_grad else (
                other if other._node is None else other._node)
        else:
            ov, o_parent = _operand(other)
        sv = self.value
        s_parent = None if not self.requires_grad else (
            self if self._node is None else self._node)
        out = op.forward(ov, sv) if reflected else op.forward(sv, ov)
        if type(out) is not _ndarray:
            out = _asarray(out)
        t = _new(Tensor)  # _leaf(out, False), inline
        t.value, t._grad, t.requires_grad, t._node = out, None, False, None
        if (s_parent is not None or o_parent is not None) and _GRAD_ENABLED:
            if reflected:
                _record(t, op, o_parent, ov, s_parent, sv)
            else:
                _record(t, op, s_parent, sv, o_parent, ov)
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
    values, parents = zip(*map(_operand, inputs))
    t = _leaf(_float_array(prim.forward(*values, **params), f"result of {prim.name!r}"), False)
    if _GRAD_ENABLED and any(p is not None for p in parents):
        if len(inputs) == 1:
            _record(t, prim, parents[0], values[0], params=params or None)
        else:
            _record(t, prim, parents[0], values[0], parents[1], values[1], params or None)
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

    __slots__ = ("value", "_grad", "requires_grad", "_node")

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
        self._grad: np.ndarray | None = None
        self.requires_grad: bool = bool(requires_grad)
        self._node: Node | None = None

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
    def grad(self) -> np.ndarray | None:
        """d(output)/d(self) after ``output.backward()``: summed over calls for a leaf;
        for a computed Tensor, kept (on its node) only by ``backward(retain_grads=True)``."""
        return self._grad if self._node is None else self._node.grad

    @grad.setter
    def grad(self, value: np.ndarray | None) -> None:
        if self._node is None:
            self._grad = value
        else:
            self._node.grad = value

    @property
    def node(self) -> Node | None:
        """The operation node that computed this Tensor (None for a leaf)."""
        return self._node

    @property
    def op(self) -> str | None:
        """Name of the primitive that computed this Tensor (None for a leaf)."""
        return None if self._node is None else self._node.op.name

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    @property
    def parents(self) -> tuple[Node | Tensor | None, ...]:
        """``node.parents``: per input of the operation that computed this Tensor, the
        Node that computed that input, the input itself if it is a leaf that needs a
        gradient, or None; () for a leaf."""
        return () if self._node is None else self._node.parents

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
        if self._node is not None:
            tail = f", op={self._node.op.name!r}"
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


def _store_grad(t: Tensor | Node, dtype: np.dtype, g: Any, handed_out: set) -> None:
    """Add g to t.grad (a leaf's, or a node's).  A stored gradient is a writable array
    of `dtype` that shares no memory with any other gradient given out by this backward
    pass (`handed_out` holds their ids and their bases' ids), so the user may modify
    it in place."""
    if t.grad is not None:
        t.grad = g = (t.grad + g).astype(dtype, copy=False)
    elif (type(g) is not _ndarray or g.dtype != dtype or not g.flags.writeable
            or id(g) in handed_out or (g.base is not None and id(g.base) in handed_out)):
        t.grad = g = np.array(g, dtype=dtype)
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
    if root._node is None:  # a leaf: d root / d root = seed
        if only is None or id(root) in only:
            _store_grad(root, root.value.dtype, seed, handed_out)
        return
    stack: list = []  # (node, its complete gradient)
    heap: list = []  # (sequence number, id, node): the id breaks ties
    grads: dict[Node, Any] = {}
    leaves: dict[Tensor, Any] = {}  # leaf gradients, stored at the end
    node, g = root._node, seed
    while True:
        if retain:  # keep the intermediate gradient, as the node's .grad
            _store_grad(node, node.out.dtype, g, handed_out)
        next_node = next_g = None  # a parent whose gradient is now complete
        for p, gp in _parent_gradients(node, g):
            if type(p) is Tensor:  # a leaf
                prev = leaves.get(p)
                leaves[p] = gp if prev is None else prev + gp
            elif p.uses == 1:  # its only use: the gradient is complete
                if next_node is None:
                    next_node, next_g = p, gp
                else:
                    stack.append((p, gp))
            else:
                prev = grads.get(p)
                if prev is None:
                    grads[p] = gp
                    heapq.heappush(heap, (p.seq, id(p), p))
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
            _store_grad(leaf, leaf.value.dtype, g, handed_out)


def _parent_gradients(node: Node, g: np.ndarray) -> list[tuple[Any, Any]]:
    """(parent, gradient) for each parent of `node`: the node's VJP at
    upstream gradient g."""
    op, x, y, out = node.op, node.x_parent, node.y_parent, node.out
    if not op.trusted:  # a user's primitive: its VJP is checked
        return _user_parent_gradients(node, g)
    if y is _NO_INPUT:  # one input, so x is the parent
        if node.params is None:
            return [(x, op.vjp(g, out, node.x_value)[0])]
        return [(x, op.vjp(g, out, node.x_value, **node.params)[0])]
    if op.partials is not None:  # compute only the gradient that is needed
        if y is None:  # y needs no gradient (a constant), so x is the parent
            return [(x, op.partials[0](g, out, node.x_value, node.y_value))]
        if x is None:  # and vice versa
            return [(y, op.partials[1](g, out, node.x_value, node.y_value))]
    grads = op.vjp(g, out, node.x_value, node.y_value, **(node.params or {}))
    return [(p, gp) for p, gp in zip((x, y), grads) if p is not None]


def _user_parent_gradients(node: Node,
                           g: np.ndarray) -> list[tuple[Any, Any]]:
    """`_parent_gradients` for a primitive registered by the user: its VJP gets
    ndarrays (also for constants) and a read-only g (other parents may share
    it), and must return one gradient per input, shaped like it."""
    op, out, inputs = node.op, node.out, node.inputs
    if _holds_stand_ins(node):
        raise RuntimeError(
            f"this graph was recorded while {op.name!r} kept only the shapes of its values, "
            f"and its VJP has been replaced since: run the computation again (e.g. inside "
            f"override_vjp({op.name!r}, ...)) before calling backward()")
    args = [_asarray(a, dtype=np.float64) if type(a) is not _ndarray else a
            for a in inputs]
    g = _asarray(g).view()
    g.flags.writeable = False
    try:
        grads = op.vjp(g, out, *args, **(node.params or {}))
    except ValueError as error:
        if "read-only" not in str(error):
            raise
        raise ValueError(f"the VJP of {op.name!r} modifies its argument g in "
                         f"place ({error}); return new arrays instead") from error
    grads = _checked(op, node.parents, args, grads)
    return [(p, gp) for p, gp in zip(node.parents, grads) if p is not None]


def _checked(op: Primitive, parents: tuple, args: list, grads: Any) -> list:
    """A VJP must return one gradient per input, shaped like it (checked for user VJPs);
    the gradients of parents come back as float arrays."""
    grads = list(grads)
    if len(grads) != len(args):
        raise ValueError(f"the VJP of {op.name!r} returned {len(grads)} gradients for {len(args)} inputs")
    for k, (p, a) in enumerate(zip(parents, args)):
        if p is None:
            continue
        gx = grads[k] = _float_array(grads[k], f"gradient returned by the VJP of {op.name!r}")
        if gx.shape != a.shape:
            raise ValueError(
                f"the VJP of {op.name!r} returned a gradient of shape {gx.shape} "
                f"for an input of shape {a.shape}"
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
