"""Every primitive's VJP against central finite differences, in float64.

Shapes come from Hypothesis (0-d arrays, size-1 axes, broadcasting pairs, batched
matmul with 1-D operands on either side, reductions over every kind of axis,
arbitrary transposes, indexing with repeated indices).  Values are drawn from a
seeded NumPy generator, kept inside each primitive's domain and away from its kinks
(ties in max, 0 for relu), where finite differences do not define a derivative; the
tie conventions are tested separately in test_tensor_api.py.

Each case is checked twice:
* each of the primitive's VJPs, ``vjps[k](node, g)`` on a node recorded by ``apply``
  (so it reads only what ``save`` kept), summed to the input's shape with
  ``unbroadcast``, against ``d/d input_k <g, forward(inputs)>`` by central differences;
* the same computation through Tensors, with ``check_grad`` (which records inside
  ``keep_values``) and with a plain ``backward()`` (a graph that keeps only what
  ``save`` keeps), each input once a Tensor and once a constant.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from vjpgrad import PRIMITIVES, Tensor, apply, check_grad, numerical_jacobian, unbroadcast

SETTINGS = settings(
    max_examples=int(os.environ.get("VJPGRAD_EXAMPLES", 40)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)
pairs = hnp.mutually_broadcastable_shapes(
    num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=3
)
seeds = st.integers(0, 2**32 - 1)


def values(rng: np.random.Generator, shape: tuple, domain: str = "real") -> np.ndarray:
    """Random float64 values of `shape` inside a primitive's domain, away from kinks."""
    x = rng.standard_normal(shape)
    if domain == "positive":
        return 0.5 + rng.random(shape) * 1.5
    if domain == "nonzero":
        return np.where(x < 0, x - 0.5, x + 0.5)
    return x


def assert_vjp_matches_fd(name: str, inputs: list[np.ndarray], seed: int, **params) -> None:
    """vjps[k](node, g), summed to inputs[k]'s shape, == d/d inputs[k] <g, forward(*inputs)>
    for every k, on a node that apply() recorded (outside keep_values)."""
    primitive = PRIMITIVES[name]
    result = apply(primitive, *[Tensor(x) for x in inputs], **params)
    node = result.node
    assert type(node) is primitive and node.values is None
    out = np.asarray(primitive.forward(*inputs, **params))
    np.testing.assert_array_equal(result.value, out)
    g = np.random.default_rng(seed + 1).standard_normal(out.shape)
    assert len(primitive.vjps) == len(inputs)
    for k, x in enumerate(inputs):

        def along(z: np.ndarray, k: int = k) -> float:
            zs = list(inputs)
            zs[k] = z
            return float(np.sum(g * primitive.forward(*zs, **params)))

        expected = numerical_jacobian(along, x)
        raw = np.asarray(primitive.vjps[k](node, g))
        got = unbroadcast(raw, x.shape)  # raises ValueError for a shape that is not x's broadcast
        assert got.shape == x.shape, f"{name}: gradient {k} has shape {raw.shape}, input {x.shape}"
        assert got.dtype == np.float64, f"{name}: gradient {k} has dtype {got.dtype}"
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8, err_msg=f"{name} input {k}")


def backward_matches_fd(f, inputs: list[np.ndarray]) -> None:
    """backward() of f, recorded outside keep_values: each node keeps only what its
    primitive's `save` keeps, so a VJP that reads anything else fails here (check_grad
    records graphs that keep every value)."""
    ts = [Tensor(x) for x in inputs]
    out = f(*ts)
    v = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(v)
    for k, x in enumerate(inputs):

        def projected(z: np.ndarray, k: int = k) -> float:
            zs = list(inputs)
            zs[k] = z
            return float(np.sum(v * f(*[Tensor(a, requires_grad=False) for a in zs]).value))

        np.testing.assert_allclose(
            ts[k].grad, numerical_jacobian(projected, x), rtol=1e-6, atol=1e-8
        )


def check_both(f, *inputs: np.ndarray) -> None:
    """check_grad of f, and backward() of f against finite differences."""
    check_grad(f, *inputs)
    backward_matches_fd(f, list(inputs))


def check_through_tensors(f, inputs: list[np.ndarray]) -> None:
    """check_both, then with each input in turn held constant (a plain ndarray)."""
    check_both(f, *inputs)
    if len(inputs) == 2:
        a, b = inputs
        check_both(lambda x: f(x, b), a)
        check_both(lambda y: f(a, y), b)


# ---- element-wise binary primitives over every broadcasting pair ---------------------

BINARY = {
    "add": (lambda a, b: a + b, "real", "real"),
    "subtract": (lambda a, b: a - b, "real", "real"),
    "multiply": (lambda a, b: a * b, "real", "real"),
    "divide": (lambda a, b: a / b, "real", "nonzero"),
    "power": (lambda a, b: a**b, "positive", "real"),
    "maximum": (
        lambda a, b: a.maximum(b) if isinstance(a, Tensor) else Tensor(a, False).maximum(b),
        "real",
        "real",
    ),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(shapes=pairs, seed=seeds)
def test_binary_primitive(name: str, shapes, seed: int) -> None:
    f, dom_a, dom_b = BINARY[name]
    rng = np.random.default_rng(seed)
    a, b = values(rng, shapes.input_shapes[0], dom_a), values(rng, shapes.input_shapes[1], dom_b)
    assert_vjp_matches_fd(name, [a, b], seed)
    check_through_tensors(f, [a, b])


@pytest.mark.parametrize(
    "shape_a, shape_b",
    [
        ((), ()),
        ((), (3,)),
        ((3,), ()),
        ((1,), (3,)),
        ((3,), (1,)),
        ((2, 1), (1, 3)),
        ((2, 3), (3,)),
        ((3,), (2, 3)),
        ((4, 1, 3), (2, 1)),
        ((1, 1), (2, 3)),
        ((2, 3), (2, 3)),
        ((2, 1, 1), (1, 3, 1)),
    ],
)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_primitive_listed_broadcasts(name: str, shape_a: tuple, shape_b: tuple) -> None:
    f, dom_a, dom_b = BINARY[name]
    rng = np.random.default_rng(7)
    a, b = values(rng, shape_a, dom_a), values(rng, shape_b, dom_b)
    assert_vjp_matches_fd(name, [a, b], 7)
    check_through_tensors(f, [a, b])


def test_scalar_constants_on_either_side() -> None:
    x = np.array([0.7, 1.3, 2.1])
    for f in (
        lambda t: 2.0 + t,
        lambda t: t + 2,
        lambda t: 2.0 - t,
        lambda t: t - 2.0,
        lambda t: 3.0 * t,
        lambda t: t * 3,
        lambda t: 2.0 / t,
        lambda t: t / 2.0,
        lambda t: t**2,
        lambda t: t**0.5,
        lambda t: t**-1.5,
        lambda t: 2.0**t,
        lambda t: t**0,
        lambda t: -t,
        lambda t: t.maximum(1.0),
    ):
        check_both(f, x)


# ---- matmul: 1-D operands on either side, batched and broadcast --------------------


@st.composite
def matmul_shapes(draw) -> tuple[tuple, tuple]:
    m, n, p = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batch = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3)
    )
    a_1d, b_1d = draw(st.booleans()), draw(st.booleans())
    shape_a = (n,) if a_1d else batch.input_shapes[0] + (m, n)
    shape_b = (n,) if b_1d else batch.input_shapes[1] + (n, p)
    return shape_a, shape_b


@SETTINGS
@given(shapes=matmul_shapes(), seed=seeds)
def test_matmul(shapes, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = values(rng, shapes[0]), values(rng, shapes[1])
    assert_vjp_matches_fd("matmul", [a, b], seed)
    check_through_tensors(lambda x, y: x @ y, [a, b])


@pytest.mark.parametrize(
    "shape_a, shape_b",
    [
        ((3,), (3,)),
        ((3,), (3, 2)),
        ((2, 3), (3,)),
        ((4, 2, 3), (3,)),
        ((3,), (4, 3, 2)),
        ((4, 2, 3), (3, 2)),
        ((2, 3), (4, 3, 2)),
        ((4, 1, 2, 3), (5, 3, 2)),
        ((1, 1), (1, 1)),
    ],
)
def test_matmul_listed_shapes(shape_a: tuple, shape_b: tuple) -> None:
    rng = np.random.default_rng(3)
    a, b = values(rng, shape_a), values(rng, shape_b)
    assert_vjp_matches_fd("matmul", [a, b], 3)
    check_through_tensors(lambda x, y: x @ y, [a, b])


# ---- element-wise unary primitives --------------------------------------------------

UNARY = {
    "negative": (lambda t: -t, "real"),
    "exp": (lambda t: t.exp(), "real"),
    "log": (lambda t: t.log(), "positive"),
    "tanh": (lambda t: t.tanh(), "real"),
    "sigmoid": (lambda t: t.sigmoid(), "real"),
    "relu": (lambda t: t.relu(), "nonzero"),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@SETTINGS
@given(shape=shapes, seed=seeds)
def test_unary_primitive(name: str, shape: tuple, seed: int) -> None:
    f, dom = UNARY[name]
    x = values(np.random.default_rng(seed), shape, dom)
    assert_vjp_matches_fd(name, [x], seed)
    check_both(f, x)


# ---- reductions over None / int / negative int / tuple axes, with and without keepdims


@st.composite
def reduction_case(draw) -> tuple[tuple, object, bool]:
    shape = draw(shapes)
    ndim = len(shape)
    choices = [st.none()]
    if ndim:
        choices.append(st.integers(-ndim, ndim - 1))
        choices.append(
            st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(
                lambda axes: tuple(a - ndim if draw(st.booleans()) else a for a in axes)
            )
        )
    axis = draw(st.one_of(*choices))
    return shape, axis, draw(st.booleans())


REDUCTIONS = {"sum": "sum", "mean": "mean", "max": "max", "logsumexp": "logsumexp"}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@SETTINGS
@given(case=reduction_case(), seed=seeds)
def test_reduction(name: str, case, seed: int) -> None:
    shape, axis, keepdims = case
    x = values(np.random.default_rng(seed), shape)  # continuous values: no ties in max
    assert_vjp_matches_fd(name, [x], seed, axis=axis, keepdims=keepdims)
    check_both(lambda t: getattr(t, name)(axis=axis, keepdims=keepdims), x)


def test_reduction_axis_given_as_list() -> None:
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    check_both(lambda t: t.sum(axis=[0, -1]), x)
    np.testing.assert_allclose(Tensor(x).sum(axis=[0, 2]).value, x.sum(axis=(0, 2)))


# ---- shape primitives and indexing --------------------------------------------------


@SETTINGS
@given(shape=shapes, seed=seeds, data=st.data())
def test_transpose(shape: tuple, seed: int, data) -> None:
    x = values(np.random.default_rng(seed), shape)
    perm = data.draw(st.permutations(range(len(shape))))
    negative = data.draw(st.booleans())
    axes = tuple(a - len(shape) for a in perm) if negative else tuple(perm)
    assert_vjp_matches_fd("transpose", [x], seed, axes=axes if axes else None)
    check_both(
        lambda t: t.transpose(*axes) * np.arange(x.size).reshape(np.transpose(x, axes).shape), x
    )
    check_both(lambda t: t.T * np.arange(x.size).reshape(x.T.shape), x)


@SETTINGS
@given(shape=shapes, seed=seeds, data=st.data())
def test_reshape(shape: tuple, seed: int, data) -> None:
    x = values(np.random.default_rng(seed), shape)
    new = data.draw(
        st.sampled_from(
            [(-1,), shape[::-1], (1,) + shape, shape + (1,), (x.size,), ()]
            if x.size == 1
            else [(-1,), shape[::-1], (1,) + shape, shape + (1,), (x.size,)]
        )
    )
    assert_vjp_matches_fd("reshape", [x], seed, shape=new)
    weights = np.arange(x.size, dtype=float).reshape(np.reshape(x, new).shape)
    check_both(lambda t: t.reshape(new) * weights, x)
    check_both(lambda t: t.reshape(*new) * weights, x)


@SETTINGS
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
    seed=seeds,
    data=st.data(),
)
def test_getitem_basic_slicing(shape: tuple, seed: int, data) -> None:
    x = values(np.random.default_rng(seed), shape)
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    if np.asarray(x[index]).size == 0:
        return
    assert_vjp_matches_fd("getitem", [x], seed, index=index)
    check_both(lambda t: t[index], x)


@SETTINGS
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
    seed=seeds,
    data=st.data(),
)
def test_getitem_integer_arrays_with_repeats(shape: tuple, seed: int, data) -> None:
    x = values(np.random.default_rng(seed), shape)
    rows = data.draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=6))
    index = np.array(rows)
    if len(shape) > 1 and data.draw(st.booleans()):
        cols = data.draw(
            st.lists(st.integers(0, shape[1] - 1), min_size=len(rows), max_size=len(rows))
        )
        index = (np.array(rows), np.array(cols))
    elif len(shape) > 1 and data.draw(st.booleans()):
        index = (
            slice(None),
            np.array(data.draw(st.lists(st.integers(0, shape[1] - 1), min_size=1, max_size=5))),
        )
    assert_vjp_matches_fd("getitem", [x], seed, index=index)
    check_both(lambda t: t[index], x)


def test_getitem_repeated_indices_accumulate() -> None:
    x = Tensor([1.0, 2.0, 3.0])
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])
    y = Tensor(np.ones((2, 3)))
    y[[1, 1], [2, 2]].sum().backward()
    np.testing.assert_array_equal(y.grad, [[0, 0, 0], [0, 0, 2]])


def test_getitem_boolean_mask_and_repeated_rows() -> None:
    x = np.random.default_rng(1).standard_normal((3, 4))
    mask = x > 0
    check_both(lambda t: t[mask], x)
    t = Tensor(x)
    t[t > 0].sum().backward()  # a mask made by comparing the Tensor itself
    np.testing.assert_array_equal(t.grad, mask)
    t = Tensor(x)
    t[[2, 0, 2]].sum().backward()
    np.testing.assert_array_equal(t.grad, np.array([[1.0] * 4, [0] * 4, [2.0] * 4]))


def test_every_registered_builtin_is_covered() -> None:
    covered = (
        set(BINARY) | set(UNARY) | set(REDUCTIONS) | {"matmul", "transpose", "reshape", "getitem"}
    )
    builtins = {
        name for name, prim in PRIMITIVES.items() if prim.__module__ == "vjpgrad.primitives"
    }
    assert len(builtins) == 20 and builtins <= covered, builtins - covered
