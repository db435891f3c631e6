"""nn.init: fans (dense and convolution weights), gains, and the variance of every initializer.

Variances are estimated from 200,000 samples: the relative standard error of a sample
variance is about √(2/n) ≈ 0.3% (normal) and less for uniform, so a 3% tolerance
fails only for a wrong formula (the smallest error tested, √(3)/√(2) in a bound, is 50%).
"""

import math

import numpy
import pytest

import minigrad
from minigrad import nn
from minigrad.nn import init

SHAPE = (400, 500)  # fan_in 500, fan_out 400
CONV_SHAPE = (64, 32, 5, 5)  # fan_in 32·25 = 800, fan_out 64·25 = 1600


def sample(initializer, shape=SHAPE, dtype="float32", **kwargs):
    tensor = minigrad.zeros(*shape, dtype=dtype)
    assert initializer(tensor, **kwargs) is tensor
    return tensor


def test_fans_of_dense_and_convolution_weights():
    assert init.calculate_fan_in_and_fan_out(minigrad.zeros(3, 7)) == (7, 3)
    assert init.calculate_fan_in_and_fan_out(CONV_SHAPE) == (800, 1600)
    assert init.calculate_fan_in_and_fan_out((8, 4, 3, 3)) == (36, 72)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.calculate_fan_in_and_fan_out(minigrad.zeros(5))


def test_gains():
    assert init.calculate_gain("linear") == 1.0
    assert init.calculate_gain("conv2d") == 1.0
    assert init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


@pytest.mark.parametrize("initializer, kwargs, shape, variance", [
    (init.xavier_uniform_, {}, SHAPE, 2 / 900),
    (init.xavier_uniform_, {"gain": 2.0}, CONV_SHAPE, 4 * 2 / 2400),
    (init.xavier_normal_, {}, SHAPE, 2 / 900),
    (init.xavier_normal_, {"gain": 5 / 3}, CONV_SHAPE, (5 / 3) ** 2 * 2 / 2400),
    (init.kaiming_uniform_, {"nonlinearity": "relu"}, SHAPE, 2 / 500),
    (init.kaiming_uniform_, {"nonlinearity": "relu", "mode": "fan_out"}, SHAPE, 2 / 400),
    (init.kaiming_uniform_, {"a": math.sqrt(5)}, SHAPE, 1 / 3 / 500),
    (init.kaiming_normal_, {"nonlinearity": "relu"}, CONV_SHAPE, 2 / 800),
    (init.kaiming_normal_, {"a": 0.2, "mode": "fan_out"}, CONV_SHAPE, 2 / 1.04 / 1600),
    (init.variance_scaling_, {"scale": 2.0}, SHAPE, 2 / 500),
    (init.variance_scaling_, {"mode": "fan_avg", "distribution": "uniform"}, SHAPE, 1 / 450),
    (init.variance_scaling_, {"mode": "fan_out", "distribution": "normal"}, CONV_SHAPE, 1 / 1600),
    (init.normal_, {"mean": 1.0, "std": 0.5}, SHAPE, 0.25),
    (init.uniform_, {"a": -1.0, "b": 3.0}, SHAPE, 16 / 12),
], ids=lambda v: getattr(v, "__name__", None) or (str(v) if isinstance(v, dict) else None))
def test_initializer_variance(backend, initializer, kwargs, shape, variance):
    values = sample(initializer, shape, **kwargs).numpy()
    assert values.var() == pytest.approx(variance, rel=0.03)
    if initializer not in (init.normal_, init.uniform_):
        assert abs(values.mean()) < 5 * math.sqrt(variance / values.size)


def test_uniform_bounds(backend):
    bound = math.sqrt(6 / 900)
    values = sample(init.xavier_uniform_).numpy()
    assert values.min() >= -bound and values.max() <= bound and values.max() > 0.99 * bound
    values = sample(init.uniform_, a=2.0, b=3.0).numpy()
    assert values.min() >= 2.0 and values.max() < 3.0


def test_truncated_normal_stays_within_its_bounds(backend):
    values = sample(init.trunc_normal_, mean=1.0, std=2.0, a=0.0, b=3.0).numpy()
    assert values.min() >= 0.0 and values.max() <= 3.0
    std = math.sqrt(1 / 500) / 0.87962566103423978
    values = sample(init.variance_scaling_).numpy()
    assert values.min() >= -2 * std and values.max() <= 2 * std


def test_constant_initializers(backend):
    numpy.testing.assert_array_equal(sample(init.ones_, (2, 3)).numpy(), numpy.ones((2, 3)))
    numpy.testing.assert_array_equal(sample(init.zeros_, (2, 3)).numpy(), numpy.zeros((2, 3)))
    numpy.testing.assert_array_equal(sample(init.constant_, (2,), value=0.5).numpy(), [0.5, 0.5])


def test_initializers_keep_identity_dtype_and_backend(backend):
    param = nn.Parameter(minigrad.zeros(20, 10, dtype="float64"))
    data = param.data
    init.kaiming_normal_(param)
    assert param.data is not data and param.dtype == numpy.float64 and param.backend == backend
    assert param.requires_grad
    assert sample(init.xavier_normal_, (4, 4)).dtype == numpy.float32


def test_initializers_are_seeded(backend):
    minigrad.manual_seed(3)
    a = sample(init.xavier_uniform_, (5, 5)).numpy()
    minigrad.manual_seed(3)
    b = sample(init.xavier_uniform_, (5, 5)).numpy()
    numpy.testing.assert_array_equal(a, b)
    assert not numpy.array_equal(a, sample(init.xavier_uniform_, (5, 5)).numpy())


def test_linear_default_initialization(backend):
    layer = nn.Linear(500, 400)
    weight, bias = layer.weight.numpy(), layer.bias.numpy()
    bound = 1 / math.sqrt(500)  # kaiming_uniform(a=√5) is U(±1/√fan_in)
    assert abs(weight).max() <= bound and abs(bias).max() <= bound
    assert weight.var() == pytest.approx(bound ** 2 / 3, rel=0.03)
    assert abs(bias).max() > 0.5 * bound


def test_batch_norm_defaults(backend):
    layer = nn.BatchNorm2d(4)
    numpy.testing.assert_array_equal(layer.weight.numpy(), numpy.ones(4))
    numpy.testing.assert_array_equal(layer.bias.numpy(), numpy.zeros(4))
    numpy.testing.assert_array_equal(layer.running_mean.numpy(), numpy.zeros(4))
    numpy.testing.assert_array_equal(layer.running_var.numpy(), numpy.ones(4))


def test_bad_mode_and_distribution_are_refused():
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_uniform_(minigrad.zeros(2, 2), mode="fan")
    with pytest.raises(ValueError, match="distribution must be"):
        init.variance_scaling_(minigrad.zeros(2, 2), distribution="cauchy")
