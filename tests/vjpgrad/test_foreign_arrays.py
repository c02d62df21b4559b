"""NumPy arrays whose memory belongs to another object (a torch.Tensor, an mmap, a
multiprocessing.shared_memory block, a bytearray) work like any ndarray, as values
and as constants (F2: they crashed every shape-only primitive, because the graph
looked at `value.base.size`, a method on those objects)."""

from __future__ import annotations

import mmap
from collections.abc import Callable, Iterator
from multiprocessing import shared_memory

import numpy as np
import pytest
import torch

from vjpgrad import Tensor

N = 6
DATA = np.linspace(-1.0, 1.5, N)


def torch_array() -> Iterator[np.ndarray]:
    yield torch.tensor(DATA).numpy()  # shares the torch.Tensor's memory


def mmap_array() -> Iterator[np.ndarray]:
    memory = mmap.mmap(-1, DATA.nbytes)
    array = np.ndarray(DATA.shape, buffer=memory)
    array[:] = DATA
    yield array


def shared_memory_array() -> Iterator[np.ndarray]:
    block = shared_memory.SharedMemory(create=True, size=DATA.nbytes)
    try:
        array = np.ndarray(DATA.shape, buffer=block.buf)
        array[:] = DATA
        yield array
        del array  # the block cannot be closed while an array uses its memory
    finally:
        block.close()
        block.unlink()


def bytearray_array() -> Iterator[np.ndarray]:
    array = np.frombuffer(bytearray(DATA.tobytes()), dtype=np.float64)
    yield array


SOURCES = {
    "torch": torch_array,
    "mmap": mmap_array,
    "shared_memory": shared_memory_array,
    "bytearray": bytearray_array,
}


@pytest.fixture(params=sorted(SOURCES))
def foreign(request: pytest.FixtureRequest) -> Iterator[np.ndarray]:
    source = SOURCES[request.param]()
    array = next(source)
    assert array.base is not None and not isinstance(array.base, np.ndarray), type(array.base)
    np.testing.assert_array_equal(array, DATA)
    yield array
    del array
    for _ in source:  # run the source's clean-up
        pass


# Each uses the shape-only primitives that crashed (add, subtract, negative, sum, mean,
# reshape, transpose, getitem); the weights make every entry's gradient different.
WEIGHTS = np.arange(1.0, N + 1)
PROGRAMS: dict[str, Callable[[object], object]] = {
    "add": lambda t: ((t + 1.0) * WEIGHTS).sum(),
    "subtract": lambda t: ((2.0 - t) * WEIGHTS).sum(),
    "negative": lambda t: (-t * WEIGHTS).sum(),
    "mean": lambda t: t.mean() + (t * WEIGHTS).sum(),
    "reshape and transpose": lambda t: (t.reshape(2, 3).T * WEIGHTS.reshape(2, 3).T).sum(),
    "getitem": lambda t: (t[1:] * WEIGHTS[1:]).sum() + t[[0, 0]].sum(),
}
GRADIENTS = {
    "add": WEIGHTS,
    "subtract": -WEIGHTS,
    "negative": -WEIGHTS,
    "mean": 1.0 / N + WEIGHTS,
    "reshape and transpose": WEIGHTS,
    "getitem": np.concatenate([[2.0], WEIGHTS[1:]]),
}


@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_as_the_value_of_a_tensor(foreign: np.ndarray, program: str) -> None:
    t = Tensor(foreign)
    loss = PROGRAMS[program](t)
    np.testing.assert_allclose(loss.value, PROGRAMS[program](Tensor(DATA.copy())).value)
    loss.backward()
    np.testing.assert_allclose(t.grad, GRADIENTS[program])


BINARY = {  # f(w, c), and d sum(f) / dw for c = DATA, w = 2
    "add": (lambda w, c: w + c, lambda c: np.ones(N)),
    "radd": (lambda w, c: c + w, lambda c: np.ones(N)),
    "subtract": (lambda w, c: c - w, lambda c: -np.ones(N)),
    "multiply": (lambda w, c: c * w, lambda c: c),
    "divide": (lambda w, c: c / w, lambda c: -c / 4.0),
    "power": (lambda w, c: w**c, lambda c: c * 2.0 ** (c - 1.0)),
    "maximum": (lambda w, c: w.maximum(c), lambda c: np.ones(N)),  # every c < 2
    "matmul": (lambda w, c: c @ w, lambda c: c),
}


@pytest.mark.parametrize("op", sorted(BINARY))
def test_as_a_constant_operand(foreign: np.ndarray, op: str) -> None:
    f, gradient = BINARY[op]
    w = Tensor(np.full(N, 2.0))
    y = f(w, foreign)
    np.testing.assert_allclose(y.value, f(Tensor(np.full(N, 2.0)), DATA.copy()).value)
    y.sum().backward()
    np.testing.assert_allclose(w.grad, gradient(DATA))


def test_a_batch_from_torch_in_a_training_step() -> None:
    """The review's case: `w + batch` with `batch = torch_tensor.numpy()`."""
    batch = torch.arange(12, dtype=torch.float64).reshape(4, 3).numpy()
    w = Tensor(np.ones(3))
    loss = (batch @ w).sum() + (w + batch).sum()
    loss.backward()
    np.testing.assert_array_equal(w.grad, batch.sum(axis=0) + 4.0)
