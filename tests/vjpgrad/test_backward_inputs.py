"""backward(inputs=...): only the named Tensors get a gradient, as in PyTorch (F3, F4).

A single Tensor is accepted as well as a list, a computed (non-leaf) Tensor gets its
gradient stored, and a request that cannot be met is an error rather than a silent
no-op.
"""

from __future__ import annotations

import numpy as np
import pytest

from vjpgrad import Tensor


def test_a_single_tensor_as_inputs() -> None:
    """F3: it was iterated as a sequence (recording w[0], w[1]) and w got no gradient."""
    x, w = Tensor([1.0, 2.0]), Tensor([3.0, 4.0])
    (x * w).sum().backward(inputs=w)
    np.testing.assert_array_equal(w.grad, [1.0, 2.0])
    assert x.grad is None


def test_a_list_of_leaves_limits_the_leaves_that_get_a_gradient() -> None:
    a, b, c = Tensor([1.0, 2.0]), Tensor([3.0, 4.0]), Tensor([5.0, 6.0])
    (a * b * c).sum().backward(inputs=[a, c])
    np.testing.assert_array_equal(a.grad, [15.0, 24.0])
    np.testing.assert_array_equal(c.grad, [3.0, 8.0])
    assert b.grad is None


def test_a_computed_tensor_as_input_gets_its_gradient() -> None:
    """F4: as in PyTorch, h.grad is d loss / d h, and nothing else is filled."""
    x = Tensor([1.0, 2.0])
    h = x * 2.0
    (h * h).sum().backward(inputs=[h])
    np.testing.assert_array_equal(h.grad, 2 * h.value)
    assert x.grad is None
    (h * h).sum().backward(inputs=h)  # accumulates, like a leaf's gradient
    np.testing.assert_array_equal(h.grad, 4 * h.value)


def test_leaves_and_computed_tensors_together() -> None:
    x, w = Tensor([1.0, 2.0]), Tensor([0.5, -1.0])
    h = (x * w).exp()
    u = h * 3.0  # not named: no gradient kept
    loss = (u * h).sum()
    loss.backward(inputs=[h, w])
    np.testing.assert_allclose(h.grad, 6.0 * h.value)
    np.testing.assert_allclose(w.grad, 6.0 * h.value * h.value * x.value)
    assert x.grad is None and u.grad is None and loss.grad is None
    assert h.grad is not None and not np.shares_memory(h.grad, w.grad)


def test_the_output_itself_as_input() -> None:
    x = Tensor([1.0, 2.0])
    y = x * 3.0
    y.backward(np.array([1.0, -1.0]), inputs=[y])
    np.testing.assert_array_equal(y.grad, [1.0, -1.0])
    assert x.grad is None


def test_a_leaf_left_out_of_inputs_gets_nothing_on_backward_of_a_leaf() -> None:
    a, b = Tensor([1.0, 2.0]), Tensor([3.0, 4.0])
    a.backward(np.ones(2), inputs=[b])
    assert a.grad is None and b.grad is None


def test_an_empty_list_is_an_error() -> None:
    x = Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"inputs=\[\]"):
        (x * x).sum().backward(inputs=[])
    assert x.grad is None


def test_a_tensor_that_needs_no_gradient_is_an_error() -> None:
    x, c = Tensor([1.0, 2.0]), Tensor([3.0, 4.0], requires_grad=False)
    with pytest.raises(ValueError, match="does not require a gradient"):
        (x * c).sum().backward(inputs=[x, c])
    assert x.grad is None and c.grad is None  # checked before any gradient is stored


@pytest.mark.parametrize("inputs", [[1.0], [np.ones(2)], ["x"]])
def test_something_other_than_a_tensor_is_a_type_error(inputs) -> None:
    x = Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="takes Tensors"):
        (x * x).sum().backward(inputs=inputs)
    assert x.grad is None


def test_an_input_the_output_does_not_depend_on_gets_no_gradient() -> None:
    x, unrelated = Tensor([1.0, 2.0]), Tensor([3.0])
    (x * x).sum().backward(inputs=[x, unrelated])
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    assert unrelated.grad is None  # as PyTorch with allow_unused: None, not zeros
