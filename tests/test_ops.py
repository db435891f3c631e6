"""Every op, checked from one table: forward against NumPy, gradient against central
differences (gradcheck), second derivative (gradgradcheck), on every backend.

A row names the op, gives a function of the input tensors (and a NumPy reference of
the host arrays when the same code does not work on both), the input shapes and the
domain its inputs are drawn from:

* ``normal``: standard normal values;
* ``positive``: values in [0.5, 2] (log, sqrt, fractional powers, divisors);
* ``spread``: for ops with kinks or ties (relu, abs, leaky_relu, elu, clip, max, min,
  maximum, minimum, where). The values of *all* inputs together are a shuffled grid
  (k + ½)·0.25, k = −n/2 … n/2 − 1: no value within 0.1 of a kink (0, and the clip
  bounds ±0.5) and no two values closer than 0.25, so no ties. A central difference
  that straddles a kink would average two slopes while backward picks one: a test
  point there checks nothing (see minigrad/gradcheck.py).
"""

import numpy
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import minigrad as mg
from minigrad import gradcheck, gradgradcheck


# ----- input domains ------------------------------------------------------------------------

def normal(rng, shapes):
    return [rng.standard_normal(shape) for shape in shapes]


def positive(rng, shapes):
    return [rng.uniform(0.5, 2.0, shape) for shape in shapes]


def spread(rng, shapes):
    sizes = [int(numpy.prod(shape, dtype=int)) for shape in shapes]
    n = sum(sizes) + sum(sizes) % 2  # even, so that 0 is not on the grid
    grid = rng.permutation((numpy.arange(n) - n / 2 + 0.5) * 0.25)
    arrays, start = [], 0
    for shape, size in zip(shapes, sizes):
        arrays.append(grid[start:start + size].reshape(shape))
        start += size
    return arrays


def each(*domains):
    """One domain per input (e.g. a positive base with a normal exponent)."""
    def draw(rng, shapes):
        return [domain(rng, [shape])[0] for domain, shape in zip(domains, shapes)]
    return draw


# ----- the table -------------------------------------------------------------------------------

class Row:
    def __init__(self, name, fn, shapes, reference=None, domain=normal, second_order=True):
        self.name = name
        self.fn = fn                                   # minigrad tensors -> tensor(s)
        self.reference = reference or fn               # NumPy arrays -> array(s)
        self.shapes = shapes
        self.domain = domain
        self.second_order = second_order


MASK = numpy.array([[True, False, True, True], [False, False, True, False], [True, True, False, False]])
COND = numpy.array([[True, False, False, True], [False, True, True, False], [True, True, False, False]])


def np_logsumexp(x, axis=None, keepdims=False):
    m = x.max(axis=axis, keepdims=True)
    y = numpy.log(numpy.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return y if keepdims else numpy.squeeze(y, axis=axis)


def np_softmax(x, axis=-1):
    e = numpy.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_log_softmax(x, axis=-1):
    return x - np_logsumexp(x, axis=axis, keepdims=True)


def np_sigmoid(x):
    return 1 / (1 + numpy.exp(-x))


ROWS = [
    # arithmetic (operators: the same code runs on Tensors and on NumPy arrays)
    Row("add", lambda a, b: a + b, [(3, 4), (4,)]),
    Row("add_scalar_tensor", lambda a, b: a + b, [(), (3,)]),
    Row("sub", lambda a, b: a - b, [(3, 1), (1, 4)]),
    Row("mul", lambda a, b: a * b, [(2, 3, 1), (3, 4)]),
    Row("div", lambda a, b: a / b, [(3, 4), (4,)], domain=each(normal, positive)),
    Row("neg", lambda x: -x, [(3, 4)]),
    Row("pow_tensor_exponent", lambda a, b: a ** b, [(3, 4), (4,)], domain=each(positive, normal)),
    Row("pow_scalar_exponent", lambda x: x ** 3, [(3, 4)]),
    Row("pow_fractional_exponent", lambda x: x ** -1.5, [(3, 4)], domain=positive),
    # Python scalars on either side of every operator
    Row("radd", lambda x: 1 + x, [(3,)]),
    Row("add_python_scalar", lambda x: x + 1.5, [(3,)]),
    Row("rsub", lambda x: 1 - x, [(3,)]),
    Row("sub_python_scalar", lambda x: x - 2, [(3,)]),
    Row("rmul", lambda x: 2 * x, [(3,)]),
    Row("mul_python_scalar", lambda x: x * 0.5, [(3,)]),
    Row("square", lambda x: x ** 2, [(3,)]),
    Row("rpow", lambda x: 2 ** x, [(3,)]),
    Row("div_python_scalar", lambda x: x / 2, [(3,)]),
    Row("rdiv", lambda x: 2 / x, [(3,)], domain=positive),
    # matmul
    Row("matmul_2d", lambda a, b: a @ b, [(3, 4), (4, 2)]),
    Row("matmul_batched_broadcast", lambda a, b: a @ b, [(2, 1, 2, 3), (3, 3, 2)]),
    Row("matmul_1d_2d", lambda a, b: a @ b, [(3,), (3, 2)]),
    Row("matmul_2d_1d", lambda a, b: a @ b, [(2, 3), (3,)]),
    Row("matmul_1d_1d", lambda a, b: a @ b, [(3,), (3,)]),
    Row("matmul_batched_1d", lambda a, b: a @ b, [(2, 3, 4), (4,)]),
    # elementwise math
    Row("exp", mg.exp, [(3, 4)], numpy.exp),
    Row("log", mg.log, [(3, 4)], numpy.log, domain=positive),
    Row("sqrt", mg.sqrt, [(3, 4)], numpy.sqrt, domain=positive),
    Row("abs", mg.abs, [(3, 4)], numpy.abs, domain=spread),
    Row("sin", mg.sin, [(3, 4)], numpy.sin),
    Row("cos", mg.cos, [(3, 4)], numpy.cos),
    Row("clip", lambda x: mg.clip(x, -0.5, 0.5), [(3, 4)], lambda x: numpy.clip(x, -0.5, 0.5), domain=spread),
    Row("clip_low", lambda x: mg.clip(x, low=-0.5), [(3, 4)], lambda x: numpy.maximum(x, -0.5), domain=spread),
    Row("clip_high", lambda x: x.clip(high=0.5), [(3, 4)], lambda x: numpy.minimum(x, 0.5), domain=spread),
    Row("maximum", mg.maximum, [(3, 4), (4,)], numpy.maximum, domain=spread),
    Row("maximum_python_scalar", lambda x: mg.maximum(x, 0.0), [(3, 4)], lambda x: numpy.maximum(x, 0.0),
        domain=spread),
    Row("minimum", mg.minimum, [(2, 1, 3), (4, 3)], numpy.minimum, domain=spread),
    Row("where_fixed_condition", lambda a, b: mg.where(mg.tensor(COND), a, b), [(3, 4), (4,)],
        lambda a, b: numpy.where(COND, a, b)),
    Row("where_from_data", lambda x: mg.where(x > 0, x, x * 0.1), [(3, 4)],
        lambda x: numpy.where(x > 0, x, x * 0.1), domain=spread),
    # activations
    Row("tanh", mg.tanh, [(3, 4)], numpy.tanh),
    Row("sigmoid", mg.sigmoid, [(3, 4)], np_sigmoid),
    Row("relu", mg.relu, [(3, 4)], lambda x: numpy.maximum(x, 0), domain=spread),
    Row("leaky_relu", lambda x: mg.leaky_relu(x, 0.1), [(3, 4)], lambda x: numpy.where(x > 0, x, 0.1 * x),
        domain=spread),
    Row("elu", lambda x: mg.elu(x, alpha=1.5), [(3, 4)], lambda x: numpy.where(x > 0, x, 1.5 * numpy.expm1(x)),
        domain=spread),
    Row("softplus", mg.softplus, [(3, 4)], lambda x: numpy.log1p(numpy.exp(x)), domain=spread),
    Row("softplus_beta", lambda x: mg.softplus(x, beta=2.0), [(3, 4)], lambda x: numpy.log1p(numpy.exp(2 * x)) / 2),
    # reductions (methods: the same code runs on Tensors and NumPy arrays)
    Row("sum_all", lambda x: x.sum(), [(3, 4)]),
    Row("sum_axis", lambda x: x.sum(axis=1), [(2, 3, 4)]),
    Row("sum_axes_keepdims", lambda x: x.sum(axis=(0, 2), keepdims=True), [(2, 3, 4)]),
    Row("sum_negative_axis", lambda x: x.sum(axis=-1), [(3, 4)]),
    Row("mean_all", lambda x: x.mean(), [(3, 4)]),
    Row("mean_axis_keepdims", lambda x: x.mean(axis=0, keepdims=True), [(3, 4)]),
    Row("var_all", lambda x: x.var(), [(3, 4)]),
    Row("var_axis_keepdims", lambda x: x.var(axis=1, keepdims=True), [(3, 4)]),
    Row("var_axes_ddof1", lambda x: x.var(axis=(0, 2), ddof=1), [(2, 3, 4)]),
    Row("max_all", lambda x: x.max(), [(3, 4)], domain=spread),
    Row("max_axis", lambda x: x.max(axis=0), [(3, 4)], domain=spread),
    Row("max_axes_keepdims", lambda x: x.max(axis=(1, 2), keepdims=True), [(2, 3, 4)], domain=spread),
    Row("min_all", lambda x: x.min(), [(3, 4)], domain=spread),
    Row("min_axis", lambda x: x.min(axis=-1), [(2, 3, 4)], domain=spread),
    Row("logsumexp_all", mg.logsumexp, [(3, 4)], np_logsumexp),
    Row("logsumexp_axis_keepdims", lambda x: x.logsumexp(axis=1, keepdims=True), [(3, 4)],
        lambda x: np_logsumexp(x, axis=1, keepdims=True)),
    Row("softmax_last_axis", mg.softmax, [(3, 4)], np_softmax),
    Row("softmax_axis0", lambda x: x.softmax(axis=0), [(2, 3, 4)], lambda x: np_softmax(x, axis=0)),
    Row("log_softmax_last_axis", mg.log_softmax, [(3, 4)], np_log_softmax),
    Row("log_softmax_axis1", lambda x: mg.log_softmax(x, axis=1), [(2, 3, 4)], lambda x: np_log_softmax(x, axis=1)),
    # shape
    Row("reshape", lambda x: x.reshape(2, 6), [(3, 4)]),
    Row("reshape_flat", lambda x: x.reshape(-1), [(2, 3, 2)]),
    Row("transpose", lambda x: x.T, [(3, 4)]),
    Row("permute", lambda x: x.transpose(2, 0, 1), [(2, 3, 4)]),
    Row("swapaxes", lambda x: mg.swapaxes(x, 0, 2), [(2, 3, 4)], lambda x: numpy.swapaxes(x, 0, 2)),
    Row("sum_to", lambda x: mg.sum_to(x, (3, 1)), [(2, 3, 4)], lambda x: x.sum(axis=0).sum(axis=-1, keepdims=True)),
    Row("broadcast_to", lambda x: mg.broadcast_to(x, (2, 3, 4)), [(3, 1)], lambda x: numpy.broadcast_to(x, (2, 3, 4))),
    Row("getitem_slices", lambda x: x[1:, ::2], [(3, 4)]),
    Row("getitem_int_ellipsis_none", lambda x: x[None, ..., 1], [(2, 3, 4)]),
    Row("getitem_int_array_repeats", lambda x: x[[0, 2, 0, 0]], [(3, 4)]),  # backward: scatter-add
    Row("getitem_int_arrays_2d", lambda x: x[[0, 1, 0], [2, 2, 2]], [(3, 4)]),  # (0, 2) twice
    Row("getitem_bool_mask", lambda x: x[MASK], [(3, 4)]),
    Row("concatenate", lambda a, b: mg.concatenate([a, b], axis=0), [(2, 3), (4, 3)],
        lambda a, b: numpy.concatenate([a, b], axis=0)),
    Row("concatenate_last_axis", lambda a, b, c: mg.concatenate([a, b, c], axis=-1), [(2, 3), (2, 1), (2, 2)],
        lambda a, b, c: numpy.concatenate([a, b, c], axis=-1)),
    Row("stack", lambda a, b, c: mg.stack([a, b, c]), [(2, 3)] * 3, lambda a, b, c: numpy.stack([a, b, c])),
    Row("stack_last_axis", lambda a, b: mg.stack([a, b], axis=-1), [(2, 3)] * 2,
        lambda a, b: numpy.stack([a, b], axis=-1)),
    Row("split_sections", lambda x: mg.split(x, 3), [(6, 2)], lambda x: tuple(numpy.split(x, 3))),
    Row("split_indices", lambda x: mg.split(x, [1, 3], axis=1), [(2, 5)],
        lambda x: tuple(numpy.split(x, [1, 3], axis=1))),
    Row("pad", lambda x: mg.pad(x, ((1, 0), (2, 1)), value=0.5), [(2, 3)],
        lambda x: numpy.pad(x, ((1, 0), (2, 1)), constant_values=0.5)),
    Row("pad_int", lambda x: mg.pad(x, 1), [(2, 3)], lambda x: numpy.pad(x, 1)),
]

ROW_PARAMS = [pytest.param(row, id=row.name) for row in ROWS]
SECOND_ORDER_PARAMS = [pytest.param(row, id=row.name) for row in ROWS if row.second_order]


def make_inputs(row, dtype="float64", seed=0):
    """(tensors on the active backend with requires_grad, host float64 arrays)."""
    hosts = row.domain(numpy.random.default_rng(seed), row.shapes)
    tensors = [mg.tensor(h, dtype=dtype, requires_grad=True) for h in hosts]
    return tensors, hosts


def as_outputs(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


# ----- the checks ---------------------------------------------------------------------------

@pytest.mark.parametrize("row", ROW_PARAMS)
def test_forward_matches_numpy(row, backend):
    tensors, hosts = make_inputs(row)
    outputs = as_outputs(row.fn(*tensors))
    expected = as_outputs(row.reference(*hosts))
    assert len(outputs) == len(expected)
    for out, ref in zip(outputs, expected):
        assert out.backend == backend and out.dtype == numpy.float64
        assert out.shape == numpy.shape(ref)
        numpy.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-12)

    tensors32, _ = make_inputs(row, dtype="float32")  # never upcast: float32 in, float32 out
    for out, ref in zip(as_outputs(row.fn(*tensors32)), expected):
        assert out.dtype == numpy.float32
        numpy.testing.assert_allclose(out.numpy(), ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("row", ROW_PARAMS)
def test_gradcheck(row, backend):
    tensors, _ = make_inputs(row)
    assert gradcheck(row.fn, tensors)


@pytest.mark.parametrize("row", SECOND_ORDER_PARAMS)
def test_gradgradcheck(row, backend):
    # The outputs are squared so that the gradient reaching the op depends on the
    # inputs: the op's backward must then be differentiable in its incoming gradient
    # too, not only in its inputs. (Piecewise-linear ops have a zero second derivative
    # away from their kinks; squaring still checks their backward is linear in gy.)
    tensors, _ = make_inputs(row)

    def squared(*xs):
        return tuple(out * out for out in as_outputs(row.fn(*xs)))

    assert gradgradcheck(squared, tensors)


def test_every_exported_op_has_a_row():
    """The table must grow with the elementwise, linalg, reduction and shape ops: a new op
    there without a row fails here. (Layers such as conv have their own test files.)"""
    names = " ".join(row.name for row in ROWS)
    categories = {"arithmetic", "linalg", "math", "activation", "reduction", "shape"}
    operators = {"add", "sub", "mul", "div", "neg", "pow", "matmul", "transpose"}  # rows use a + b, x.T ...
    tested_elsewhere = {"compare", "cast"}  # not differentiable / a dtype change: see test_autograd.py
    for op in mg.functions.__all__:
        if getattr(mg.functions, op).__module__.rsplit(".", 1)[-1] not in categories:
            continue
        if op not in operators | tested_elsewhere:
            assert op in names, f"minigrad.{op} has no row in the gradcheck table of tests/test_ops.py"


# ----- broadcasting, generated ----------------------------------------------------------------

BINARY = {
    "add": (mg.add, numpy.add, normal),
    "mul": (mg.mul, numpy.multiply, normal),
    "div": (mg.div, numpy.divide, each(normal, positive)),
    "maximum": (mg.maximum, numpy.maximum, spread),
}


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(op=st.sampled_from(sorted(BINARY)),
       shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       seed=st.integers(0, 2 ** 16))
def test_broadcasting_binary_ops(backend, op, shapes, seed):
    fn, reference, domain = BINARY[op]
    a, b = domain(numpy.random.default_rng(seed), shapes.input_shapes)
    x = mg.tensor(a, dtype="float64", requires_grad=True)
    y = mg.tensor(b, dtype="float64", requires_grad=True)
    out = fn(x, y)
    assert out.shape == shapes.result_shape
    numpy.testing.assert_allclose(out.numpy(), reference(a, b), rtol=1e-12)
    out.sum().backward()
    assert x.grad.shape == x.shape and y.grad.shape == y.shape
    assert gradcheck(fn, [x, y])


# ----- numerically stable forms -----------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_stable_forms_at_extreme_inputs(backend, dtype):
    x = mg.tensor([-1000.0, 1000.0], dtype=dtype, requires_grad=True)

    s = mg.sigmoid(x)
    numpy.testing.assert_array_equal(s.numpy(), [0.0, 1.0])
    (g,) = mg.grad(s.sum(), x)
    numpy.testing.assert_array_equal(g.numpy(), [0.0, 0.0])

    p = mg.softplus(x)
    numpy.testing.assert_allclose(p.numpy(), [0.0, 1000.0])
    (g,) = mg.grad(p.sum(), x)
    numpy.testing.assert_allclose(g.numpy(), [0.0, 1.0])

    big = mg.tensor([1000.0, 1000.0], dtype=dtype, requires_grad=True)
    lse = mg.logsumexp(big)
    assert lse.item() == pytest.approx(1000.0 + numpy.log(2.0), rel=1e-6)
    (g,) = mg.grad(lse, big)
    numpy.testing.assert_allclose(g.numpy(), [0.5, 0.5], rtol=1e-6)
    # The gradient is softmax(x): exp(x − logsumexp(x)) would lose |x|·2⁻²⁴ in float32.
    shifted = mg.tensor([1e6, 1e6 + 1], dtype=dtype, requires_grad=True)
    (g,) = mg.grad(mg.logsumexp(shifted), shifted)
    numpy.testing.assert_allclose(g.numpy(), [1 / (1 + numpy.e), 1 / (1 + numpy.exp(-1))], rtol=1e-5)

    wide = mg.tensor([1000.0, 0.0, -1000.0], dtype=dtype, requires_grad=True)
    numpy.testing.assert_allclose(mg.softmax(wide).numpy(), [1.0, 0.0, 0.0])
    numpy.testing.assert_allclose(mg.log_softmax(wide).numpy(), [0.0, -1000.0, -2000.0])
    (g,) = mg.grad(mg.log_softmax(wide)[0], wide)
    assert numpy.isfinite(g.numpy()).all()
