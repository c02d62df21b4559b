"""Gradients of functions: ``grad(f)`` and ``value_and_grad(f)``, as in HIPS
autograd, and ``vjp(f, *inputs)``, as in JAX."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .backward import backward_pass
from .graph import Node, enable_grad
from .tensor import Tensor, apply

__all__ = ["grad", "value_and_grad", "vjp"]


def _constant_tensor(a: Any) -> Any:
    """An argument that is not differentiated: a float array (or Tensor)
    becomes a Tensor that needs no gradient; anything else (labels,
    hyperparameters) stays as it is."""
    if isinstance(a, Tensor) or (
        isinstance(a, np.ndarray) and a.dtype.kind == "f"
    ):
        return Tensor(a, requires_grad=False)
    return a


def _positions(argnum: int | Sequence[int], n_args: int) -> tuple[int, ...]:
    """The positions `argnum` names (an int or ints; negative from the end)."""
    positions = []
    for num in argnum if isinstance(argnum, (tuple, list)) else (argnum,):
        num = operator.index(num)
        if not -n_args <= num < n_args:
            raise ValueError(
                f"argnum {num} is out of range for a call with {n_args} "
                "positional arguments"
            )
        positions.append(num % n_args)
    return tuple(positions)


def value_and_grad(
    f: Callable[..., Tensor], argnum: int | Sequence[int] = 0
) -> Callable[..., tuple[Any, Any]]:
    """A function computing ``(f(*args), df/dargs[argnum])`` as ndarrays.

    ``f`` maps Tensors to a one-element Tensor.  The new function takes arrays
    or numbers: argument ``argnum`` (an int, or a tuple of ints for a tuple of
    gradients) becomes a Tensor that requires a gradient, other float arrays
    become Tensors that do not, and anything else (integer labels,
    hyperparameters) is passed as it is.  Tensors that ``f`` uses from outside
    keep their ``.grad``.
    """
    single = not isinstance(argnum, (tuple, list))

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        positions = _positions(argnum, len(args))
        targs = [
            Tensor(a) if i in positions else _constant_tensor(a)
            for i, a in enumerate(args)
        ]
        with enable_grad():
            out = f(
                *targs, **{k: _constant_tensor(a) for k, a in kwargs.items()}
            )
        if not isinstance(out, Tensor):
            raise TypeError(
                f"f must return a Tensor, not {type(out).__name__}"
            )
        if out.size != 1:
            raise ValueError(
                "f must return a one-element Tensor, not one of shape "
                f"{out.shape}"
            )
        differentiated = [targs[i] for i in positions]
        if out.requires_grad:
            out.backward(inputs=differentiated)
        grads = tuple(
            t.grad if t.grad is not None else np.zeros_like(t.value)
            for t in differentiated
        )
        return out.value, grads[0] if single else grads

    return wrapped


def grad(
    f: Callable[..., Tensor], argnum: int | Sequence[int] = 0
) -> Callable[..., Any]:
    """A function computing ``df/dargs[argnum]`` as an ndarray.

    See value_and_grad.
    """
    value_and_gradient = value_and_grad(f, argnum)

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return value_and_gradient(*args, **kwargs)[1]

    return wrapped


def vjp(
    f: Callable[..., Tensor] | type[Node], *inputs: Any, **params: Any
) -> tuple[np.ndarray, Callable[[Any], tuple[np.ndarray, ...]]]:
    """``(f(*inputs), vjp_f)``: the output as an array, and the VJP of ``f`` at
    ``inputs``, a function that takes an array ``g`` shaped like the output and
    returns one gradient per input, ``gᵀ ∂f/∂input`` (as ``jax.vjp`` does).

    ``f`` maps Tensors to a Tensor, or is a primitive (a Node subclass),
    applied to the inputs with ``params`` (``vjp(Sum, x, axis=1)``).
    """
    leaves = [Tensor(x) for x in inputs]
    out: object
    with enable_grad():
        if isinstance(f, type) and issubclass(f, Node):
            out = apply(f, *leaves, **params)
        else:
            out = f(*leaves, **params)
    if not isinstance(out, Tensor):
        raise TypeError(f"f must return a Tensor, not {type(out).__name__}")

    def vjp_f(g: Any) -> tuple[np.ndarray, ...]:
        seed = np.asarray(g, dtype=out.dtype)
        if seed.shape != out.shape:
            raise ValueError(
                f"g has shape {seed.shape}, but the output has shape "
                f"{out.shape}"
            )
        # (an f that returns one of its inputs unchanged is the identity there)
        grads = (
            {out: seed} if out.node is None else backward_pass(out.node, seed)
        )
        return tuple(
            np.asarray(grads[t]) if t in grads else np.zeros_like(t.value)
            for t in leaves
        )

    return out.value, vjp_f
