"""Primitives of your own: register them, or try another VJP, with checks.

vjpgrad's own VJPs are verified by its tests and run as they are.  A
primitive you write (:func:`primitive`) or a VJP you try out
(:func:`override_vjp`) is wrapped, so that it receives read-only arrays (a VJP
must not change the forward pass's values, nor ``g``, which other VJPs may
share) and returns, for each input, a real gradient shaped like the input (or
with axes that broadcasting added); any mistake raises an error that names the
primitive and the input.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .graph import VJP, Node
from .primitives import PRIMITIVES

__all__ = ["primitive", "override_vjp"]


def primitive(cls: type[Node]) -> type[Node]:
    """Class decorator: register `cls`, a Node subclass, as a primitive named
    after it (in lower case), with the checks of the module docstring.

    The class defines ``forward`` (a NumPy function of the inputs),
    ``save(self, out, *inputs, **params)`` keeping what its VJPs read, and
    ``vjps``, one function ``(node, g) -> gradient`` per input.  Apply it with
    :func:`vjpgrad.apply`.
    """
    name = cls.name
    if (
        name in PRIMITIVES
        and PRIMITIVES[name].__module__ == "vjpgrad.primitives"
    ):
        raise ValueError(
            f"vjpgrad has a primitive {name!r} already: give your class "
            "another name (to try other VJPs for it, use override_vjp)"
        )
    if not isinstance(getattr(cls, "vjps", None), (tuple, list)) or not all(
        map(callable, cls.vjps)
    ):
        raise TypeError(
            f"primitive {name!r}: `vjps` must be a tuple of functions "
            "(node, g) -> gradient, one per input"
        )
    cls.forward = _checked_forward(name, cls.forward, len(cls.vjps))
    cls.save = _checked_save(name, cls.save)  # type: ignore[method-assign]
    cls.vjps = tuple(
        _checked_vjp(name, k, vjp) for k, vjp in enumerate(cls.vjps)
    )
    PRIMITIVES[name] = cls
    return cls


@contextlib.contextmanager
def override_vjp(name: str, *vjps: VJP | None) -> Iterator[type[Node]]:
    """``with override_vjp(name, vjp_x, ...):`` primitive `name` uses these
    VJPs, one per input (None keeps that input's own), checked as for
    :func:`primitive`."""
    if name not in PRIMITIVES:
        raise KeyError(
            f"no primitive named {name!r}; the names are those of the classes "
            f"in lower case: {', '.join(sorted(PRIMITIVES))}"
        )
    cls = PRIMITIVES[name]
    saved = cls.vjps
    if len(vjps) != len(saved):
        raise TypeError(
            f"override_vjp({name!r}, ...): {name!r} has {len(saved)} "
            f"input(s), so give {len(saved)} VJP(s) (None keeps one), "
            f"not {len(vjps)}"
        )
    cls.vjps = tuple(
        own if new is None else _checked_vjp(name, k, new)
        for k, (own, new) in enumerate(zip(saved, vjps))
    )
    try:
        yield cls
    finally:
        cls.vjps = saved


def _read_only(a: Any) -> Any:
    """A read-only view of an array (anything else as it is)."""
    if isinstance(a, np.ndarray) and a.flags.writeable:
        a = a.view()
        a.flags.writeable = False
    return a


def _copied(value: Any) -> Any:
    """An array parameter copied: a later change cannot move the gradient."""
    return np.array(value) if isinstance(value, np.ndarray) else value


def _checked_forward(
    name: str, forward: Callable[..., Any], n_inputs: int
) -> Any:
    """`forward`, checked: one input per VJP, and a real result."""

    def checked(*inputs: Any, **params: Any) -> np.ndarray:
        if len(inputs) != n_inputs:
            raise TypeError(
                f"{name!r} takes {n_inputs} input(s), got {len(inputs)}; "
                "pass other arguments as keyword parameters"
            )
        out = np.asarray(forward(*inputs, **params))
        if out.dtype.kind not in "biuf":
            raise TypeError(
                f"the forward of {name!r} returned {out.dtype}: vjpgrad "
                "differentiates functions with real values"
            )
        return out if out.dtype.kind == "f" else out.astype(np.float64)

    return staticmethod(checked)


def _checked_save(name: str, save: Callable[..., None]) -> Callable[..., None]:
    """`save`, given read-only arrays and copies of array parameters."""

    def checked(self: Node, out: Any, *inputs: Any, **params: Any) -> None:
        params = {key: _copied(value) for key, value in params.items()}
        try:
            save(
                self,
                _read_only(out),
                *(_read_only(np.asarray(x)) for x in inputs),
                **params,
            )
        except ValueError as error:
            if "read-only" not in str(error):
                raise
            raise ValueError(
                f"the save of {name!r} modifies an array in place ({error}): "
                "keep the values as they are, or new arrays"
            ) from error

    return checked


def _checked_vjp(name: str, k: int, vjp: VJP) -> VJP:
    """VJP `vjp` of input k of primitive `name`, with its result checked."""
    if not callable(vjp):
        raise TypeError(
            f"the VJP of {name!r} for input {k} must be a function "
            f"(node, g) -> gradient, not {type(vjp).__name__}"
        )

    def checked(node: Node, g: Any) -> Any:
        try:
            grad = vjp(node, _read_only(np.asarray(g)))
        except ValueError as error:
            if "read-only" not in str(error):
                raise
            raise ValueError(
                f"the VJP of {name!r} for input {k} modifies an array in "
                f"place ({error}); return a new array instead"
            ) from error
        if grad is None or isinstance(grad, tuple):
            raise TypeError(
                f"the VJP of {name!r} for input {k} returned "
                f"{type(grad).__name__}: return the gradient of that input, "
                "an array shaped like it"
            )
        kind = np.asarray(grad).dtype.kind
        if kind not in "biuf":
            raise TypeError(
                f"the VJP of {name!r} for input {k} returned a gradient of "
                f"dtype {np.asarray(grad).dtype}: it must be real numbers"
            )
        # shaped like the input, or with axes that broadcasting added (to be
        # summed)
        shape, grad_shape = (
            node.parents[k].shape,  # type: ignore[union-attr]
            np.shape(grad),
        )
        if not (
            _broadcasts(shape, grad_shape)
            and len(grad_shape) <= max(np.ndim(g), len(shape))
        ):
            raise ValueError(
                f"the VJP of {name!r} returned a gradient of shape "
                f"{np.shape(grad)} for input {k} of shape {shape}"
            )
        return (
            np.asarray(grad, dtype=np.float64)
            if kind != "f"
            else np.asarray(grad)
        )

    return checked


def _broadcasts(shape: tuple[int, ...], to: tuple[int, ...]) -> bool:
    """Whether an array of `shape` broadcasts to shape `to`."""
    lead = len(to) - len(shape)
    return lead >= 0 and all(n in (1, m) for n, m in zip(shape, to[lead:]))
