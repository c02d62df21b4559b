"""Primitives of one's own (@vjpgrad.primitive) and VJPs tried out (override_vjp): they
are checked, so that a mistake gives an error naming the primitive and the input
rather than a silently wrong gradient."""

from __future__ import annotations

import numpy as np
import pytest

import vjpgrad
from vjpgrad import PRIMITIVES, Node, Tensor, apply, check_grad, keep_values, override_vjp


def make_sin() -> type[Node]:
    @vjpgrad.primitive
    class Sin(Node):
        """sin(x):  dl/dx = g ⊙ cos x."""

        __slots__ = ("x",)
        forward = np.sin

        def save(self, out, x):
            self.x = x

        vjps = (lambda node, g: g * np.cos(node.x),)

    return Sin


def test_a_new_primitive_is_registered_applied_and_differentiated() -> None:
    Sin = make_sin()
    assert PRIMITIVES["sin"] is Sin and Sin.name == "sin" and issubclass(Sin, Node)
    x = Tensor([0.0, 1.0])
    y = apply(Sin, x)
    assert y.op == "sin" and type(y.node) is Sin
    np.testing.assert_allclose(y.value, np.sin(x.value))
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.cos(x.value))
    check_grad(lambda t: apply(Sin, t * 2.0), np.array([0.3, 0.4]))
    assert not apply(Sin, Tensor([1.0], requires_grad=False)).requires_grad


def test_a_primitive_whose_vjps_read_nothing_needs_no_save() -> None:
    @vjpgrad.primitive
    class Twice(Node):
        __slots__ = ()
        forward = staticmethod(lambda x: 2.0 * x)
        vjps = (lambda node, g: 2.0 * g,)

    x = Tensor([1.0, 2.0])
    apply(Twice, x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def make_hypot(seen: list | None = None) -> type[Node]:
    @vjpgrad.primitive
    class Hypot(Node):
        """hypot(a, b):  dl/da = g ⊙ a / out,  dl/db = g ⊙ b / out."""

        __slots__ = ("a", "b", "out")
        forward = np.hypot

        def save(self, out, a, b):
            if seen is not None:
                seen.append((type(a), type(b)))
            self.a, self.b, self.out = a, b, out

        vjps = (lambda node, g: g * node.a / node.out, lambda node, g: g * node.b / node.out)

    return Hypot


def test_a_two_input_primitive_with_constants_on_either_side() -> None:
    Hypot = make_hypot()
    x = Tensor([3.0, 5.0])
    for first, second in ((x, 4.0), (4.0, x), (x, x), (x, np.full(2, 4.0)), (x, 4)):
        x.grad = None
        apply(Hypot, first, second).sum().backward()
        other = x.value if first is second else 4.0
        expected = x.value / np.hypot(x.value, other) * (2 if first is second else 1)
        np.testing.assert_allclose(x.grad, expected)


def test_save_receives_ndarrays_also_for_number_constants() -> None:
    """As vjpgrad 0.1 promised its VJPs: a save may read `.shape` or `.ndim` of any
    input, whether the caller passed a Tensor, an array or a Python number."""
    seen: list = []
    Hypot = make_hypot(seen)
    x = Tensor([3.0, 5.0])
    for first, second in ((x, 4.0), (4.0, x), (x, 4)):
        apply(Hypot, first, second)
    assert seen == [(np.ndarray, np.ndarray)] * 3


def test_a_vjp_may_return_its_gradient_in_the_broadcast_shape() -> None:
    Hypot = make_hypot()  # its VJPs return arrays shaped like g
    a, b = Tensor(np.full((2, 1), 3.0)), Tensor(np.full(3, 4.0))
    apply(Hypot, a, b).sum().backward()
    np.testing.assert_allclose(a.grad, np.full((2, 1), 3 * 0.6))
    np.testing.assert_allclose(b.grad, np.full(3, 2 * 0.8))


def test_a_forward_error_names_the_primitive_and_the_shapes() -> None:
    Hypot = make_hypot()
    with pytest.raises(ValueError, match=r"hypot of shapes \(2,\), \(3,\)"):
        apply(Hypot, Tensor(np.ones(2)), np.ones(3))


def test_a_wrong_number_of_inputs_is_an_error() -> None:
    Sin = make_sin()
    x, y = Tensor([0.0, 1.0]), Tensor([5.0, 6.0])
    with pytest.raises(TypeError, match=r"'sin' takes 1 input\(s\), got 2.*keyword"):
        apply(Sin, x, y)  # np.sin would write its result into y (its `out`)
    np.testing.assert_array_equal(y.value, [5.0, 6.0])


@pytest.mark.parametrize("result", [np.array([1j, 2.0]), np.array(["a", "b"])])
def test_a_forward_returning_something_other_than_real_numbers_is_an_error(result) -> None:
    @vjpgrad.primitive
    class Odd(Node):
        __slots__ = ()
        forward = staticmethod(lambda x: result)
        vjps = (lambda node, g: g,)

    with pytest.raises(TypeError, match="forward of 'odd' returned"):
        apply(Odd, Tensor([1.0, 2.0]))


def test_a_forward_returning_integers_gives_floats() -> None:
    @vjpgrad.primitive
    class Floor(Node):
        __slots__ = ()
        forward = staticmethod(lambda x: np.floor(x).astype(int))
        vjps = (lambda node, g: 0.0 * g,)

    y = apply(Floor, Tensor([1.5, -0.5]))
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y.value, [1.0, -1.0])


@pytest.mark.parametrize("vjps", [None, (np.ones(2),), "abc", lambda node, g: g])
def test_vjps_must_be_a_tuple_of_functions(vjps) -> None:
    broken = type("Broken", (Node,), {"forward": staticmethod(np.negative), "vjps": vjps})
    with pytest.raises(TypeError, match="`vjps` must be a tuple of functions"):
        vjpgrad.primitive(broken)
    assert "broken" not in PRIMITIVES


# ---- what a VJP returns is checked (F19) ----------------------------------------------

BAD_RETURNS = {
    "None": (lambda node, g: None, TypeError, "returned NoneType"),
    "a tuple": (lambda node, g: (g * 2.0,), TypeError, "returned tuple"),
    "complex": (lambda node, g: g * 1j, TypeError, "dtype complex128"),
    "strings": (lambda node, g: np.full(np.shape(g), "a"), TypeError, "dtype <U1"),
    "a wrong shape": (
        lambda node, g: np.sum(g, keepdims=True),
        ValueError,
        r"shape \(1,\) for input 0 of shape \(3,\)",
    ),
    "a scalar": (lambda node, g: np.sum(g), ValueError, r"shape \(\) for input 0 of shape \(3,\)"),
}


@pytest.mark.parametrize("mistake", sorted(BAD_RETURNS))
def test_a_bad_vjp_result_names_the_primitive_and_the_input(mistake: str) -> None:
    vjp, error, message = BAD_RETURNS[mistake]
    x = Tensor([1.0, 2.0, 3.0])
    with (
        override_vjp("exp", vjp),
        pytest.raises(error, match=f"VJP of 'exp'.*{message}|VJP of 'exp' for input 0.*{message}"),
    ):
        x.exp().sum().backward()
    assert x.grad is None
    x.exp().sum().backward()  # restored on exit
    np.testing.assert_allclose(x.grad, np.exp(x.value))


def test_a_vjp_returning_a_tuple_for_a_0d_input_is_named() -> None:
    """F19: gave "'numpy.float64' object is not iterable", naming no primitive."""

    @vjpgrad.primitive
    class Sine(Node):
        __slots__ = ("x",)
        forward = np.sin

        def save(self, out, x):
            self.x = x

        vjps = (lambda node, g: (g * np.cos(node.x),),)  # a tuple, the 0.1 convention

    with pytest.raises(TypeError, match="VJP of 'sine' for input 0 returned tuple"):
        apply(Sine, Tensor(np.ones(()))).backward()


def test_a_vjp_may_return_a_list_or_integers() -> None:
    @vjpgrad.primitive
    class Square(Node):
        __slots__ = ("x",)
        forward = np.square

        def save(self, out, x):
            self.x = x

        vjps = (lambda node, g: (2 * node.x * g).tolist(),)

    @vjpgrad.primitive
    class Count(Node):
        __slots__ = ()
        forward = staticmethod(lambda x: x * 1.0)
        vjps = (lambda node, g: np.ones(np.shape(g), dtype=int),)

    x = Tensor([1.0, 2.0])
    (apply(Square, x) + apply(Square, x)).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])  # added, not concatenated
    z = Tensor(np.ones(2, np.float32))
    apply(Count, z).sum().backward()
    assert z.grad.dtype == np.float32
    np.testing.assert_array_equal(z.grad, [1.0, 1.0])


# ---- user code cannot change the forward pass's values (F17) ------------------------


def test_a_vjp_that_modifies_an_input_in_place_is_stopped() -> None:
    """F17: a VJP writing into x changed the leaf's value silently."""

    @vjpgrad.primitive
    class Sq(Node):
        __slots__ = ("x",)
        forward = np.square

        def save(self, out, x):
            self.x = x

        vjps = (lambda node, g: np.multiply(node.x, 2.0, out=node.x) * g,)

    w = Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="VJP of 'sq' for input 0 modifies an array in place"):
        apply(Sq, w).sum().backward()
    np.testing.assert_array_equal(w.value, [1.0, 2.0])


def test_a_save_that_modifies_an_input_or_the_output_in_place_is_stopped() -> None:
    @vjpgrad.primitive
    class ScaleInput(Node):
        __slots__ = ()
        forward = np.negative

        def save(self, out, x):
            x *= 2.0

        vjps = (lambda node, g: -g,)

    @vjpgrad.primitive
    class ScaleOutput(Node):
        __slots__ = ()
        forward = np.negative

        def save(self, out, x):
            out[...] = 0.0

        vjps = (lambda node, g: -g,)

    w = Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="save of 'scaleinput' modifies an array in place"):
        apply(ScaleInput, w)
    with pytest.raises(ValueError, match="save of 'scaleoutput' modifies an array in place"):
        apply(ScaleOutput, w)
    np.testing.assert_array_equal(w.value, [1.0, 2.0])


def test_a_vjp_that_modifies_g_in_place_is_stopped() -> None:
    @vjpgrad.primitive
    class ReluInPlace(Node):
        __slots__ = ("x",)
        forward = staticmethod(lambda x: np.maximum(x, 0.0))

        def save(self, out, x):
            self.x = x

        def vjp_x(self, g):
            g[self.x <= 0] = 0.0  # would also zero the gradient that `add` sends to x * 3
            return g

        vjps = (vjp_x,)

    x = Tensor([-1.0, 2.0])
    y = apply(ReluInPlace, x) + x * 3.0
    with pytest.raises(
        ValueError, match="VJP of 'reluinplace' for input 0 modifies an array in place"
    ):
        y.backward(np.ones(2))


def test_array_parameters_are_copied() -> None:
    """F14: changing an index array after the forward pass moved the gradient."""

    @vjpgrad.primitive
    class Take(Node):
        __slots__ = ("n", "index")
        forward = staticmethod(lambda x, index: x[index])

        def save(self, out, x, index):
            self.n, self.index = len(x), index

        vjps = (lambda node, g: np.bincount(node.index, g, minlength=node.n),)

    index = np.array([0, 0, 1])
    x = Tensor(np.arange(3.0))
    y = apply(Take, x, index=index)
    index[:] = 2  # the caller reuses its array
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 1.0, 0.0])


# ---- override_vjp ----------------------------------------------------------------


def test_override_vjp_replaces_and_restores_the_vjps() -> None:
    own = PRIMITIVES["multiply"].vjps
    x, w = Tensor([1.0, 2.0]), Tensor([3.0, 4.0])
    with override_vjp("multiply", None, lambda node, g: 10.0 * g * node.x) as cls:
        assert cls is PRIMITIVES["multiply"]
        assert cls.vjps[0] is own[0] and cls.vjps[1] is not own[1]  # None keeps one
        (x * w).sum().backward()
    assert PRIMITIVES["multiply"].vjps == own
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])
    np.testing.assert_array_equal(w.grad, [10.0, 20.0])


def test_override_vjp_is_restored_after_an_exception() -> None:
    own = PRIMITIVES["exp"].vjps
    with pytest.raises(KeyError), override_vjp("exp", lambda node, g: g):
        raise KeyError("inside")
    assert PRIMITIVES["exp"].vjps == own


def test_override_vjp_applies_to_nodes_recorded_before() -> None:
    """It changes the primitive's class, and every node of it uses the class's VJPs."""
    x = Tensor([0.0, 1.0])
    loss = x.exp().sum()
    with override_vjp("exp", lambda node, g: 2.0 * g * node.out):
        loss.backward()
    np.testing.assert_allclose(x.grad, 2.0 * np.exp(x.value))


def test_override_vjp_needs_one_vjp_per_input() -> None:
    with (
        pytest.raises(TypeError, match=r"'multiply' has 2 input\(s\), so give 2 VJP\(s\).*not 1"),
        override_vjp("multiply", lambda node, g: g),
    ):
        pass
    with pytest.raises(TypeError, match="must be a function"), override_vjp("exp", np.ones(2)):
        pass
    x = Tensor([1.0, 2.0])
    (x * 3.0).exp().sum().backward()  # both left as they were
    np.testing.assert_allclose(x.grad, 3.0 * np.exp(3.0 * x.value))


def test_override_vjp_of_a_user_primitive() -> None:
    Sin = make_sin()
    own = Sin.vjps
    x = Tensor([0.5])
    with override_vjp("sin", lambda node, g: -g * np.cos(node.x)):
        apply(Sin, x).backward()
    assert Sin.vjps == own
    np.testing.assert_allclose(x.grad, -np.cos([0.5]))


def test_keep_values_keeps_a_user_primitives_inputs_and_params() -> None:
    @vjpgrad.primitive
    class Scale(Node):
        __slots__ = ("factor",)
        forward = staticmethod(lambda x, factor: x * factor)

        def save(self, out, x, factor):
            self.factor = factor

        vjps = (lambda node, g: g * node.factor,)

    x = Tensor([1.0, 2.0])
    assert apply(Scale, x, factor=3.0).node.values is None
    with keep_values():
        node = apply(Scale, x, factor=3.0).node
    out, inputs, params = node.values
    np.testing.assert_array_equal(out, [3.0, 6.0])
    assert inputs[0] is x.value and params == {"factor": 3.0}
