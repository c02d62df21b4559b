"""What a recorded graph holds: exactly what each primitive's `save` keeps, so an
array that no VJP reads is freed as soon as the program drops it (whatever its size),
and a training step needs no more memory than hand-written NumPy."""

from __future__ import annotations

import gc
import tracemalloc
import weakref

import numpy as np

from benchmarks import bench  # the repository root is on sys.path under `python -m pytest`
from vjpgrad import PRIMITIVES, Tensor


def test_the_intermediates_of_a_dense_layer_are_freed() -> None:
    """relu(X @ W + b): matmul keeps X and W, add keeps nothing, relu its output; so
    X @ W and X @ W + b are freed once the program drops them, though the graph lives
    (vjpgrad 0.1 kept every array of fewer than 1,024 entries)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4, 3))  # small: 20 entries per hidden array
    W, b, W2 = (
        Tensor(rng.standard_normal((3, 5))),
        Tensor(rng.standard_normal(5)),
        Tensor(np.ones((5, 1))),
    )
    z = X @ W
    h = z + b
    a = h.relu()
    freed = [weakref.ref(z.value), weakref.ref(h.value)]
    kept = weakref.ref(a.value)  # relu's VJP reads it, and so does the next matmul's
    loss = (a @ W2).sum()
    del z, h, a
    assert [ref() for ref in freed] == [None, None]
    assert kept() is not None
    loss.backward()
    mask = (X @ W.value + b.value) > 0
    np.testing.assert_allclose(W.grad, X.T @ mask.astype(float))
    np.testing.assert_allclose(b.grad, mask.sum(axis=0))
    del loss
    assert kept() is None  # dropped with the graph


def test_each_builtin_node_keeps_only_its_slots() -> None:
    """A built-in node has no __dict__: it can hold nothing but what `save` puts in the
    slots its class declares."""
    x = Tensor(np.ones((2, 3)))
    nodes = [
        (x + 1.0).node,
        (x * x).node,
        x.exp().node,
        x.sum(axis=0).node,
        x[0].node,
        x.reshape(3, 2).node,
        x.T.node,
        (x @ np.ones(3)).node,
    ]
    for name, primitive in PRIMITIVES.items():
        assert not hasattr(primitive((), np.ones(1)), "__dict__"), name
    for node in nodes:
        assert not hasattr(node, "__dict__"), type(node).__name__


def test_a_value_that_a_vjp_reads_is_kept() -> None:
    x = Tensor([0.0, 1.0])
    e = x.exp()  # exp's VJP reads its output
    kept = weakref.ref(e.value)
    loss = (e + 1.0).sum()
    del e
    assert kept() is not None
    loss.backward()
    np.testing.assert_allclose(x.grad, np.exp([0.0, 1.0]), rtol=1e-15)


def test_a_constant_that_no_vjp_reads_is_not_kept() -> None:
    """add reads nothing: a constant added in is freed with the program's reference."""
    x = Tensor(np.ones(3))
    offset = np.arange(3.0)
    freed = weakref.ref(offset)
    loss = ((x + offset) * 2.0).sum()
    del offset
    assert freed() is None
    loss.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


def test_a_small_view_of_a_large_array_does_not_keep_it_alive() -> None:
    W = Tensor(np.ones((3, 500)))
    big = np.ones((4, 3)) @ W  # 2,000 entries
    first = big[0, :10].sum()  # a 10-entry view of big; getitem and sum keep only shapes
    freed = weakref.ref(big.value)
    del big
    assert freed() is None
    first.backward()
    np.testing.assert_array_equal(W.grad[:, :10], np.ones((3, 10)))
    np.testing.assert_array_equal(W.grad[:, 10:], 0.0)


def test_an_mlp_graph_keeps_one_hidden_layer_array() -> None:
    """X @ W1, + b1 and relu each make an (n, m) array; the graph needs only relu's output
    (its VJP and the next matmul's read it), so it keeps one, as hand-written code does."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((256, 64))
    W1, b1, W2 = (
        Tensor(rng.standard_normal((64, 128))),
        Tensor(np.zeros(128)),
        Tensor(np.ones((128, 1))),
    )
    hidden = 256 * 128 * 8
    gc.collect()
    tracemalloc.start()
    loss = ((X @ W1 + b1).relu() @ W2).sum()
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert hidden < held < 1.5 * hidden, f"the graph holds {held / hidden:.2f} hidden-layer arrays"
    loss.backward()
    assert W1.grad.shape == (64, 128)


def test_the_peak_memory_of_an_mlp_step_is_at_most_hand_written_numpys() -> None:
    """The benchmark's target, on a smaller step: forward, backward and update of
    relu(X W1 + b1) W2 + b2 with softmax cross-entropy (test_bench_smoke checks that the
    two steps compute the same update)."""
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((128, 256)), rng.integers(0, 10, 128)
    params = bench.mlp_params((256, 512, 10))
    by_hand, tensors = [p.copy() for p in params], [Tensor(p.copy()) for p in params]
    numpy_peak = bench.peak_memory(lambda: bench.numpy_xent_step(by_hand, X, y))
    vjpgrad_peak = bench.peak_memory(lambda: bench.vjpgrad_xent_step(tensors, X, y))
    assert vjpgrad_peak <= numpy_peak, f"{vjpgrad_peak / numpy_peak:.2f}x NumPy's peak"


def test_a_chain_releases_each_gradient_after_use() -> None:
    """The reverse pass of a chain holds a few gradients at a time, however long the chain."""
    size = 10_000  # 80 kB per gradient

    def peak_bytes(n: int) -> int:
        y = x = Tensor(np.ones(size))
        for _ in range(n):
            y = y * 1.0
        loss = y.sum()
        peak = bench.peak_memory(loss.backward)
        assert x.grad is not None
        return peak

    for n in (200, 2_000):
        assert peak_bytes(n) < 5 * 8 * size, f"{n} nodes: more than five gradients alive at once"
