"""The engine: graph recording, the backward pass, its semantics and its errors.

The ops' own gradients are checked in test_ops.py; here we test what every op
relies on: accumulation, broadcasting, freeing, deep graphs, memory, higher order
gradients, user-defined Functions, anomaly detection and dtype/backend rules.
"""

import gc
import inspect
import tracemalloc
import weakref

import numpy
import pytest

import minigrad
from minigrad import Function


def f64(values, requires_grad=True):
    return minigrad.tensor(numpy.asarray(values, dtype=numpy.float64), requires_grad=requires_grad)


def line_of_next_statement():
    """The line number just after the caller's current line."""
    return inspect.currentframe().f_back.f_lineno + 1


class Cube(Function):
    """y = x³ ; dy/dx = 3x²"""

    def forward(self, x):
        return x ** 3

    def backward(self, gy):
        x, = self.inputs
        return gy * 3 * x ** 2


# ----- accumulation and broadcasting ---------------------------------------------------

def test_backward_accumulates_into_grad_until_zero_grad(backend):
    """Documented semantics (as in PyTorch): backward adds to .grad; zero_grad resets it."""
    x = f64([1.0, -2.0, 3.0])
    (x * x).sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), [2.0, -4.0, 6.0])
    (x * x).sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), [4.0, -8.0, 12.0])
    x.zero_grad()
    assert x.grad is None
    (x * 3).sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0, 3.0])
    assert x.grad.backend == backend


def test_fan_out_gradients_are_summed_before_use(backend):
    """A diamond: a feeds two branches; the gradient of a must be complete before a's creator runs."""
    x = f64([2.0])
    a = x * 2
    y = (a * 3 + a * a).sum()  # y = 6x + 4x² ; dy/dx = 6 + 8x
    y.backward()
    assert x.grad.item() == pytest.approx(6 + 8 * 2.0)
    assert a.grad is None  # not a leaf and no retain_grad()


def test_retain_grad_keeps_a_non_leaf_gradient(backend):
    x = f64([1.0, 2.0])
    a = (x * 3).retain_grad()
    (a * a).sum().backward()
    numpy.testing.assert_allclose(a.grad.numpy(), 2 * a.numpy())


def test_broadcast_gradients_are_reduced_to_input_shapes(backend, rng):
    a = f64(rng.standard_normal((3, 1)))
    b = f64(rng.standard_normal((4,)))
    s = f64(1.5)  # 0-d
    (a * b + s).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,) and s.grad.shape == ()
    numpy.testing.assert_allclose(a.grad.numpy(), numpy.full((3, 1), b.numpy().sum()))
    numpy.testing.assert_allclose(b.grad.numpy(), numpy.full(4, a.numpy().sum()))
    assert s.grad.item() == pytest.approx(12.0)


# ----- what is recorded, and when it is freed ------------------------------------------

def test_no_grad_records_nothing(backend):
    x = f64([1.0, 2.0])
    with minigrad.no_grad():
        y = x * 2 + 1
        with minigrad.enable_grad():
            z = x * 2
    assert y.requires_grad is False and y.creator is None
    assert z.requires_grad is True and z.creator is not None
    assert minigrad.is_grad_enabled()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_second_backward_through_a_freed_graph_needs_retain_graph(backend):
    x = f64([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()

    x.zero_grad()
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    numpy.testing.assert_allclose(x.grad.numpy(), 2 * (2 * x.numpy()))


def test_a_chain_of_10000_ops_needs_no_recursion(backend):
    x = f64([1.0])
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()  # a recursive topological sort would raise RecursionError here
    assert x.grad.item() == pytest.approx(1.0001 ** 10_000, rel=1e-9)
    del y  # and freeing the chain does not recurse either


def test_dropping_the_loss_frees_the_graph_without_the_garbage_collector(backend):
    x = f64([1.0, 2.0])
    gc.disable()
    try:
        hidden = Cube()(x * 2)
        loss = hidden.sum()
        function = weakref.ref(hidden.creator)
        output = weakref.ref(hidden)
        del hidden
        assert function() is not None  # still needed by the loss
        del loss
        assert function() is None and output() is None  # reference counting alone freed them

        loss = (Cube()(x) * 2).sum()
        function = weakref.ref(loss.creator.inputs[0].creator.inputs[0].creator)
        loss.backward(retain_graph=True)
        assert function() is not None  # retained for a second backward
        del loss
        assert function() is None
    finally:
        gc.enable()


def _live_functions():
    return sum(1 for obj in gc.get_objects() if isinstance(obj, Function))


def test_memory_stays_flat_over_a_training_loop():
    """2,000 steps of a small MLP with manual SGD: no graph survives its step."""
    with minigrad.use_backend("numpy"):
        minigrad.manual_seed(0)
        x = minigrad.randn(32, 8)
        target = minigrad.randn(32, 1)
        w1 = (minigrad.randn(8, 16) * 0.3).detach().requires_grad_()
        w2 = (minigrad.randn(16, 1) * 0.3).detach().requires_grad_()

        def step():
            hidden = 1 / (1 + minigrad.exp(-(x @ w1)))  # sigmoid, written with basic ops
            loss = ((hidden @ w2 - target) ** 2).mean()
            loss.backward()
            with minigrad.no_grad():
                for w in (w1, w2):
                    w.data -= 0.1 * w.grad.data
                    w.zero_grad()
            return loss.item()

        gc.collect()
        gc.disable()  # a leak through reference cycles would now show as growth
        # CPython keeps up to 2,000 freed tuples of each small size for reuse, and tracemalloc counts
        # them as allocated: fill those free lists first, so that they cannot show as slow growth.
        for size in range(1, 5):
            [tuple(range(i, i + size)) for i in range(2500)]
        tracemalloc.start()
        try:
            losses = [step() for _ in range(200)]
            functions_early = _live_functions()
            memory_early = tracemalloc.get_traced_memory()[0]
            losses += [step() for _ in range(900)]
            memory_middle = tracemalloc.get_traced_memory()[0]
            losses += [step() for _ in range(900)]
            memory_late = tracemalloc.get_traced_memory()[0]
            functions_late = _live_functions()
        finally:
            tracemalloc.stop()
            gc.enable()
    assert functions_late == functions_early
    # Python's free lists fill up once (tens of KiB, early); after that memory is flat.
    # A leaked graph per step would add > 5 KiB × 900 steps per interval.
    assert memory_late - memory_middle < 32 * 1024, (memory_early, memory_middle, memory_late)
    assert losses[-1] < losses[0]  # and it did train


# ----- higher-order gradients and minigrad.grad ------------------------------------------

def test_second_derivative_with_create_graph(backend):
    x = f64([2.0, -1.0, 0.5])
    g, = minigrad.grad((x ** 3).sum(), x, create_graph=True)
    numpy.testing.assert_allclose(g.numpy(), 3 * x.numpy() ** 2)
    assert g.requires_grad
    g2, = minigrad.grad(g.sum(), x)
    numpy.testing.assert_allclose(g2.numpy(), 6 * x.numpy())  # d²/dx² x³ = 6x
    assert x.grad is None  # grad() does not touch .grad

    x3 = f64([2.0])
    y = Cube()(x3).sum()
    y.backward(create_graph=True)
    first = x3.grad
    x3.zero_grad()
    first.sum().backward()
    assert x3.grad.item() == pytest.approx(12.0)


def test_gradient_of_a_gradient_norm(backend, rng):
    """The penalty ‖∇_w L‖² (as in contractive autoencoders) differentiated again."""
    x = f64(rng.standard_normal((5, 3)), requires_grad=False)
    w = f64(rng.standard_normal((3,)))

    def penalty(w):
        loss = minigrad.exp(x @ w).sum()
        g, = minigrad.grad(loss, w, create_graph=True)
        return (g * g).sum()

    analytic, = minigrad.grad(penalty(w), w)
    numerical, = minigrad.numerical_grad(penalty, [w])
    numpy.testing.assert_allclose(analytic.numpy(), numerical, rtol=1e-6, atol=1e-8)


def test_grad_errors(backend):
    x = f64([1.0, 2.0])
    unused = f64([3.0])
    y = (x * x).sum()
    with pytest.raises(RuntimeError, match="input 1 .* not part of the graph"):
        minigrad.grad(y, [x, unused], retain_graph=True)
    gx, gu = minigrad.grad(y, [x, unused], allow_unused=True, retain_graph=True)
    assert gu is None and gx.shape == (2,)
    with pytest.raises(RuntimeError, match="grad_outputs"):
        minigrad.grad(x * x, x)
    with pytest.raises(RuntimeError, match="does not require grad"):
        minigrad.grad(y, f64([1.0], requires_grad=False))
    gx, = minigrad.grad(x * x, x, grad_outputs=f64([1.0, 10.0], requires_grad=False))
    numpy.testing.assert_allclose(gx.numpy(), [2.0, 40.0])


def test_backward_of_a_non_scalar_needs_a_gradient(backend):
    x = f64([1.0, 2.0])
    with pytest.raises(RuntimeError, match="one-element"):
        (x * x).backward()
    with pytest.raises(ValueError, match="shape"):
        (x * x).backward(grad=f64([1.0, 2.0, 3.0], requires_grad=False))
    (x * x).backward(grad=f64([1.0, 0.5], requires_grad=False))
    numpy.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])



def test_backward_of_a_scalar_takes_a_python_number_as_its_gradient(backend):
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)  # float32
    (x * x).sum().backward(3.0)
    assert x.grad.dtype == numpy.float32 and x.grad.backend == backend
    numpy.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])
    with pytest.raises(ValueError, match="shape"):
        (x * x).backward(3.0)


# ----- user-defined Functions ----------------------------------------------------------------

def test_user_defined_function(backend):
    x = f64([1.0, -2.0])
    y = Cube()(x)
    assert y.creator.name == "Cube" and y.requires_grad
    numpy.testing.assert_allclose(y.numpy(), [1.0, -8.0])
    y.sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])


def test_user_function_with_a_wrong_gradient_shape_is_named(backend):
    class BadShape(Function):
        def forward(self, x):
            return x * 2

        def backward(self, gy):
            return gy.sum()  # shape () instead of the input's (3,)

    class TooMany(Function):
        def forward(self, x):
            return x * 2

        def backward(self, gy):
            return gy, gy

    x = f64([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=r"BadShape.backward returned a gradient of shape \(\) .*\(3,\)"):
        BadShape()(x).sum().backward()
    with pytest.raises(RuntimeError, match="TooMany.backward returned 2 gradients for 1 inputs"):
        TooMany()(x).sum().backward()


# ----- anomaly detection --------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's "divide by zero in log"
def test_detect_anomaly_in_forward_names_the_op_and_the_line(backend):
    x = f64([1.0, 2.0])
    assert numpy.isneginf(minigrad.log(x - x).numpy()).all()  # without detect_anomaly: -inf, silently
    with minigrad.detect_anomaly(), pytest.raises(minigrad.AnomalyError) as info:
        line = line_of_next_statement()
        minigrad.log(x - x)
    message = str(info.value)
    assert "Log" in message and "Inf" in message
    assert f"test_autograd.py:{line}" in message


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_detect_anomaly_in_backward_names_the_op(backend):
    x = f64([0.0, 1.0])
    with minigrad.detect_anomaly():
        line = line_of_next_statement()
        y = minigrad.sqrt(x).sum()  # finite: sqrt(0) = 0, but d/dx sqrt(x) = inf at 0
        with pytest.raises(minigrad.AnomalyError) as info:
            y.backward()
    message = str(info.value)
    assert "Sqrt" in message and "gradient" in message
    assert f"test_autograd.py:{line}" in message


# ----- dtypes, comparisons, mixing with NumPy ----------------------------------------------

def test_python_scalars_never_upcast_float32(backend):
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    assert x.dtype == numpy.float32
    results = [2 * x, x * 2, x ** 2, x ** 0.5, 2 ** x, 1 - x, x - 1, x + 0.5, 0.5 + x, x / 3, 3 / x, -x]
    for result in results:
        assert result.dtype == numpy.float32
    sum(r.sum() for r in results).backward()
    assert x.grad.dtype == numpy.float32


def test_cast_passes_the_gradient_back_in_the_input_dtype(backend):
    x = f64([1.0, 2.0])
    y = x.float()
    assert y.dtype == numpy.float32 and y.creator.name == "Cast"
    (y * y).sum().backward()
    assert x.grad.dtype == numpy.float64
    numpy.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_comparisons_give_non_differentiable_bool_tensors(backend):
    x = f64([1.0, -2.0, 3.0])
    y = f64([1.0, 0.0, 4.0])
    for result, expected in [(x > 0, [True, False, True]), (x <= y, [True, True, True]),
                             (x == y, [True, False, False]), (x != 1.0, [False, True, True]),
                             (x < y, [False, True, True]), (x >= 3, [False, False, True])]:
        assert result.dtype == numpy.bool_
        assert result.requires_grad is False and result.creator is None
        numpy.testing.assert_array_equal(result.numpy(), expected)
        assert result.backend == backend


def test_numpy_array_on_the_left_of_a_tensor():
    with minigrad.use_backend("numpy"):
        x = minigrad.tensor([1.0, 2.0], requires_grad=True)
        array = numpy.array([10.0, 20.0], dtype=numpy.float32)
        y = array + x  # NumPy defers to Tensor.__radd__ (Tensor.__array_ufunc__ = None)
        assert isinstance(y, minigrad.Tensor)
        numpy.testing.assert_allclose(y.numpy(), [11.0, 22.0])
        z = array * x
        assert isinstance(z, minigrad.Tensor)
        (y + z).sum().backward()
        numpy.testing.assert_allclose(x.grad.numpy(), [11.0, 21.0])


def test_integer_tensors_cannot_require_grad(backend):
    with pytest.raises(TypeError, match="floating point"):
        minigrad.tensor([1, 2], requires_grad=True)
    ints = minigrad.tensor([1, 2])
    assert ints.dtype == numpy.int64
    with pytest.raises(TypeError, match="floating point"):
        ints.requires_grad_()
