"""gradcheck, gradgradcheck and numerical_grad: they pass on right gradients and
catch wrong ones, naming the input and the element (on every backend)."""

import warnings

import numpy
import pytest

import minigrad
from minigrad import Function, GradcheckError, gradcheck, gradgradcheck, numerical_grad


def f64(values, requires_grad=True, name=None):
    x = minigrad.tensor(numpy.asarray(values, dtype=numpy.float64), requires_grad=requires_grad)
    x.name = name
    return x


class Cube(Function):
    """y = x³ ; dy/dx = 3x² (right)."""

    def forward(self, x):
        return x ** 3

    def backward(self, gy):
        x, = self.inputs
        return gy * 3 * x ** 2


class WrongCube(Function):
    """y = x³ with the classic slip dy/dx = 2x (wrong, except at x = 0 and x = 2/3)."""

    def forward(self, x):
        return x ** 3

    def backward(self, gy):
        x, = self.inputs
        return gy * 2 * x


class DataCube(Function):
    """y = x³ with dy/dx = 3x² computed on raw ``.data``: right to first order, but the
    gradient is a constant to the graph, so its derivative (6x) comes out as 0."""

    def forward(self, x):
        return x ** 3

    def backward(self, gy):
        x, = self.inputs
        return gy * minigrad.Tensor(3 * x.data ** 2)


# Every element of x is 2/3, where 2x == 3x², except element (1, 2): only it is wrong.
X_VALUES = numpy.full((2, 3), 2 / 3)
X_VALUES[1, 2] = 1.5


def test_gradcheck_passes_on_correct_ops(backend, rng):
    a = f64(rng.standard_normal((3, 4)))
    b = f64(rng.standard_normal((4, 2)))
    c = f64(rng.standard_normal((2,)))
    assert gradcheck(lambda a, b, c: minigrad.exp(a @ b) * c, [a, b, c]) is True
    assert gradcheck(lambda a: Cube()(a), [a]) is True


def test_gradcheck_names_the_wrong_input_and_element(backend, rng):
    a = f64(rng.standard_normal((2, 3)), name="a")
    x = f64(X_VALUES, name="x")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, x: (a * 2 + WrongCube()(x)).sum(), [a, x])
    error = info.value
    assert isinstance(error, AssertionError)
    assert error.input_index == 1
    assert error.index == (1, 2)
    assert error.analytical == pytest.approx(2 * 1.5)
    assert error.numerical == pytest.approx(3 * 1.5 ** 2, rel=1e-6)
    message = str(error)
    for part in ("input 1", "'x'", "(1, 2)", "1 of 6 elements", "analytical", "numerical",
                 "absolute error", "relative error", "atol", "rtol"):
        assert part in message


def test_gradcheck_on_non_scalar_output_uses_a_random_projection(backend):
    x = f64(X_VALUES)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: WrongCube()(x), [x])
    assert info.value.index == (1, 2)


def test_gradcheck_can_return_false(backend):
    x = f64(X_VALUES)
    assert gradcheck(lambda x: WrongCube()(x), [x], raise_exception=False) is False
    assert gradcheck(lambda x: Cube()(x), [x], raise_exception=False) is True


def test_gradcheck_random_mode_catches_the_same_bug(backend, rng):
    a = f64(rng.standard_normal((20, 10)))
    x = f64(rng.standard_normal((20, 10)))
    fn = lambda a, x: a * 2 + WrongCube()(x)  # noqa: E731
    with pytest.raises(GradcheckError) as info:
        gradcheck(fn, [a, x], mode="random", n_directions=3)
    assert info.value.input_index == 1
    assert info.value.index is None and info.value.direction == 0
    assert "random direction 0" in str(info.value)
    assert gradcheck(lambda a, x: a * 2 + Cube()(x), [a, x], mode="random", n_directions=3)


def test_gradcheck_warns_for_float32_inputs(backend, rng):
    x = minigrad.tensor(rng.standard_normal(3), dtype="float32", requires_grad=True)
    with pytest.warns(UserWarning, match="float32, not float64"):
        gradcheck(lambda x: x * 2, [x], eps=1e-3, rtol=1e-2, atol=1e-3)


def test_gradcheck_does_not_warn_for_float64_inputs(backend, rng):
    x = f64(rng.standard_normal(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradcheck(lambda x: x * 2, [x])


def test_input_outside_the_graph_is_compared_with_numerical(backend, rng):
    x = f64(rng.standard_normal(3))
    unused = f64(rng.standard_normal(3))
    assert gradcheck(lambda x, unused: x * 2, [x, unused])  # zero against zero
    # An input used through .data is invisible to backward: zero analytic gradient, caught.
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, y: x * minigrad.Tensor(y.data), [x, unused])
    assert info.value.input_index == 1


def test_inputs_that_do_not_require_grad_are_skipped(backend, rng):
    x = f64(rng.standard_normal(3))
    constant = f64(rng.standard_normal(3), requires_grad=False)
    assert gradcheck(lambda x, c: x * c, [x, constant])
    with pytest.raises(ValueError, match="no input has requires_grad"):
        gradcheck(lambda c: c * 2, [constant])


def test_output_that_does_not_depend_on_the_inputs_is_an_error(backend, rng):
    x = f64(rng.standard_normal(3))

    def detached(x):
        with minigrad.no_grad():
            return x * 2

    with pytest.raises(ValueError, match="does not depend on any input"):
        gradcheck(detached, [x])
    with pytest.raises(TypeError, match="must return a Tensor"):
        gradcheck(lambda x: x.numpy(), [x])
    with pytest.raises(ValueError, match="mode"):
        gradcheck(lambda x: x * 2, [x], mode="sometimes")


def test_gradcheck_of_several_outputs(backend, rng):
    x = f64(rng.standard_normal(4))
    assert gradcheck(lambda x: (x * 2, minigrad.exp(x)), [x])
    with pytest.raises(GradcheckError):
        gradcheck(lambda x: (x * 2, WrongCube()(x)), [x])


def test_gradgradcheck_passes_on_differentiable_backward(backend, rng):
    x = f64(rng.standard_normal((2, 3)))
    w = f64(rng.standard_normal((3, 2)))
    assert gradgradcheck(lambda x: Cube()(x), [x])
    assert gradgradcheck(lambda x, w: minigrad.exp(x @ w), [x, w])
    assert gradgradcheck(lambda x, w: x @ w + 1, [x, w])  # bilinear: some second derivatives are 0


def test_gradgradcheck_catches_a_backward_written_on_data(backend):
    x = f64([[0.5, -1.0, 1.5]], name="x")
    assert gradcheck(lambda x: DataCube()(x), [x])  # first order is right
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(lambda x: DataCube()(x), [x])
    error = info.value
    assert error.input_index == 0
    assert error.analytical == 0.0  # the .data gradient is a constant to the graph
    assert error.numerical != pytest.approx(0.0)
    assert "second derivative" in str(error) and "'x'" in str(error)
    assert gradgradcheck(lambda x: DataCube()(x), [x], raise_exception=False) is False


def test_gradgradcheck_catches_wrong_second_derivative_in_random_mode(backend, rng):
    x = f64(rng.standard_normal((5, 4)))
    with pytest.raises(GradcheckError):
        gradgradcheck(lambda x: DataCube()(x), [x], mode="random", n_directions=2)


def test_numerical_grad_of_a_known_function(backend):
    x = f64([1.0, -2.0, 3.0])
    y = f64([0.5, 4.0, -1.0])
    gx, gy = numerical_grad(lambda x, y: (x * x * y).sum(), [x, y])
    assert type(gx) is numpy.ndarray and gx.dtype == numpy.float64
    numpy.testing.assert_allclose(gx, 2 * x.numpy() * y.numpy(), rtol=1e-8)  # ∂/∂x x²y = 2xy
    numpy.testing.assert_allclose(gy, x.numpy() ** 2, rtol=1e-8)              # ∂/∂y x²y = x²


def test_numerical_grad_projects_with_grad_output(backend):
    x = f64([[1.0, 2.0], [3.0, -4.0]])
    weights = numpy.array([[1.0, -1.0], [0.5, 2.0]])
    g_ones, = numerical_grad(lambda x: x ** 3, [x])
    numpy.testing.assert_allclose(g_ones, 3 * x.numpy() ** 2, rtol=1e-8)
    g_weighted, = numerical_grad(lambda x: x ** 3, [x], grad_output=weights)
    numpy.testing.assert_allclose(g_weighted, 3 * x.numpy() ** 2 * weights, rtol=1e-8)
    # A non-float input gets None; the input tensors are left unchanged.
    before = x.numpy()
    g, none = numerical_grad(lambda x, n: x * 2, [x, minigrad.tensor([1, 2])])
    assert none is None
    numpy.testing.assert_array_equal(x.numpy(), before)
