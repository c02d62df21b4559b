"""Bad input gets a clear error, never a silent wrong answer."""

from __future__ import annotations

import numpy as np
import pytest

from vjpgrad import Tensor, apply, grad, no_grad


@pytest.mark.parametrize(
    "shape_a, shape_b",
    [((2, 3), (2, 3)), ((3,), (4,)), ((2, 3), (4,)), ((5,), (3, 2)), ((2, 2, 3), (3, 3, 2)), ((3, 4), (5, 3, 2))],
)
def test_matmul_shape_mismatch_names_both_shapes(shape_a: tuple, shape_b: tuple) -> None:
    a, b = Tensor(np.ones(shape_a)), Tensor(np.ones(shape_b))
    with pytest.raises(ValueError) as info:
        a @ b
    assert str(shape_a) in str(info.value) and str(shape_b) in str(info.value)
    with pytest.raises(ValueError, match="matmul"):
        np.ones(shape_a) @ b
    with pytest.raises(ValueError, match="matmul"):
        a @ np.ones(shape_b)


def test_matmul_with_a_scalar_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"\(\)"):
        Tensor([1.0, 2.0]) @ 2.0
    with pytest.raises(ValueError, match=r"\(\)"):
        Tensor(2.0) @ Tensor([1.0])


def test_backward_on_non_scalar_needs_gradient() -> None:
    y = Tensor([1.0, 2.0]) * 2.0
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        y.backward()


@pytest.mark.parametrize("gradient", [np.ones(3), np.ones((2, 1)), np.ones(()), 1.0])
def test_backward_gradient_of_wrong_shape(gradient) -> None:
    y = Tensor([1.0, 2.0]) * 2.0
    with pytest.raises(ValueError, match="shape"):
        y.backward(gradient)


def test_backward_gradient_must_be_real() -> None:
    y = Tensor([1.0, 2.0]) * 2.0
    with pytest.raises(TypeError):
        y.backward(np.ones(2, dtype=complex))


@pytest.mark.parametrize(
    "value", ["abc", ["a", "b"], [1.0, "a"], np.array([1, None], dtype=object), [object()], 1j, [1.0, 2j],
              np.ones(2, dtype=np.complex64), np.array(["2020-01-01"], dtype="datetime64[D]")],
)
def test_non_numeric_or_complex_data_is_a_type_error(value) -> None:
    with pytest.raises(TypeError):
        Tensor(value)


@pytest.mark.parametrize("other", ["a", 1j, np.array([1j, 2.0]), [None, 1.0], {"a": 1}])
def test_non_numeric_or_complex_operand_is_a_type_error(other) -> None:
    x = Tensor([1.0, 2.0])
    for op in (lambda: x + other, lambda: other + x, lambda: x * other, lambda: x - other,
               lambda: x / other, lambda: x**other, lambda: x.maximum(other)):
        with pytest.raises(TypeError):
            op()


def test_backward_without_requires_grad_is_a_runtime_error() -> None:
    x = Tensor([1.0, 2.0], requires_grad=False)
    with pytest.raises(RuntimeError, match="does not require grad"):
        (x * 2.0).sum().backward()
    with pytest.raises(RuntimeError):
        x.backward(np.ones(2))
    w = Tensor([1.0])
    with no_grad():
        y = (w * 2.0).sum()
    with pytest.raises(RuntimeError):
        y.backward()


def test_grad_of_non_scalar_or_non_tensor_function() -> None:
    with pytest.raises(ValueError, match="one-element"):
        grad(lambda x: x * 2.0)(np.ones(3))
    with pytest.raises(TypeError, match="Tensor"):
        grad(lambda x: 3.0)(np.ones(3))


def test_numpy_functions_do_not_silently_drop_the_graph() -> None:
    x = Tensor([1.0, 2.0])
    with pytest.raises(TypeError):
        np.exp(x)


@pytest.mark.parametrize("n_inputs", [0, 3])
def test_apply_takes_one_or_two_inputs(n_inputs: int) -> None:
    x = Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=f"one or two inputs, got {n_inputs}.*keyword"):
        apply("add", *[x] * n_inputs)
