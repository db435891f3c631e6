"""nn.Conv2d, nn.ConvTranspose2d, nn.MaxPool2d, nn.AvgPool2d, nn.Upsample: shapes, parameters,
PyTorch's default initialization, and that each layer is its functional op."""

import math

import numpy
import pytest

import minigrad
from minigrad.functions.conv import conv2d, conv_transpose2d
from minigrad.functions.pooling import avg_pool2d, max_pool2d
from minigrad.nn.conv import Conv2d, ConvTranspose2d
from minigrad.nn.pooling import AvgPool2d, MaxPool2d, Upsample


@pytest.mark.parametrize("args, kwargs, x_shape, y_shape", [
    ((1, 16, 3), dict(stride=2, padding=1), (4, 1, 28, 28), (4, 16, 14, 14)),
    ((16, 32, 3), dict(stride=2, padding=1), (4, 16, 14, 14), (4, 32, 7, 7)),
    ((3, 5, (3, 2)), dict(padding=(1, 0)), (2, 3, 6, 7), (2, 5, 6, 6)),
    ((2, 4, 3), dict(dilation=2), (2, 2, 9, 9), (2, 4, 5, 5)),
])
def test_conv2d_layer_shapes(backend, args, kwargs, x_shape, y_shape):
    layer = Conv2d(*args, **kwargs)
    in_channels, out_channels, kernel = args
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    assert layer.weight.shape == (out_channels, in_channels, kh, kw)
    assert layer.bias.shape == (out_channels,)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert layer.weight.backend == backend
    assert layer(minigrad.randn(*x_shape)).shape == y_shape


@pytest.mark.parametrize("args, kwargs, x_shape, y_shape", [
    ((32, 16, 4), dict(stride=2, padding=1), (4, 32, 7, 7), (4, 16, 14, 14)),
    ((16, 1, 4), dict(stride=2, padding=1), (4, 16, 14, 14), (4, 1, 28, 28)),
    ((3, 2, 3), dict(stride=2, padding=1, output_padding=1), (2, 3, 5, 5), (2, 2, 10, 10)),
    ((2, 3, (2, 3)), dict(stride=(1, 2), dilation=(2, 1)), (2, 2, 4, 4), (2, 3, 6, 9)),
])
def test_conv_transpose2d_layer_shapes(backend, args, kwargs, x_shape, y_shape):
    layer = ConvTranspose2d(*args, **kwargs)
    in_channels, out_channels, kernel = args
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    assert layer.weight.shape == (in_channels, out_channels, kh, kw)  # PyTorch's (in, out, kh, kw)
    assert layer.bias.shape == (out_channels,)
    assert layer(minigrad.randn(*x_shape)).shape == y_shape


def test_conv_layers_without_bias(backend):
    for layer in (Conv2d(2, 3, 3, bias=False), ConvTranspose2d(2, 3, 3, bias=False)):
        assert layer.bias is None
        assert [name for name, _ in layer.named_parameters()] == ["weight"]
        assert layer(minigrad.randn(1, 2, 5, 5)).shape[1] == 3


@pytest.mark.parametrize("make, fan_in", [
    (lambda: Conv2d(16, 32, 3), 16 * 9),             # fan_in = in·kh·kw
    (lambda: ConvTranspose2d(32, 16, 4), 16 * 16),   # read from axis 1 as in PyTorch: out·kh·kw
])
def test_default_init_is_pytorchs_uniform(backend, make, fan_in):
    """kaiming_uniform(a=√5) on the weight and the bias are both U(−1/√fan_in, 1/√fan_in)."""
    layer = make()
    bound = 1 / math.sqrt(fan_in)
    w, b = layer.weight.numpy(), layer.bias.numpy()
    assert abs(w).max() <= bound and abs(b).max() <= bound
    assert abs(w).max() > 0.95 * bound  # thousands of draws reach close to the bound...
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)  # ...and spread like a uniform
    assert len(numpy.unique(b)) == b.size


def test_layers_compute_their_functional_op(backend):
    x = minigrad.randn(2, 3, 6, 6)
    conv = Conv2d(3, 4, 3, stride=2, padding=1)
    expected = conv2d(x, conv.weight, conv.bias, stride=2, padding=1)
    numpy.testing.assert_array_equal(conv(x).numpy(), expected.numpy())
    up = ConvTranspose2d(3, 2, 4, stride=2, padding=1)
    expected = conv_transpose2d(x, up.weight, up.bias, stride=2, padding=1)
    numpy.testing.assert_array_equal(up(x).numpy(), expected.numpy())
    numpy.testing.assert_array_equal(MaxPool2d(2)(x).numpy(), max_pool2d(x, 2).numpy())
    numpy.testing.assert_array_equal(AvgPool2d(3, 1, 1)(x).numpy(), avg_pool2d(x, 3, 1, 1).numpy())


def test_conv_autoencoder_backward_fills_every_parameter(backend):
    encoder = [Conv2d(1, 4, 3, stride=2, padding=1), Conv2d(4, 8, 3, stride=2, padding=1)]
    decoder = [ConvTranspose2d(8, 4, 4, stride=2, padding=1), ConvTranspose2d(4, 1, 4, stride=2, padding=1)]
    x = minigrad.rand(2, 1, 12, 12)
    h = x
    for layer in encoder + decoder:
        h = layer(h)
    assert h.shape == x.shape
    ((h - x) * (h - x)).mean().backward()
    for layer in encoder + decoder:
        for name, param in layer.named_parameters():
            assert param.grad is not None and param.grad.shape == param.shape, name
            assert float(abs(param.grad.numpy()).sum()) > 0, name


@pytest.mark.parametrize("layer, x_shape, y_shape", [
    (lambda: MaxPool2d(2), (2, 3, 8, 8), (2, 3, 4, 4)),
    (lambda: MaxPool2d(3, stride=2, padding=1), (2, 3, 7, 7), (2, 3, 4, 4)),
    (lambda: AvgPool2d(2), (2, 3, 7, 7), (2, 3, 3, 3)),
    (lambda: AvgPool2d((3, 1), stride=1, padding=(1, 0)), (2, 3, 5, 4), (2, 3, 5, 4)),
    (lambda: Upsample(scale_factor=2), (2, 3, 7, 7), (2, 3, 14, 14)),
    (lambda: Upsample(scale_factor=(1, 3)), (2, 3, 2, 2), (2, 3, 2, 6)),
])
def test_pooling_layers_shapes_and_no_parameters(backend, layer, x_shape, y_shape):
    layer = layer()
    assert list(layer.parameters()) == []
    assert layer(minigrad.randn(*x_shape)).shape == y_shape


def test_layer_argument_errors(backend):
    with pytest.raises(ValueError, match="Upsample: mode 'bilinear' is not implemented"):
        Upsample(scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match="ConvTranspose2d: output_padding .* must be smaller than the stride"):
        ConvTranspose2d(2, 2, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="Conv2d: stride must be >= 1"):
        Conv2d(2, 2, 3, stride=0)
    with pytest.raises(ValueError, match="conv2d: input has 3 channels but weight expects 2"):
        Conv2d(2, 4, 3)(minigrad.randn(1, 3, 5, 5))
