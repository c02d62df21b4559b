"""The Tensor, and how an operation on Tensors becomes a recorded node.

A :class:`Tensor` wraps an ndarray.  Its operators and methods all go through
:func:`apply`, which runs a primitive's forward on the values and, when an
input needs a gradient, records a :class:`~vjpgrad.graph.Node` that the result
points to.  :meth:`Tensor.backward` runs the reverse pass
(:mod:`vjpgrad.backward`) from there and adds the gradients it returns into
the ``.grad`` of the leaves.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .backward import backward_pass, topological_order
from .graph import Node, _recording
from .primitives import (
    Add,
    Divide,
    Exp,
    Getitem,
    Log,
    Logsumexp,
    Matmul,
    Max,
    Maximum,
    Mean,
    Multiply,
    Negative,
    Power,
    Relu,
    Reshape,
    Sigmoid,
    Subtract,
    Sum,
    Tanh,
    Transpose,
)

__all__ = ["Tensor", "apply"]


def apply(primitive: type[Node], *inputs: Any, **params: Any) -> Tensor:
    """Apply `primitive` (a Node subclass) to `inputs`, Tensors or constants:
    compute the result from their values and, if an input needs a gradient,
    record the operation as a node that the result points to."""
    if len(inputs) != len(getattr(primitive, "vjps", ())):
        raise _wrong_arguments(primitive, inputs)
    # per input: its value, and its parent (None: no gradient)
    values: list[Any] = []
    parents: list[Node | Tensor | None] = []
    needs_gradient = False
    for x in inputs:
        if type(x) is not Tensor:  # a constant
            values.append(_constant(x))
            parents.append(None)
        elif x.requires_grad:
            values.append(x._value)
            # the parent: the node that computed x, or x if a leaf
            parents.append(x._node or x)
            needs_gradient = True
        else:
            values.append(x._value)
            parents.append(None)
    try:
        result = _computed(primitive.forward(*values, **params))
    except (ValueError, TypeError, IndexError) as error:
        raise _explained(error, primitive, values) from error
    if needs_gradient and _recording.enabled:
        node = primitive(tuple(parents), result._value)
        node.save(result._value, *values, **params)  # what its VJPs will read
        if _recording.keep_values:
            node.values = (result._value, values, params)
        result._node, result.requires_grad = node, True
    return result


def _wrong_arguments(primitive: Any, inputs: tuple[Any, ...]) -> TypeError:
    """The error for `apply` given something that is not a primitive (a Node
    subclass), or not one input per VJP (NumPy's functions would take a
    further input as their output array)."""
    if not (isinstance(primitive, type) and issubclass(primitive, Node)):
        return TypeError(
            f"apply takes a primitive class (a subclass of vjpgrad.Node, such "
            f"as vjpgrad.PRIMITIVES['exp']), not {primitive!r}"
        )
    return TypeError(
        f"{primitive.name!r} takes {len(primitive.vjps)} input(s), got "
        f"{len(inputs)}; pass other arguments as keyword parameters"
    )


def _computed(value: Any) -> Tensor:
    """A new Tensor for a value that vjpgrad computed (no checks).

    `apply` may record it.
    """
    t = Tensor.__new__(Tensor)
    # not a scalar
    t._value = value if type(value) is np.ndarray else np.asarray(value)
    t._grad, t.requires_grad, t._node = None, False, None
    return t


def _constant(c: Any) -> Any:
    """The value of an operand that is not a Tensor: a Python number as it is,
    anything else as an array of real numbers."""
    if type(c) is float or type(c) is int:
        return c
    array = np.asarray(c)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"an operand of dtype {array.dtype} ({type(c).__name__}): "
            "vjpgrad computes with real numbers"
        )
    return array


def _explained(
    error: Exception, primitive: type[Node], values: list[Any]
) -> Exception:
    """An exception like `error` from a primitive's forward that says which
    primitive it was, and the shapes of its inputs."""
    shapes = ", ".join(str(np.shape(v)) for v in values)
    message = f"{primitive.name} of shapes {shapes}: {error}"
    for kind in (type(error), IndexError, TypeError, ValueError):
        if isinstance(error, kind):
            try:
                return kind(message)
            except TypeError:  # an exception class that takes other arguments
                continue
    return error


def _float_array(value: Any, what: str) -> np.ndarray:
    """np.asarray(value) as a real floating-point array.

    Integers and bools become float64.
    """
    if isinstance(value, Tensor):
        value = value._value
    array = np.asarray(value)
    if array.dtype.kind == "f":
        return array
    if array.dtype.kind in "biu":
        return array.astype(np.float64)
    raise TypeError(
        f"the {what} must be real numbers, not {array.dtype} "
        f"({type(value).__name__} given)"
    )


def _axis(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def _shape_arg(shape: tuple[Any, ...]) -> Any:
    """Accept both f(2, 3) and f((2, 3))."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return shape


def _index(i: Any) -> Any:
    """One part of an index: an array or list is copied, so changing the
    caller's index array after the operation cannot move the gradient."""
    if isinstance(i, Tensor):
        raise TypeError(
            "index with integers or a boolean array, not a Tensor (a Tensor "
            "holds floats): use e.g. t[idx.value.astype(int)]"
        )
    if isinstance(i, (list, np.ndarray)):
        i = np.array(i)
        # an empty list is an empty index, not an array of floats
        return i.astype(np.intp) if i.size == 0 else i
    return i


class Tensor:
    """An array that records the operations applied to it, for reverse-mode
    differentiation.

    ``Tensor(value, requires_grad=True)`` wraps ``np.asarray(value)``
    (integers and bools become float64).  After ``loss.backward()``, every
    leaf Tensor that requires a gradient has ``dloss/dleaf`` added to its
    ``.grad``.
    """

    __slots__ = ("_value", "_grad", "requires_grad", "_node")

    # Operands are often ndarrays: `ndarray * Tensor` must call
    # Tensor.__rmul__, rather than NumPy turning the Tensor into an array.
    __array_ufunc__ = None

    def __init__(self, value: Any, requires_grad: bool = True) -> None:
        self._value: np.ndarray = _float_array(value, "value")
        self._grad: np.ndarray | None = None
        self.requires_grad: bool = bool(requires_grad)
        # the operation that computed it; None for a leaf
        self._node: Node | None = None

    # ---- operators: each applies a primitive --------------------------------
    def __add__(self, other: Any) -> Tensor:
        return apply(Add, self, other)

    def __radd__(self, other: Any) -> Tensor:
        return apply(Add, other, self)  # other + self, other not a Tensor

    def __mul__(self, other: Any) -> Tensor:
        return apply(Multiply, self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return apply(Multiply, other, self)

    def __sub__(self, other: Any) -> Tensor:
        return apply(Subtract, self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return apply(Subtract, other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return apply(Divide, self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return apply(Divide, other, self)

    def __pow__(self, other: Any) -> Tensor:
        return apply(Power, self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return apply(Power, other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return apply(Matmul, self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return apply(Matmul, other, self)

    def __neg__(self) -> Tensor:
        return apply(Negative, self)

    def __pos__(self) -> Tensor:
        return self

    def __getitem__(self, index: Any) -> Tensor:
        index = (
            tuple(map(_index, index))
            if isinstance(index, tuple)
            else _index(index)
        )
        return apply(Getitem, self, index=index)

    # ---- element-wise functions ---------------------------------------------
    def exp(self) -> Tensor:
        return apply(Exp, self)

    def log(self) -> Tensor:
        return apply(Log, self)

    def tanh(self) -> Tensor:
        return apply(Tanh, self)

    def sigmoid(self) -> Tensor:
        return apply(Sigmoid, self)

    def relu(self) -> Tensor:
        return apply(Relu, self)

    def maximum(self, other: Any) -> Tensor:
        """Element-wise maximum with broadcasting.

        At a tie each side gets half the gradient.
        """
        return apply(Maximum, self, other)

    # ---- reductions ---------------------------------------------------------
    def sum(
        self, axis: int | Sequence[int] | None = None, keepdims: bool = False
    ) -> Tensor:
        return apply(Sum, self, axis=_axis(axis), keepdims=keepdims)

    def mean(
        self, axis: int | Sequence[int] | None = None, keepdims: bool = False
    ) -> Tensor:
        return apply(Mean, self, axis=_axis(axis), keepdims=keepdims)

    def max(
        self, axis: int | Sequence[int] | None = None, keepdims: bool = False
    ) -> Tensor:
        """Maximum along `axis`; tied maxima share the gradient evenly."""
        return apply(Max, self, axis=_axis(axis), keepdims=keepdims)

    def logsumexp(
        self, axis: int | Sequence[int] | None = None, keepdims: bool = False
    ) -> Tensor:
        """log(sum(exp(x))) along `axis`, computed stably for large entries."""
        return apply(Logsumexp, self, axis=_axis(axis), keepdims=keepdims)

    # ---- shape --------------------------------------------------------------
    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        return apply(Reshape, self, shape=_shape_arg(shape))

    def transpose(self, *axes: int | Sequence[int] | None) -> Tensor:
        axes = _shape_arg(axes)
        # t.transpose() and t.transpose(None): all axes reversed
        if axes in ((), (None,)):
            return apply(Transpose, self, axes=None)
        return apply(Transpose, self, axes=tuple(axes))

    @property
    def T(self) -> Tensor:
        """The transpose (all axes reversed)."""
        return self.transpose()

    # ---- the array ----------------------------------------------------------
    @property
    def value(self) -> np.ndarray:
        """The array this Tensor holds."""
        return self._value

    @value.setter
    def value(self, value: Any) -> None:
        if self._node is not None:
            raise AttributeError(
                f"the value of a Tensor computed by {self.op!r} cannot be "
                "set (the graph depends on it); set a leaf's value"
            )
        self._value = _float_array(value, "value")

    @property
    def shape(self) -> tuple[int, ...]:
        return self._value.shape

    @property
    def ndim(self) -> int:
        return self._value.ndim

    @property
    def size(self) -> int:
        return self._value.size

    @property
    def dtype(self) -> np.dtype:
        return self._value.dtype

    def __init_subclass__(cls, **kwargs: Any) -> None:
        raise TypeError(
            "vjpgrad.Tensor cannot be subclassed (vjpgrad tests "
            "`type(x) is Tensor`); keep a Tensor as an attribute instead"
        )

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError(
            "a Tensor is not turned into an ndarray implicitly (that would "
            "cut it from the graph): use t.value for its array, or Tensor "
            "methods"
        )

    def __array_function__(
        self, func: Any, types: Any, args: Any, kwargs: Any
    ) -> Any:
        """NumPy functions (np.mean(t), ...) do not take Tensors: the error
        says what to use instead.  np.shape, np.ndim and np.size do."""
        if func in (np.shape, np.ndim, np.size):
            return func(self._value, *args[1:], **kwargs)
        name = func.__name__
        instead = (
            f"t.{name}(...) to stay differentiable, or "
            if hasattr(Tensor, name)
            else ""
        )
        raise TypeError(
            f"np.{name} does not take a vjpgrad Tensor (it would be cut from "
            f"the graph): use {instead}np.{name}(t.value) for a plain array"
        )

    def item(self) -> float:
        """The value of a one-element Tensor as a Python float."""
        return self._value.item()

    def __len__(self) -> int:
        return len(self._value)

    def __iter__(self) -> Iterator[Tensor]:
        """t[0], t[1], ... (differentiable): its rows, as for an array."""
        if self._value.ndim == 0:
            raise TypeError("iteration over a 0-d Tensor")
        return (self[i] for i in range(len(self._value)))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        body = np.array2string(
            self._value,
            precision=4,
            separator=", ",
            threshold=20,
            edgeitems=3,
            prefix="Tensor(",
        )
        if self._node is not None:
            tail = f", op={self._node.name!r}"
        else:
            tail = f", requires_grad={self.requires_grad}"
        if self._value.dtype != np.float64:
            tail += f", dtype={self._value.dtype}"
        return f"Tensor({body}{tail})"

    # ---- comparisons: boolean ndarrays, as in NumPy (they have no gradient)
    def __lt__(self, other: Any) -> np.ndarray:
        return self._value < _plain(other)

    def __le__(self, other: Any) -> np.ndarray:
        return self._value <= _plain(other)

    def __gt__(self, other: Any) -> np.ndarray:
        return self._value > _plain(other)

    def __ge__(self, other: Any) -> np.ndarray:
        return self._value >= _plain(other)

    def __eq__(self, other: Any) -> np.ndarray:  # type: ignore[override]
        return self._value == _plain(other)

    def __ne__(self, other: Any) -> np.ndarray:  # type: ignore[override]
        return self._value != _plain(other)

    # by identity: the reverse pass keys dicts on Tensors
    __hash__ = object.__hash__

    # ---- the graph ----------------------------------------------------------
    @property
    def node(self) -> Node | None:
        """The Node of the operation that computed it (None for a leaf)."""
        return self._node

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    @property
    def op(self) -> str | None:
        """The name of the primitive that computed it (None for a leaf)."""
        return None if self._node is None else self._node.name

    @property
    def parents(self) -> tuple[Node | Tensor | None, ...]:
        """The parents of its node: per input that needs a gradient, the Node
        that computed it or the leaf Tensor itself; () for a leaf."""
        return () if self._node is None else self._node.parents

    def detach(self) -> Tensor:
        """A new leaf holding the same array, cut from the graph.

        Its requires_grad is False.
        """
        return _computed(self._value)

    def __reduce__(self) -> Any:
        if self._node is not None:
            raise TypeError(
                f"a Tensor computed by {self.op!r} is not copied or pickled "
                "with its graph: copy t.detach() (its value), or the leaves, "
                "and compute it again"
            )
        state = {"requires_grad": self.requires_grad, "grad": self._grad}
        return (_leaf, (self._value, state))

    # ---- gradients ----------------------------------------------------------
    @property
    def grad(self) -> np.ndarray | None:
        """d(output)/d(self), added up over backward() calls; for a computed
        Tensor only with backward(retain_grads=True), or when it is one of
        backward's `inputs`."""
        return self._grad if self._node is None else self._node.grad

    @grad.setter
    def grad(self, grad: Any) -> None:
        if grad is not None:
            grad = np.array(_float_array(grad, "gradient"), dtype=self.dtype)
            if grad.shape != self.shape:
                raise ValueError(
                    f"a gradient of shape {grad.shape} for a Tensor of "
                    f"shape {self.shape}"
                )
        if self._node is None:
            self._grad = grad
        else:
            self._node.grad = grad

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (the same as ``t.grad = None``)."""
        self.grad = None

    def backward(
        self,
        gradient: Any = None,
        retain_grads: bool = False,
        inputs: Tensor | Sequence[Tensor] | None = None,
    ) -> None:
        """Add d(self)/d(leaf) to ``.grad`` of each leaf that needs a gradient.

        ``gradient`` is dl/d(self), the vector of the vector-Jacobian product;
        it may be left out for a one-element Tensor (it is then 1).  With
        ``retain_grads=True``, computed Tensors keep their gradient too.  With
        ``inputs`` (a Tensor or a list of them, leaves or not), only those get
        a gradient, as in PyTorch.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a Tensor that does not require a gradient: no "
                "input of its computation requires one (or it ran in no_grad)"
            )
        seed = self._seed(gradient)
        targets = _targets(inputs)
        if self._node is None:  # a leaf: d self / d self is the seed
            grads: dict[Any, Any] = {self: seed}
        else:
            keep = (
                set(topological_order(self._node))
                if retain_grads
                else {t._node for t in targets or () if t._node is not None}
            )
            grads = backward_pass(self._node, seed, keep)
        _store_gradients(grads, targets)

    def _seed(self, gradient: Any) -> np.ndarray:
        if gradient is None:
            if self._value.size != 1:
                raise ValueError(
                    "backward() without `gradient` needs a one-element "
                    f"Tensor; this one has shape {self.shape}: pass "
                    f"gradient=<array of shape {self.shape}>"
                )
            return np.ones(self.shape, self.dtype)
        # a copy
        seed = np.array(_float_array(gradient, "gradient"), dtype=self.dtype)
        if seed.shape != self.shape:
            raise ValueError(
                f"gradient has shape {seed.shape}, but the Tensor has shape "
                f"{self.shape}"
            )
        return seed


def _plain(x: Any) -> Any:
    return x._value if isinstance(x, Tensor) else x


def _leaf(value: np.ndarray, state: dict[str, Any]) -> Tensor:
    """A leaf Tensor, as pickled."""
    t = Tensor(value, state["requires_grad"])
    t._grad = state["grad"]
    return t


def _targets(inputs: Tensor | Sequence[Tensor] | None) -> list[Tensor] | None:
    """backward's `inputs`, checked: a Tensor or a non-empty list of Tensors
    that require a gradient (None: every leaf)."""
    if inputs is None:
        return None
    targets = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if not targets:
        raise ValueError(
            "backward(inputs=[]): name at least one Tensor, "
            "or leave inputs out"
        )
    for t in targets:
        if not isinstance(t, Tensor):
            raise TypeError(
                f"backward(inputs=...) takes Tensors, not {type(t).__name__}"
            )
        if not t.requires_grad:
            raise ValueError(
                "backward(inputs=...) names a Tensor that does not require a "
                "gradient"
            )
    return targets


def _store_gradients(
    grads: dict[Any, Any], targets: list[Tensor] | None
) -> None:
    """Add the gradients of a reverse pass to ``.grad``: of every leaf (and
    retained node) in `grads`, or of the `targets` only."""
    if targets is not None:
        wanted = {t if t._node is None else t._node for t in targets}
        grads = {key: g for key, g in grads.items() if key in wanted}
    handed_out: set[int] = set()  # ids of the arrays stored so far
    for key, g in grads.items():
        dtype = key.dtype
        if key.grad is not None:
            g = (key.grad + g).astype(dtype, copy=False)
        elif (
            type(g) is not np.ndarray
            or g.dtype != dtype
            or not g.flags.writeable
            or g.base is not None
            or id(g) in handed_out
        ):
            # its own writable array, shared with nothing
            g = np.array(g, dtype=dtype)
        handed_out.add(id(g))
        if type(key) is Tensor:
            key._grad = g
        else:
            key.grad = g
