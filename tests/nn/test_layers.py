"""Layers: gradients (float64 gradcheck w.r.t. inputs and parameters), modes and running statistics.

Gradcheck points avoid kinks on purpose: inputs of relu-like activations are kept at
least 0.1 away from 0.
"""

import contextlib

import numpy
import pytest

import minigrad
import minigrad.functional as F
from minigrad import nn


def f64(array, requires_grad=True):
    return minigrad.tensor(numpy.asarray(array, dtype=numpy.float64), requires_grad=requires_grad)


def away_from_zero(rng, shape, margin=0.1):
    """Normal samples pushed at least ``margin`` away from 0 (no relu kink inside ±eps)."""
    x = rng.standard_normal(shape)
    return x + numpy.sign(x) * margin


@contextlib.contextmanager
def parameters_replaced(module, names, values):
    """Run ``module`` with the Parameters ``names`` temporarily replaced by the tensors ``values``."""
    saved = []
    for name, value in zip(names, values):
        owner_name, _, attr = name.rpartition(".")
        owner = module.get_submodule(owner_name)
        saved.append((owner, attr, owner._parameters[attr]))
        owner._parameters[attr] = value
    try:
        yield
    finally:
        for owner, attr, param in saved:
            owner._parameters[attr] = param


def check_module(module, x, second_order=False):
    """gradcheck (and gradgradcheck) of ``module`` w.r.t. its input and every parameter, in float64."""
    module.double()
    names = [name for name, _ in module.named_parameters()]
    params = [f64(p.numpy()) for p in module.parameters()]

    def fn(x, *values):
        with parameters_replaced(module, names, values):
            return module(x)

    assert minigrad.gradcheck(fn, [x] + params)
    if second_order:
        assert minigrad.gradgradcheck(fn, [x] + params)


# ----- Linear ---------------------------------------------------------------------------------

def test_linear_forward_matches_formula(backend, rng):
    layer = nn.Linear(4, 3)
    x = minigrad.tensor(rng.standard_normal((5, 4)).astype(numpy.float32))
    expected = x.numpy() @ layer.weight.numpy().T + layer.bias.numpy()
    y = layer(x)
    assert y.shape == (5, 3) and y.dtype == numpy.float32 and y.backend == backend
    numpy.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-6)
    no_bias = nn.Linear(4, 3, bias=False)
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]
    numpy.testing.assert_allclose(no_bias(x).numpy(), x.numpy() @ no_bias.weight.numpy().T, rtol=1e-5, atol=1e-6)


def test_linear_gradients(backend, rng):
    check_module(nn.Linear(4, 3), f64(rng.standard_normal((5, 4))), second_order=True)
    check_module(nn.Linear(3, 2, bias=False), f64(rng.standard_normal((2, 2, 3))), second_order=True)
    check_module(nn.Linear(3, 2), f64(rng.standard_normal(3)))  # a single vector


def test_linear_gradient_of_weight_only(backend, rng):
    x = f64(rng.standard_normal((4, 3)), requires_grad=False)
    w = f64(rng.standard_normal((2, 3)))
    b = f64(rng.standard_normal(2), requires_grad=False)
    assert minigrad.gradcheck(lambda w: F.linear(x, w, b), [w])


@pytest.mark.parametrize("wanted", [(1, 1, 1), (0, 1, 1), (1, 0, 0), (0, 0, 1), (1, 1, 0), (0, 1, 0), (1, 0, 1)])
def test_linear_grad_op_gives_each_subset_of_gradients_and_their_derivatives(backend, rng, wanted):
    # Linear's backward is one op (LinearGrad) that computes only the gradients asked for;
    # its own backward (second derivatives) must be right for every subset, leading axes included.
    values = [rng.standard_normal((2, 3, 4)), rng.standard_normal((5, 4)), rng.standard_normal(5)]
    tensors = [f64(v, requires_grad=bool(w)) for v, w in zip(values, wanted)]
    varying = [t for t in tensors if t.requires_grad]

    def fn(*args):
        it = iter(args)
        x, w, b = (next(it) if t.requires_grad else t for t in tensors)
        return F.linear(x, w, b)

    assert minigrad.gradcheck(fn, varying)
    assert minigrad.gradgradcheck(fn, varying)


def test_linear_shape_errors_name_both_shapes(backend):
    with pytest.raises(ValueError, match=r"linear: input of shape \(2, 5\) does not fit a weight of shape \(3, 4\)"):
        nn.Linear(4, 3)(minigrad.ones(2, 5))
    with pytest.raises(ValueError, match=r"bias of shape \(2,\)"):
        F.linear(minigrad.ones(2, 4), minigrad.ones(3, 4), minigrad.ones(2))


# ----- BatchNorm ------------------------------------------------------------------------------

@pytest.mark.parametrize("layer, shape", [
    (lambda: nn.BatchNorm1d(3), (6, 3)),
    (lambda: nn.BatchNorm1d(2), (3, 2, 4)),
    (lambda: nn.BatchNorm2d(2), (3, 2, 2, 3)),
], ids=["1d", "1d-length", "2d"])
def test_batch_norm_train_gradients(backend, rng, layer, shape):
    module = layer()
    module.weight.data = module.weight.xp.asarray(rng.uniform(0.5, 1.5, module.num_features).astype(numpy.float32))
    module.bias.data = module.bias.xp.asarray(rng.standard_normal(module.num_features).astype(numpy.float32))
    check_module(module, f64(rng.standard_normal(shape)), second_order=True)


def test_batch_norm_eval_gradients(backend, rng):
    module = nn.BatchNorm2d(2)
    module(minigrad.randn(4, 2, 3, 3) * 3 + 1)  # running statistics away from 0 and 1
    module.eval()
    check_module(module, f64(rng.standard_normal((2, 2, 2, 2))), second_order=True)


def test_batch_norm_without_affine_or_running_stats(backend, rng):
    module = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert list(module.parameters()) == [] and module.running_mean is None and module.state_dict() == {}
    x = rng.standard_normal((8, 3)) * 2 + 5
    module.eval()  # without running statistics the batch's are used in eval too
    y = module(minigrad.tensor(x)).numpy()
    numpy.testing.assert_allclose(y, (x - x.mean(0)) / numpy.sqrt(x.var(0) + 1e-5), rtol=1e-6, atol=1e-7)


def test_batch_norm_train_output_and_running_statistics(backend, rng):
    module = nn.BatchNorm2d(3, momentum=0.1).double()
    running_mean, running_var = numpy.zeros(3), numpy.ones(3)
    for step in range(2):
        x = rng.standard_normal((4, 3, 2, 5)) * (step + 2) + step
        y = module(minigrad.tensor(x)).numpy()
        mean = x.mean(axis=(0, 2, 3))
        var = x.var(axis=(0, 2, 3))
        expected = (x - mean[:, None, None]) / numpy.sqrt(var[:, None, None] + 1e-5)
        numpy.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-12)
        n = 4 * 2 * 5
        running_mean = 0.9 * running_mean + 0.1 * mean
        running_var = 0.9 * running_var + 0.1 * var * n / (n - 1)  # unbiased, as PyTorch
        numpy.testing.assert_allclose(module.running_mean.numpy(), running_mean, rtol=1e-12)
        numpy.testing.assert_allclose(module.running_var.numpy(), running_var, rtol=1e-12)


def test_batch_norm_eval_uses_running_statistics(backend, rng):
    module = nn.BatchNorm1d(3).double()
    module.running_mean.data = module.running_mean.xp.asarray([1.0, -2.0, 0.5])
    module.running_var.data = module.running_var.xp.asarray([4.0, 0.25, 1.0])
    module.weight.data = module.weight.xp.asarray([2.0, 1.0, -1.0])
    module.bias.data = module.bias.xp.asarray([0.0, 3.0, 1.0])
    module.eval()
    x = rng.standard_normal((5, 3))
    y = module(minigrad.tensor(x)).numpy()
    expected = (x - [1.0, -2.0, 0.5]) / numpy.sqrt(numpy.array([4.0, 0.25, 1.0]) + 1e-5) * [2.0, 1.0, -1.0] \
        + [0.0, 3.0, 1.0]
    numpy.testing.assert_allclose(y, expected, rtol=1e-12)
    numpy.testing.assert_array_equal(module.running_mean.numpy(), [1.0, -2.0, 0.5])  # not updated in eval


def test_batch_norm_checks_its_input(backend):
    with pytest.raises(ValueError, match="BatchNorm2d: expected a 4-d input"):
        nn.BatchNorm2d(3)(minigrad.ones(2, 3))
    with pytest.raises(ValueError, match="input has 4 channels"):
        nn.BatchNorm1d(3)(minigrad.ones(2, 4))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(minigrad.ones(1, 3))


def test_batch_norm_keeps_float32(backend):
    module = nn.BatchNorm1d(3)
    y = module(minigrad.randn(4, 3))
    assert y.dtype == numpy.float32 and module.running_var.dtype == numpy.float32
    module.eval()
    assert module(minigrad.randn(4, 3)).dtype == numpy.float32


# ----- Dropout ----------------------------------------------------------------------------------

def test_dropout_with_fixed_mask_gradient(backend, rng):
    x = f64(rng.standard_normal((4, 5)))
    mask = minigrad.tensor(rng.uniform(size=(4, 5)) > 0.3)
    assert minigrad.gradcheck(lambda x: F.dropout(x, 0.3, mask=mask), [x])
    assert minigrad.gradgradcheck(lambda x: F.dropout(x, 0.3, mask=mask) ** 2, [x])
    y = F.dropout(x, 0.3, mask=mask).numpy()
    numpy.testing.assert_allclose(y, x.numpy() * mask.numpy() / 0.7)


def test_dropout_drops_a_fraction_p_and_keeps_the_mean(backend):
    x = minigrad.ones(200, 500)
    layer = nn.Dropout(0.25)
    y = layer(x).numpy()
    assert y.dtype == numpy.float32
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.01  # 100,000 draws: std of the fraction ≈ 0.0014
    numpy.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.02
    layer.eval()
    assert layer(x) is x


def test_dropout_edge_probabilities(backend):
    x = minigrad.randn(3, 4)
    assert F.dropout(x, 0.0) is x
    numpy.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), numpy.zeros((3, 4)))
    assert F.dropout(x, 0.5, training=False) is x
    with pytest.raises(ValueError, match="probability"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="mask of shape"):
        F.dropout(x, 0.5, mask=minigrad.ones(4, 3))


def test_dropout_is_seeded(backend):
    minigrad.manual_seed(7)
    a = F.dropout(minigrad.ones(10, 10), 0.5).numpy()
    minigrad.manual_seed(7)
    b = F.dropout(minigrad.ones(10, 10), 0.5).numpy()
    numpy.testing.assert_array_equal(a, b)


# ----- activations and shape layers ----------------------------------------------------------------

ACTIVATIONS = [
    (nn.ReLU(), lambda x: numpy.maximum(x, 0)),
    (nn.LeakyReLU(0.2), lambda x: numpy.where(x > 0, x, 0.2 * x)),
    (nn.ELU(1.5), lambda x: numpy.where(x > 0, x, 1.5 * numpy.expm1(x))),
    (nn.Sigmoid(), lambda x: 1 / (1 + numpy.exp(-x))),
    (nn.Tanh(), numpy.tanh),
    (nn.Softplus(), lambda x: numpy.log1p(numpy.exp(x))),
    (nn.Softplus(beta=2.0), lambda x: numpy.log1p(numpy.exp(2 * x)) / 2),
    (nn.Softmax(dim=1), lambda x: numpy.exp(x) / numpy.exp(x).sum(1, keepdims=True)),
    (nn.LogSoftmax(dim=-1), lambda x: x - numpy.log(numpy.exp(x).sum(-1, keepdims=True))),
    (nn.Identity(), lambda x: x),
]
SMOOTH = (nn.ELU, nn.Sigmoid, nn.Tanh, nn.Softplus, nn.Softmax, nn.LogSoftmax)


@pytest.mark.parametrize("module, reference", ACTIVATIONS, ids=lambda v: repr(v) if isinstance(v, nn.Module) else "")
def test_activation_modules(backend, rng, module, reference):
    x = away_from_zero(rng, (3, 4))
    numpy.testing.assert_allclose(module(minigrad.tensor(x)).numpy(), reference(x), rtol=1e-12, atol=1e-12)
    check_module(module, f64(x), second_order=isinstance(module, SMOOTH))


def test_shape_layers_gradients(backend, rng):
    check_module(nn.Flatten(), f64(rng.standard_normal((2, 3, 2))))
    check_module(nn.Unflatten(1, (2, 3)), f64(rng.standard_normal((2, 6))))


def test_small_network_gradients(backend, rng):
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.BatchNorm1d(4), nn.Linear(4, 2), nn.Softplus())
    check_module(model, f64(rng.standard_normal((5, 3))), second_order=True)
