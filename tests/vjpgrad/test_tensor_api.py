"""The public Tensor API: construction, operators, methods, conventions, grad modes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import vjpgrad
from vjpgrad import Tensor, grad, no_grad, value_and_grad


def test_construction_and_attributes() -> None:
    x = Tensor([[1, 2, 3], [4, 5, 6]])
    assert isinstance(x.value, np.ndarray) and x.dtype == np.float64
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and len(x) == 2
    assert x.requires_grad is True and x.grad is None and x.is_leaf and x.op is None
    assert Tensor(True).dtype == np.float64 and Tensor(np.int32(3)).value == 3.0
    assert Tensor(np.ones(2, dtype=np.float32)).dtype == np.float32
    assert Tensor(2.5, requires_grad=False).requires_grad is False
    assert x.T.shape == (3, 2)
    a = np.arange(3.0)
    assert Tensor(a).value is a  # wraps np.asarray(value): no copy
    assert Tensor(x).value is x.value


def test_results_are_ndarrays_also_for_0d() -> None:
    x = Tensor(2.0)
    for y in (x * 3, x.exp(), (x * x).sum(), Tensor([1.0, 2.0]) @ Tensor([3.0, 4.0]), x.sigmoid()):
        assert type(y.value) is np.ndarray
    y = (x * x).sum()
    y.backward()
    assert type(x.grad) is np.ndarray and x.grad.shape == () and x.grad == 4.0


def test_repr_is_readable() -> None:
    assert repr(Tensor([1.0, 2.0])) == "Tensor([1., 2.], requires_grad=True)"
    assert repr(Tensor([1.0, 2.0]) * 2) == "Tensor([2., 4.], op='multiply')"
    assert "..." in repr(Tensor(np.arange(1000.0)))


@pytest.mark.parametrize(
    "op, expected",
    [
        (lambda x, c: x + c, lambda x, c: x + c),
        (lambda x, c: c + x, lambda x, c: c + x),
        (lambda x, c: x - c, lambda x, c: x - c),
        (lambda x, c: c - x, lambda x, c: c - x),
        (lambda x, c: x * c, lambda x, c: x * c),
        (lambda x, c: c * x, lambda x, c: c * x),
        (lambda x, c: x / c, lambda x, c: x / c),
        (lambda x, c: c / x, lambda x, c: c / x),
        (lambda x, c: x**c, lambda x, c: x**c),
        (lambda x, c: c**x, lambda x, c: c**x),
    ],
)
@pytest.mark.parametrize(
    "const", [2.0, 3, np.float64(1.5), np.array([1.0, 2.0, 0.5]), [0.5, 1.0, 2.0]]
)
def test_operators_with_constants_on_either_side(op, expected, const) -> None:
    xv = np.array([0.5, 1.5, 2.0])
    y = op(Tensor(xv), const)
    assert isinstance(y, Tensor)
    np.testing.assert_allclose(y.value, expected(xv, np.asarray(const, dtype=float)))


def test_ndarray_on_the_left_gives_a_tensor() -> None:
    x = Tensor([1.0, 2.0, 3.0])
    for y in (
        np.ones(3) + x,
        np.ones(3) - x,
        np.ones(3) * x,
        np.ones(3) / x,
        np.ones(3) ** x,
        np.ones((2, 3)) @ x,
        np.float64(2.0) * x,
    ):
        assert isinstance(y, Tensor), type(y)
    (np.full((2, 3), 2.0) @ x).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 4.0, 4.0])


def test_gradients_of_operators() -> None:
    a, b = Tensor([1.0, 2.0]), Tensor([3.0, 5.0])
    ((a * b + a / b - b**2 - (-a)) @ np.ones(2)).backward()
    np.testing.assert_allclose(a.grad, b.value + 1 / b.value + 1)
    np.testing.assert_allclose(b.grad, a.value - a.value / b.value**2 - 2 * b.value)


def test_tie_conventions() -> None:
    x = Tensor([-1.0, 0.0, 2.0])
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])  # relu'(0) = 0

    a, b = Tensor([1.0, 2.0, 3.0]), Tensor([1.0, 5.0, 0.0])
    a.maximum(b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad, [0.5, 1.0, 0.0])

    m = Tensor([[3.0, 1.0, 3.0, 3.0], [0.0, 2.0, 1.0, 2.0]])
    m.max(axis=1).sum().backward()
    np.testing.assert_allclose(m.grad, [[1 / 3, 0, 1 / 3, 1 / 3], [0, 0.5, 0, 0.5]])
    m.grad = None
    m.max().backward()
    np.testing.assert_allclose(m.grad, [[1 / 3, 0, 1 / 3, 1 / 3], [0, 0, 0, 0]])


def test_logsumexp_is_stable() -> None:
    x = Tensor([1000.0, 1000.0, -np.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = x.logsumexp()
        y.backward()
    assert y.item() == pytest.approx(1000.0 + np.log(2.0), rel=1e-15)
    np.testing.assert_allclose(x.grad, [0.5, 0.5, 0.0])
    z = Tensor([[-1e4, -1e4 + 1.0], [1e4, 1e4]]).logsumexp(axis=1, keepdims=True)
    np.testing.assert_allclose(z.value, [[-1e4 + 1 + np.log1p(np.exp(-1))], [1e4 + np.log(2)]])
    with np.errstate(divide="ignore"):
        assert Tensor([-np.inf, -np.inf]).logsumexp().item() == -np.inf


def test_sigmoid_does_not_overflow() -> None:
    x = Tensor([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = x.sigmoid()
        y.sum().backward()
    e = np.exp(-30.0)
    np.testing.assert_allclose(y.value, [0.0, e / (1 + e), 0.5, 1 / (1 + e), 1.0], rtol=1e-14)
    assert y.value[1] > 0  # ~9.4e-14, not rounded to 0


def test_nan_and_inf_propagate_as_in_numpy() -> None:
    x = Tensor([np.nan, 1.0, np.inf])
    y = (x * 2.0).sum()
    y.backward()
    assert np.isnan(y.item())
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])
    z = Tensor([0.0, 1.0])
    with np.errstate(divide="ignore"):
        w = z.log()
        w.sum().backward()
    assert w.value[0] == -np.inf and z.grad[0] == np.inf


def test_gradients_accumulate_until_reset() -> None:
    x = Tensor([1.0, 2.0])
    for _ in range(3):
        (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, 3 * 2 * x.value)
    x.zero_grad()
    assert x.grad is None
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    x.grad = None
    (x * 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_backward_twice_on_the_same_graph_accumulates() -> None:
    x = Tensor([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    first = x.grad.copy()
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * first)


def test_leaf_gradients_are_independent_writable_arrays() -> None:
    a, b = Tensor([1.0, 2.0]), Tensor([3.0, 4.0])
    (a + b).sum().backward()
    assert a.grad is not b.grad
    a.grad *= 10  # must not change b.grad
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])
    c = Tensor(np.ones((2, 3)))
    c.sum().backward()  # the sum VJP broadcasts: the stored gradient must be a real array
    c.grad[0, 0] = 5.0
    gradient = np.ones(2)
    d = Tensor([1.0, 2.0])
    (d * 1.0).backward(gradient)
    d.grad[0] = 7.0
    assert gradient[0] == 1.0


def test_leaf_gradients_that_are_views_do_not_alias() -> None:
    for order in range(2):
        a, b = Tensor(np.ones((2, 3))), Tensor(np.ones(6))
        y = a + b.reshape(2, 3) if order == 0 else b.reshape(2, 3) + a
        y.backward(np.ones((2, 3)))  # reshape's VJP returns a view of the gradient a gets
        assert not np.shares_memory(a.grad, b.grad)
        a.grad += 1.0
        np.testing.assert_array_equal(b.grad, np.ones(6))


def test_requires_grad_false_inputs_get_no_gradient() -> None:
    w = Tensor([1.0, 2.0])
    data = Tensor([3.0, 4.0], requires_grad=False)
    (w * data).sum().backward()
    assert data.grad is None
    np.testing.assert_array_equal(w.grad, [3.0, 4.0])
    y = data * 2.0
    assert y.requires_grad is False and y.is_leaf


def test_parents_name_the_inputs_that_need_a_gradient() -> None:
    from vjpgrad.primitives import Add, Multiply

    x = Tensor([1.0, 2.0])
    data = Tensor([3.0, 4.0], requires_grad=False)
    u = x * data
    v = 2.0 - u
    w = np.ones(2) @ (v + x)
    # a leaf parent is the Tensor itself, a computed one the Node that made it
    assert x.parents == () and u.parents == (x, None) and v.parents == (None, u.node)
    assert w.parents[0] is None and w.parents[1].parents == (v.node, x)
    assert v.exp().parents == (v.node,) and vjpgrad.apply(Add, 1.0, x).parents == (None, x)
    assert x.node is None and type(u.node) is vjpgrad.PRIMITIVES["multiply"] is Multiply
    assert u.op == u.node.name == "multiply" and u.node.shape == (2,) and u.node.dtype == np.float64
    assert u.node.created < v.node.created < w.node.created  # a node is made after its parents


def test_a_recorded_graph_does_not_depend_on_later_changes_to_requires_grad() -> None:
    w = Tensor([1.0, 2.0])
    data = Tensor([3.0, 4.0], requires_grad=False)
    loss = (w * data).sum()
    data.requires_grad = True  # after recording: this graph still treats data as a constant
    loss.backward()
    assert data.grad is None
    np.testing.assert_array_equal(w.grad, [3.0, 4.0])


def test_backward_with_gradient_argument() -> None:
    x = Tensor([1.0, 2.0, 3.0])
    y = x * x
    y.backward(np.array([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, -6.0])
    x2 = Tensor([1.0])
    (x2 * 5.0).backward()  # a one-element Tensor needs no gradient argument
    np.testing.assert_array_equal(x2.grad, [5.0])


def test_backward_on_a_leaf() -> None:
    x = Tensor(3.0)
    x.backward()
    assert x.grad == 1.0


def test_retain_grads_keeps_intermediate_gradients() -> None:
    x = Tensor([1.0, 2.0])
    h = x * 3.0
    y = (h * h).sum()
    y.backward(retain_grads=True)
    np.testing.assert_array_equal(h.grad, 2 * h.value)
    assert y.grad == 1.0
    np.testing.assert_array_equal(x.grad, 18 * x.value)


def test_no_grad_and_detach() -> None:
    x = Tensor([1.0, 2.0])
    with no_grad():
        y = x * 2.0
        assert not vjpgrad.is_grad_enabled()
        with vjpgrad.enable_grad():
            z = x * 2.0
    assert vjpgrad.is_grad_enabled()
    assert y.requires_grad is False and z.requires_grad is True

    @no_grad()
    def f(t: Tensor) -> Tensor:
        return t.exp()

    assert f(x).requires_grad is False
    d = x.detach()
    assert d.requires_grad is False and d.value is x.value
    (x * d).sum().backward()
    np.testing.assert_array_equal(x.grad, x.value)


def test_no_grad_restores_state_after_an_exception() -> None:
    with pytest.raises(ZeroDivisionError), no_grad():
        _ = 1 / 0
    assert vjpgrad.is_grad_enabled()


def test_grad_and_value_and_grad() -> None:
    def f(w: Tensor, X: Tensor, y: Tensor) -> Tensor:
        return ((X @ w - y) ** 2).sum()

    rng = np.random.default_rng(0)
    w, X, y = rng.standard_normal(3), rng.standard_normal((5, 3)), rng.standard_normal(5)
    expected = 2 * X.T @ (X @ w - y)
    g = grad(f)(w, X, y)
    assert type(g) is np.ndarray
    np.testing.assert_allclose(g, expected)
    value, g2 = value_and_grad(f)(w, X, y)
    assert type(value) is np.ndarray and value == pytest.approx(np.sum((X @ w - y) ** 2))
    np.testing.assert_allclose(g2, expected)
    gw, gX = grad(f, argnum=(0, 1))(w, X, y)
    np.testing.assert_allclose(gw, expected)
    np.testing.assert_allclose(gX, 2 * np.outer(X @ w - y, w))
    np.testing.assert_allclose(grad(f, argnum=2)(w, X, y), -2 * (X @ w - y))
    assert grad(lambda a, b: (a * 0.0).sum() + b.sum())(np.ones(2), np.ones(2)).tolist() == [
        0.0,
        0.0,
    ]
    assert grad(lambda a, n: (a**n).sum())(np.array([2.0]), 3).tolist() == [
        12.0
    ]  # non-arrays passed as is
    with no_grad():  # grad() records even inside no_grad
        np.testing.assert_allclose(grad(f)(w, X, y), expected)


def test_grad_of_a_function_not_depending_on_x_is_zero() -> None:
    assert grad(lambda x, y: y.sum())(np.ones(3), np.ones(2)).tolist() == [0.0, 0.0, 0.0]


def test_backward_uses_the_values_of_the_forward_pass() -> None:
    w = Tensor([1.0, 2.0])
    loss = (w * w).sum()
    w.value = np.array([10.0, 20.0])  # replaced between the forward pass and backward()
    loss.backward()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])


def test_changing_a_kept_value_in_place_changes_a_later_backward() -> None:
    w = Tensor([1.0, 2.0])
    loss = (w * w).sum()  # multiply keeps the array w.value
    w.value *= 10.0  # in place, as documented: the kept array changes too
    loss.backward()
    np.testing.assert_array_equal(w.grad, [20.0, 40.0])


def test_tensor_cannot_be_subclassed() -> None:
    with pytest.raises(TypeError, match="cannot be subclassed"):

        class Parameter(Tensor):
            __slots__ = ()


def test_grad_argnum_counts_from_the_end_when_negative() -> None:
    f = lambda a, b: (a * b).sum()  # noqa: E731
    a, b = np.ones(2), np.full(2, 3.0)
    np.testing.assert_array_equal(grad(f, argnum=-1)(a, b), a)
    np.testing.assert_array_equal(grad(f, argnum=np.int64(1))(a, b), a)
    gb, ga = grad(f, argnum=(-1, 0))(a, b)
    np.testing.assert_array_equal(ga, b)
    np.testing.assert_array_equal(gb, a)


def test_grad_wraps_keyword_arrays_like_positional_ones() -> None:
    f = lambda w, X: (X.relu() @ w).sum()  # noqa: E731
    X = np.array([[1.0, -2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(grad(f)(np.ones(2), X=X), grad(f)(np.ones(2), X))


def test_grad_leaves_tensors_from_outside_alone() -> None:
    W = Tensor(np.ones((2, 2)))
    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(grad(lambda x: (x @ W).sum())(x), [2.0, 2.0])
    assert W.grad is None


def test_backward_takes_a_tensor_as_gradient() -> None:
    x = Tensor([1.0, 2.0])
    (x * 2.0).backward(Tensor([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 20.0])


def test_comparisons_give_boolean_arrays_as_in_numpy() -> None:
    t = Tensor([0.0, 1.0, 2.0])
    for got, expected in [
        (t == 1.0, [False, True, False]),
        (t != 1.0, [True, False, True]),
        (t < 1.0, [True, False, False]),
        (t >= Tensor([0.0, 2.0, 2.0]), [True, False, True]),
        (np.ones(3) > t, [True, False, False]),
    ]:
        assert type(got) is np.ndarray and got.dtype == bool
        np.testing.assert_array_equal(got, expected)
    t[t > 0.5].sum().backward()  # a mask from a comparison
    np.testing.assert_array_equal(t.grad, [0.0, 1.0, 1.0])
    assert len({t, Tensor([0.0])}) == 2  # Tensors stay hashable, by identity


def test_iterating_gives_differentiable_rows() -> None:
    x = Tensor([[1.0, 2.0], [3.0, 4.0]])
    rows = list(x)
    assert len(rows) == 2 and rows[1].shape == (2,)
    (rows[0] * rows[1]).sum().backward()
    np.testing.assert_array_equal(x.grad, [[3.0, 4.0], [1.0, 2.0]])


@pytest.mark.parametrize("index", [np.array([0, 0]), [0, 0]])
def test_changing_the_index_after_indexing_does_not_move_the_gradient(index) -> None:
    x = Tensor([1.0, 2.0, 3.0])
    y = x[index]
    index[0] = index[1] = 2  # the caller reuses its index array
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, 0.0])


def test_float32_gradients_stay_float32_when_they_accumulate() -> None:
    x = Tensor(np.ones(2, np.float32))
    for _ in range(3):
        (x * np.array([2.0, 2.0])).sum().backward()
        assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])


def test_no_grad_works_as_a_bare_decorator_too() -> None:
    @no_grad
    def bare(x):
        return x * 2.0

    @no_grad()
    def called(x):
        return x * 2.0

    assert not bare(Tensor([1.0])).requires_grad and not called(Tensor([1.0])).requires_grad
    assert bare.__name__ == "bare" and vjpgrad.is_grad_enabled()


def test_logsumexp_over_an_empty_axis_is_minus_infinity() -> None:
    x = Tensor(np.zeros((3, 0)))
    y = x.logsumexp(axis=1)
    np.testing.assert_array_equal(y.value, [-np.inf] * 3)
    y.backward(np.ones(3))
    assert x.grad.shape == (3, 0)


def test_repr_names_a_dtype_other_than_float64() -> None:
    assert (
        repr(Tensor(np.ones(2, np.float32)))
        == "Tensor([1., 1.], requires_grad=True, dtype=float32)"
    )


@pytest.mark.parametrize(
    "base, exponent, d_base, d_exponent",
    [
        (0.0, 0.0, 0.0, 0.0),  # d/da a^0 = 0 (not 0 * 0^-1 = nan); d/db 0^b at b=0: 0 by convention
        (0.0, 2.0, 0.0, 0.0),  # d/da a^2 = 2a = 0; d/db 0^b = 0 for b > 0
        (0.0, 1.0, 1.0, 0.0),
        (-2.0, 3.0, 12.0, np.nan),  # negative base: d/db needs log(-2), nan as in NumPy
        (3.0, 0.0, 0.0, np.log(3.0)),
    ],
)
def test_power_at_special_points(base, exponent, d_base, d_exponent) -> None:
    a, b = Tensor(base), Tensor(exponent)
    with np.errstate(invalid="ignore"):
        (a**b).backward()
    np.testing.assert_allclose([a.grad, b.grad], [d_base, d_exponent])


@pytest.mark.parametrize("exponent", [0, 0.0, np.zeros(4), "tensor"])
def test_the_derivative_of_x_to_the_zero_is_zero_also_at_infinity(exponent) -> None:
    """F13: d/dx x**0 = 0 everywhere, as in PyTorch (not 0 * inf = nan at x = ±inf)."""
    x = Tensor([-np.inf, -2.0, 0.0, np.inf])
    b = Tensor(0.0) if isinstance(exponent, str) else exponent
    with np.errstate(invalid="ignore", divide="ignore"):
        y = x**b
        y.backward(np.ones(4))
    np.testing.assert_array_equal(y.value, np.ones(4))
    np.testing.assert_array_equal(x.grad, np.zeros(4))


def test_assigning_a_value_to_a_leaf_is_validated() -> None:
    """F15: an integer array becomes float64 (so the gradient is not cast to integers),
    a list becomes an array, and non-numbers are refused."""
    w = Tensor(np.ones(3))
    w.value = np.zeros(3, dtype=int)
    assert type(w.value) is np.ndarray and w.value.dtype == np.float64
    (w * 0.3).sum().backward()
    assert w.grad.dtype == np.float64
    np.testing.assert_allclose(w.grad, [0.3, 0.3, 0.3])
    w.value = [1, 2, 3]
    assert type(w.value) is np.ndarray and w.value.dtype == np.float64 and w.shape == (3,)
    kept = np.ones(2, np.float32)
    w.value = kept
    assert w.value is kept  # a float array is wrapped as it is, like Tensor(array)
    for bad in ("abc", np.ones(2, complex), [object()]):
        with pytest.raises(TypeError, match="real numbers"):
            w.value = bad
    assert w.value is kept


def test_the_value_of_a_computed_tensor_cannot_be_assigned() -> None:
    x = Tensor([1.0, 2.0])
    y = x * 2.0
    with pytest.raises(AttributeError, match="computed by 'multiply'.*leaf"):
        y.value = np.zeros(2)
    y.backward(np.ones(2))
    np.testing.assert_array_equal(y.value, [2.0, 4.0])
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_assigning_a_gradient_is_validated() -> None:
    """F16: a gradient of another shape is refused (it was broadcast into before); an
    assigned gradient is stored as the Tensor's dtype, in an array of its own."""
    x = Tensor(np.ones(3))
    with pytest.raises(ValueError, match=r"shape \(2, 3\).*shape \(3,\)"):
        x.grad = np.zeros((2, 3))
    assert x.grad is None
    with pytest.raises(TypeError, match="real numbers"):
        x.grad = np.ones(3, complex)
    start = np.array([1.0, 2.0, 3.0])
    x.grad = start
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0, 5.0])
    np.testing.assert_array_equal(start, [1.0, 2.0, 3.0])  # the caller's array is not added into
    x.grad = [1, 1, 1]
    assert type(x.grad) is np.ndarray and x.grad.dtype == np.float64
    h = Tensor(np.ones(2, np.float32))
    h.grad = np.array([0.5, 0.25])  # float64
    assert h.grad.dtype == np.float32
    y = h * 2.0
    with pytest.raises(ValueError, match="shape"):
        y.grad = np.ones(3)  # a computed Tensor's gradient is checked too


@pytest.mark.parametrize(
    "constant",
    [
        np.ones(3, np.uint8),
        np.ones(3, bool),
        np.ones(3, np.int8),
        np.ones(3, np.int16),
        np.ones(3, np.float16),
        2,
        True,
        2.5,
        np.ones(3, np.int64),
        np.float64(2.0),
    ],
)
def test_constants_follow_numpy_dtype_rules(constant) -> None:
    """F18: float32 data with a uint8 or bool constant stays float32 (not float64: twice
    the memory and time), as NumPy computes it."""
    w = Tensor(np.ones(3, np.float32))
    expected = (constant * np.ones(3, np.float32)).dtype
    for y in (constant * w, w * constant, w + constant, constant - w):
        assert y.dtype == expected, (y.dtype, expected)
    (constant * w).sum().backward()
    assert w.grad.dtype == np.float32  # a leaf's gradient keeps the leaf's dtype


def test_uint8_data_times_float32_weights_is_float32() -> None:
    X = np.ones((4, 3), np.uint8)
    w = Tensor(np.ones(3, np.float32))
    y = X * w
    assert y.dtype == np.float32
    (X @ w).sum().backward()
    assert w.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad, [4.0, 4.0, 4.0])


def test_transpose_with_none_reverses_all_axes() -> None:
    x = Tensor(np.arange(6.0).reshape(1, 2, 3))
    for y in (x.transpose(None), x.transpose(), x.T):
        np.testing.assert_array_equal(y.value, x.value.T)
    (x.transpose(None) * np.arange(6.0).reshape(3, 2, 1)).sum().backward()
    np.testing.assert_array_equal(x.grad, np.arange(6.0).reshape(3, 2, 1).T)


def test_retained_and_leaf_gradients_are_separate_writable_arrays() -> None:
    """add's VJPs hand g on as it is: the stored gradients must still be arrays of
    their own, writable, of each Tensor's dtype."""
    x = Tensor(np.ones(2, np.float32))
    h = x + 0.0
    y = h + np.zeros(2)  # float64
    seed = np.array([1.0, 2.0])
    y.backward(seed, retain_grads=True)
    grads = [x.grad, h.grad, y.grad]
    assert [g.dtype for g in grads] == [np.float32, np.float32, np.float64]
    assert all(g.flags.writeable for g in grads)
    for i in range(3):
        assert not np.shares_memory(grads[i], seed)
        for j in range(i):
            assert not np.shares_memory(grads[i], grads[j])
    h.grad[0] = 100.0
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])
    np.testing.assert_array_equal(y.grad, [1.0, 2.0])
