"""What is recorded, and when: the operation node, and the recording switches.

Each primitive is a subclass of :class:`Node`, and each recorded application
of it is an instance: the node keeps its parents and, through the primitive's
``save``, exactly the values its VJPs read (nothing else, unless recorded
inside :func:`keep_values`), so an array that no VJP reads is freed as soon as
the program drops it.

Recording is switched off by :class:`no_grad` and on again by
:class:`enable_grad`; both apply to the thread that uses them, as in PyTorch.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import itertools
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["Node", "no_grad", "enable_grad", "is_grad_enabled", "keep_values"]

# Numbers nodes in the order they are made: a node is made after its parents,
# so it has a larger number than each of them.
_creation_counter = itertools.count()

VJP = Callable[[Any, Any], Any]  # (node, g) -> the gradient of one input


class Node:
    """One recorded application of a primitive: an operation node of the
    computation graph, merged with the value node of its result.

    A primitive is a subclass that defines ``forward`` (its NumPy function),
    ``save`` (which keeps on the node what the VJPs will read) and ``vjps``,
    one VJP per input.
    """

    __slots__ = ("parents", "shape", "dtype", "created", "grad", "values")

    name: ClassVar[str]  # the primitive's name, as registered
    forward: ClassVar[Callable[..., Any]]
    # per input: (node, g) -> that input's gradient
    vjps: ClassVar[tuple[VJP, ...]]

    # per input: the Node that computed it, the input itself if it is a leaf
    # Tensor that needs a gradient, or None if it needs none (a constant, say)
    parents: tuple[Node | Tensor | None, ...]
    shape: tuple[int, ...]  # of the output
    dtype: np.dtype  # of the output
    created: int  # larger than the `created` of every parent node
    grad: np.ndarray | None  # set by backward(retain_grads=True)
    # (output, inputs, params), inside keep_values() only
    values: tuple[Any, ...] | None

    def __init__(
        self, parents: tuple[Node | Tensor | None, ...], out: np.ndarray
    ) -> None:
        self.parents = parents
        self.shape = out.shape
        self.dtype = out.dtype
        self.created = next(_creation_counter)
        self.grad = None
        self.values = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.name = cls.__name__.lower()  # Multiply -> "multiply"

    def save(self, out: Any, *inputs: Any, **params: Any) -> None:
        """Keep what the VJPs read (if they read nothing, keep nothing)."""

    def __repr__(self) -> str:
        return f"<{self.name} node, shape {self.shape}>"

    def __reduce__(self) -> Any:
        raise TypeError(
            "a recorded graph cannot be copied or pickled: copy or pickle the "
            "leaves' values, and run the computation again"
        )


class _Recording(threading.local):
    """Per thread: whether operations record nodes, whether nodes keep all
    values, and the modes that the `with` blocks in progress will restore."""

    enabled = True
    keep_values = False

    def __init__(self) -> None:
        # threading.local runs this once in each thread
        self.saved: list[bool] = []


_recording = _Recording()


def is_grad_enabled() -> bool:
    """Whether operations on Tensors record a graph (in this thread)."""
    return _recording.enabled


@contextlib.contextmanager
def keep_values() -> Iterator[None]:
    """``with keep_values():`` nodes recorded inside also keep their output,
    inputs and parameters, so that :func:`vjpgrad.draw_graph` can show them and
    :func:`vjpgrad.check_grad` can check each node's VJPs."""
    saved, _recording.keep_values = _recording.keep_values, True
    try:
        yield
    finally:
        _recording.keep_values = saved


F = TypeVar("F", bound=Callable[..., Any])


class _GradMode:
    """A context manager and decorator that switches recording on or off."""

    enabled: bool

    def __new__(cls, func: Callable[..., Any] | None = None) -> Any:
        if func is not None:  # used bare, as in `@no_grad`
            return cls()(func)
        return super().__new__(cls)

    def __init__(self, func: Callable[..., Any] | None = None) -> None:
        pass

    def __enter__(self) -> None:
        _recording.saved.append(_recording.enabled)
        _recording.enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        _recording.enabled = _recording.saved.pop()

    def __call__(self, func: F) -> F:
        mode = type(self)
        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def generator(*args: Any, **kwargs: Any) -> Any:
                # the mode holds while the generator runs, not between its
                # steps
                with mode():
                    steps = func(*args, **kwargs)
                    step = steps.send  # the first step is send(None)
                reply: Any = None
                while True:
                    try:
                        with mode():
                            item = step(reply)
                    except StopIteration as stop:
                        return stop.value
                    try:
                        reply, step = (yield item), steps.send
                    except GeneratorExit:
                        with mode():
                            steps.close()
                        raise
                    except BaseException as error:  # thrown in: pass it on
                        reply, step = error, steps.throw

            return generator  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with mode():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """``with no_grad():`` operations record no graph, in this thread.

    Or as a decorator: ``@no_grad``.
    """

    enabled = False


class enable_grad(_GradMode):
    """``with enable_grad():`` recording is on, even inside no_grad.

    Or as a decorator: ``@enable_grad``.
    """

    enabled = True
