"""The reverse pass on large and shared graphs: no recursion limit, linear time, exact."""

from __future__ import annotations

import copy
import gc
import pickle
import sys
import tracemalloc
import weakref

import numpy as np
import pytest

from vjpgrad import PRIMITIVES, Tensor, override_vjp


def test_100000_node_chain_is_exact_and_not_recursive() -> None:
    x = Tensor([1.0, -2.0, 3.0, 0.5])
    y = x
    for _ in range(50_000):  # 100,000 nodes: x * 2 * 0.5 * 2 * 0.5 ... is exactly x
        y = y * 2.0
        y = y * 0.5
    assert 100_000 > sys.getrecursionlimit()
    y.sum().backward()
    np.testing.assert_array_equal(y.value, x.value)
    np.testing.assert_array_equal(x.grad, np.ones(4))


def test_100000_node_chain_of_tensor_operations() -> None:
    x = Tensor(np.array([0.25, 0.5]))
    one = Tensor(np.ones(2))  # a second leaf used by every step
    y = x
    for _ in range(100_000):
        y = y + one
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
    np.testing.assert_array_equal(one.grad, [100_000.0, 100_000.0])


def test_a_chain_releases_each_gradient_after_use() -> None:
    """The reverse pass of a chain holds a few gradients at a time, however long the chain."""
    size = 10_000  # 80 kB per gradient

    def peak_bytes(n: int) -> int:
        y = x = Tensor(np.ones(size))
        for _ in range(n):
            y = y * 1.0
        loss = y.sum()
        gc.collect()
        tracemalloc.start()
        loss.backward()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert x.grad is not None
        return peak

    for n in (200, 2_000):
        assert peak_bytes(n) < 5 * 8 * size, f"{n} nodes: more than five gradients alive at once"


def test_a_value_that_no_vjp_reads_is_freed_with_its_tensor() -> None:
    X = np.arange(300.0).reshape(100, 3)
    W = Tensor(np.ones((3, 50)))
    z = X @ W  # 5,000 entries; matmul's VJP reads X and W, not z
    a = z + 1.0  # add's VJP reads only shapes
    freed = weakref.ref(z.value)
    del z
    assert freed() is None  # though the graph of `a` is alive
    a.sum().backward()
    np.testing.assert_array_equal(W.grad, np.repeat(X.sum(axis=0)[:, None], 50, axis=1))


def test_a_value_that_a_vjp_reads_is_kept() -> None:
    x = Tensor([0.0, 1.0])
    e = x.exp()  # exp's VJP reads its output
    kept = weakref.ref(e.value)
    loss = (e + 1.0).sum()
    del e
    assert kept() is not None
    loss.backward()
    np.testing.assert_allclose(x.grad, np.exp([0.0, 1.0]), rtol=1e-15)


def test_an_mlp_graph_keeps_one_hidden_layer_array() -> None:
    """X @ W1, + b1 and relu each make an (n, m) array; the graph needs only relu's output
    (its VJP and the next matmul's read it), so it keeps one, as hand-written code does."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((256, 64))
    W1, b1, W2 = Tensor(rng.standard_normal((64, 128))), Tensor(np.zeros(128)), Tensor(np.ones((128, 1)))
    hidden = 256 * 128 * 8
    gc.collect()
    tracemalloc.start()
    loss = ((X @ W1 + b1).relu() @ W2).sum()
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert hidden < held < 1.5 * hidden, f"the graph holds {held / hidden:.2f} hidden-layer arrays"
    loss.backward()
    assert W1.grad.shape == (64, 128)


def test_a_small_view_of_a_large_array_does_not_keep_it_alive() -> None:
    W = Tensor(np.ones((3, 500)))
    big = np.ones((4, 3)) @ W  # 2,000 entries
    first = big[0, :10].sum()  # a 10-entry view of big; getitem and sum read only shapes
    freed = weakref.ref(big.value)
    del big
    assert freed() is None
    first.backward()
    np.testing.assert_array_equal(W.grad[:, :10], np.ones((3, 10)))
    np.testing.assert_array_equal(W.grad[:, 10:], 0.0)


def test_values_a_vjp_does_not_read_are_nan_stand_ins() -> None:
    x = Tensor(np.ones(2000))
    y = x + 1.0
    assert y.node.out.shape == (2000,) and np.isnan(y.node.out).all() and y.node.out.strides == (0,)
    assert y.node.out.base.nbytes == 8 and not y.node.out.flags.writeable  # a view of one NaN
    np.testing.assert_array_equal(y.value, 2.0)  # the Tensor's own value is untouched


@pytest.mark.parametrize("duplicate", [copy.copy, copy.deepcopy, lambda t: pickle.loads(pickle.dumps(t))])
def test_copied_and_pickled_graphs_still_differentiate(duplicate) -> None:
    x = Tensor([0.5, 1.0])
    y = duplicate((x.exp() * 2.0).sum())
    y.backward()
    leaf = y.node.x_parent.x_parent.x_parent  # sum <- multiply <- exp <- x (a copy, unless copy.copy)
    np.testing.assert_allclose(leaf.grad, 2.0 * np.exp([0.5, 1.0]), rtol=1e-15)


def test_replacing_a_vjp_after_recording_a_graph_that_kept_only_shapes_is_an_error() -> None:
    from vjpgrad.primitives import add_vjp

    x = Tensor(np.linspace(0.0, 1.0, 2000))
    loss = (x.exp() + 1.0).sum()  # add keeps only the shapes of its (large) values
    with override_vjp("add", add_vjp):  # a replacement may read any value
        with pytest.raises(RuntimeError, match="recorded while 'add' kept only the shapes.*run the computation again"):
            loss.backward()
        (x.exp() + 1.0).sum().backward()  # recorded inside: every value kept
    np.testing.assert_allclose(x.grad, np.exp(x.value))


def test_deleting_a_long_chain_does_not_crash() -> None:
    y = Tensor(np.ones(2))
    for _ in range(100_000):
        y = y + 1.0
    del y
    gc.collect()


def fan_out_dag(levels: int) -> tuple[Tensor, Tensor]:
    x = Tensor([1.5, -0.5])
    y = x
    for _ in range(levels):
        y = (y + y) * 0.5  # 2^levels paths from y to x
    return x, y


def test_60_level_fan_out_dag_is_exact() -> None:
    x, y = fan_out_dag(60)
    y.sum().backward()
    np.testing.assert_array_equal(y.value, x.value)
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_each_vjp_runs_once_on_shared_subexpressions(monkeypatch) -> None:
    calls = {"add": 0, "multiply": 0}

    def counting(name: str, function):
        def counted(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)

        return counted

    for name in calls:  # the built-in VJPs as they are, whichever the reverse pass calls
        prim = PRIMITIVES[name]
        monkeypatch.setattr(prim, "vjp", counting(name, prim.vjp))
        monkeypatch.setattr(prim, "partials", tuple(counting(name, p) for p in prim.partials))
    x, y = fan_out_dag(60)
    y.sum().backward()
    assert calls == {"add": 60, "multiply": 60}
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_user_vjps_receive_ndarrays_for_number_constants() -> None:
    seen = []

    def vjp(g, out, a, b):
        seen.append((type(a), type(b)))
        return g * b, g * a

    x = Tensor([1.0, 2.0])
    with override_vjp("multiply", vjp):
        (x * 3.0 * 2).sum().backward()
    assert seen == [(np.ndarray, np.ndarray)] * 2
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])


def test_diamond_and_reused_intermediate() -> None:
    x = Tensor([2.0])
    a = x * 3.0  # used three times
    b = a.exp()
    y = (a * b + a).sum()
    y.backward()
    av = 3.0 * 2.0
    np.testing.assert_allclose(x.grad, [3.0 * (np.exp(av) + av * np.exp(av) + 1.0)])


def test_gradient_only_flows_through_the_graph_of_the_output() -> None:
    x = Tensor([1.0, 2.0])
    h = x * 2.0
    unrelated = h * 100.0  # another use of h that is not part of `y`
    y = (h * h).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad, 8 * x.value)
    assert unrelated.grad is None


def test_same_tensor_twice_in_one_operation() -> None:
    x = Tensor([3.0])
    (x * x).backward(np.ones(1))
    np.testing.assert_array_equal(x.grad, [6.0])
    z = Tensor([[1.0, 2.0], [3.0, 4.0]])
    (z @ z).sum().backward()
    np.testing.assert_allclose(z.grad, np.ones((2, 2)) @ z.value.T + z.value.T @ np.ones((2, 2)))
