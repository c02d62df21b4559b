"""Bad input gets a clear error, never a silent wrong answer."""

from __future__ import annotations

import numpy as np
import pytest

from vjpgrad import PRIMITIVES, Tensor, apply, grad, no_grad


@pytest.mark.parametrize(
    "shape_a, shape_b",
    [
        ((2, 3), (2, 3)),
        ((3,), (4,)),
        ((2, 3), (4,)),
        ((5,), (3, 2)),
        ((2, 2, 3), (3, 3, 2)),
        ((3, 4), (5, 3, 2)),
    ],
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
    "value",
    [
        "abc",
        ["a", "b"],
        [1.0, "a"],
        np.array([1, None], dtype=object),
        [object()],
        1j,
        [1.0, 2j],
        np.ones(2, dtype=np.complex64),
        np.array(["2020-01-01"], dtype="datetime64[D]"),
    ],
)
def test_non_numeric_or_complex_data_is_a_type_error(value) -> None:
    with pytest.raises(TypeError):
        Tensor(value)


@pytest.mark.parametrize("other", ["a", 1j, np.array([1j, 2.0]), [None, 1.0], {"a": 1}])
def test_non_numeric_or_complex_operand_is_a_type_error(other) -> None:
    x = Tensor([1.0, 2.0])
    for op in (
        lambda: x + other,
        lambda: other + x,
        lambda: x * other,
        lambda: x - other,
        lambda: x / other,
        lambda: x**other,
        lambda: x.maximum(other),
    ):
        with pytest.raises(TypeError):
            op()


def test_backward_without_requires_grad_is_a_runtime_error() -> None:
    x = Tensor([1.0, 2.0], requires_grad=False)
    with pytest.raises(RuntimeError, match="does not require a gradient"):
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


@pytest.mark.parametrize("convert", [np.exp, np.asarray, np.array])
def test_numpy_functions_do_not_silently_drop_the_graph(convert) -> None:
    x = Tensor([1.0, 2.0])
    with pytest.raises(TypeError):
        convert(x)


def test_iterating_a_0d_tensor_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="0-d"):
        list(Tensor(5.0))
    with pytest.raises(TypeError, match="0-d"):
        sum(Tensor(5.0))


def test_indexing_with_a_tensor_is_a_type_error() -> None:
    x = Tensor(np.arange(12.0).reshape(3, 4))
    with pytest.raises(TypeError, match="not a Tensor"):
        x[Tensor([0, 1])]
    with pytest.raises(TypeError, match="not a Tensor"):
        x[0, Tensor([0, 1])]


@pytest.mark.parametrize("argnum", [2, -3, (0, 5)])
def test_grad_argnum_out_of_range(argnum) -> None:
    with pytest.raises(ValueError, match="out of range"):
        grad(lambda a, b: (a * b).sum(), argnum=argnum)(np.ones(2), np.ones(2))


@pytest.mark.parametrize("name", ["exp", "negative", "sum"])
def test_apply_refuses_more_inputs_than_a_builtin_takes(name: str) -> None:
    """np.exp(x, y) would write its result into y, NumPy's `out` argument."""
    x, y = Tensor([0.0, 1.0]), Tensor([5.0, 6.0])
    with pytest.raises(TypeError, match=rf"\b{name}\b"):  # naming the primitive
        apply(PRIMITIVES[name], x, y)
    np.testing.assert_array_equal(y.value, [5.0, 6.0])
    np.testing.assert_array_equal(x.value, [0.0, 1.0])


@pytest.mark.parametrize("n_inputs", [0, 1, 3])
def test_apply_gives_add_exactly_two_inputs(n_inputs: int) -> None:
    """np.add(x, x, x) would write x + x into x itself."""
    x = Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"\badd\b"):
        apply(PRIMITIVES["add"], *[x] * n_inputs)
    np.testing.assert_array_equal(x.value, [1.0, 2.0])


def test_apply_takes_a_primitive_class_not_a_name() -> None:
    """vjpgrad 0.1 took apply("exp", x): the error must say what to pass instead."""
    with pytest.raises(TypeError, match="(?i)class"):
        apply("exp", Tensor([1.0]))


def test_forward_errors_name_the_primitive_and_the_input_shapes() -> None:
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"add of shapes \(2, 3\), \(4,\)"):
        x + np.ones(4)
    with pytest.raises(ValueError, match=r"reshape of shapes \(2, 3\)"):
        x.reshape(4, 2)
    with pytest.raises(IndexError, match=r"getitem of shapes \(2, 3\)"):
        x[5]
    with pytest.raises((ValueError, IndexError), match=r"sum of shapes \(2, 3\)"):
        x.sum(axis=2)


@pytest.mark.parametrize("func", [np.mean, np.sum, np.max])
def test_numpy_reductions_of_a_tensor_say_what_to_use(func) -> None:
    """F22: np.mean(t) says to use t.mean() or np.mean(t.value), like np.asarray(t)."""
    t = Tensor(np.arange(6.0).reshape(2, 3))
    name = func.__name__
    with pytest.raises(
        TypeError,
        match=rf"use t\.{name}\(\.\.\.\) to stay differentiable, or np\.{name}\(t\.value\)",
    ):
        func(t)


def test_numpy_shape_functions_take_a_tensor() -> None:
    t = Tensor(np.ones((2, 3)))
    assert (np.shape(t), np.ndim(t), np.size(t)) == ((2, 3), 2, 6)
    with pytest.raises(TypeError, match=r"np\.concatenate does not take a vjpgrad Tensor"):
        np.concatenate([t, t])


def test_an_empty_list_index_selects_nothing() -> None:
    """F22: t[[]] is empty, as x[[]] is in NumPy (not an index of floats)."""
    t = Tensor(np.ones((3, 2)))
    picked = t[[]]
    assert picked.shape == np.ones((3, 2))[[]].shape == (0, 2)
    picked.sum().backward()
    np.testing.assert_array_equal(t.grad, np.zeros((3, 2)))
