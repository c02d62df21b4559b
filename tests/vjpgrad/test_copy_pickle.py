"""Copying and pickling: a leaf Tensor can be copied and pickled (its value,
requires_grad and grad survive); a computed Tensor, or a node, is refused with a clear
TypeError, at once and without recursion, however large its graph (F10: copies and
pickles of graphs hit RecursionError from about 140 operations)."""

from __future__ import annotations

import copy
import pickle
import sys
from collections.abc import Callable

import numpy as np
import pytest

from vjpgrad import Tensor

DUPLICATES: dict[str, Callable[[object], object]] = {
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
    **{
        f"pickle protocol {p}": (lambda obj, p=p: pickle.loads(pickle.dumps(obj, protocol=p)))
        for p in range(pickle.HIGHEST_PROTOCOL + 1)
    },
}


@pytest.fixture(scope="module")
def long_chain() -> tuple[Tensor, Tensor]:
    x = Tensor([0.5, -1.0])
    y = x
    for _ in range(100_000):
        y = y * 1.0
    return x, y


@pytest.mark.parametrize("duplicate", sorted(DUPLICATES))
def test_a_computed_tensor_of_a_100000_node_graph_is_refused(long_chain, duplicate: str) -> None:
    x, y = long_chain
    assert sys.getrecursionlimit() < 100_000
    with pytest.raises(
        TypeError, match=r"computed by 'multiply'.*not copied or pickled.*detach\(\)"
    ):
        DUPLICATES[duplicate](y)
    if duplicate != "copy":  # a deep copy or pickle of a container copies what it holds
        with pytest.raises(TypeError, match="copied or pickled"):
            DUPLICATES[duplicate]({"loss": [y]})


@pytest.mark.parametrize("duplicate", sorted(DUPLICATES))
def test_a_node_is_refused(duplicate: str) -> None:
    y = Tensor([1.0, 2.0]).exp()
    with pytest.raises(TypeError, match="recorded graph cannot be copied or pickled"):
        DUPLICATES[duplicate](y.node)


def test_the_graph_still_differentiates_after_a_refused_copy(long_chain) -> None:
    x, y = long_chain
    for duplicate in (copy.deepcopy, pickle.dumps):
        with pytest.raises(TypeError):
            duplicate(y)
    x.grad = None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


@pytest.mark.parametrize("duplicate", sorted(DUPLICATES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_leaf_keeps_its_value_requires_grad_and_grad(duplicate: str, dtype) -> None:
    w = Tensor(np.array([1.0, 2.0, 3.0], dtype))
    (w * w).sum().backward()
    frozen = Tensor(np.array([4.0, 5.0], dtype), requires_grad=False)
    w2, frozen2 = DUPLICATES[duplicate]([w, frozen])
    assert type(w2) is Tensor and w2.is_leaf and w2.op is None
    assert w2.requires_grad is True and frozen2.requires_grad is False
    assert w2.dtype == dtype and frozen2.dtype == dtype and w2.grad.dtype == dtype
    np.testing.assert_array_equal(w2.value, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(w2.grad, [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(frozen2.value, [4.0, 5.0])
    assert frozen2.grad is None
    (w2 * frozen2.sum()).sum().backward()  # the copy is a working leaf
    np.testing.assert_array_equal(w2.grad, [11.0, 13.0, 15.0])
    if duplicate != "copy":  # a deep copy or a pickle shares nothing with the original
        np.testing.assert_array_equal(w.grad, [2.0, 4.0, 6.0])
        assert not np.shares_memory(w.value, w2.value)


def test_a_leaf_used_in_a_graph_can_be_pickled_while_the_graph_lives() -> None:
    x = Tensor([1.0, 2.0])
    loss = (x * x).sum()
    x2 = pickle.loads(pickle.dumps(x))
    loss.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    assert x2.grad is None


def test_the_detached_value_of_a_computed_tensor_can_be_pickled(long_chain) -> None:
    _, y = long_chain
    d = pickle.loads(pickle.dumps(y.detach()))
    assert d.is_leaf and d.requires_grad is False
    np.testing.assert_array_equal(d.value, [0.5, -1.0])
