"""conv2d, conv_transpose2d, max_pool2d, avg_pool2d, upsample_nearest2d.

Forward results are compared with naive references written below with plain Python
loops over every output pixel, on host NumPy copies; conv_transpose2d is checked as
the adjoint of conv2d; gradients with gradcheck (float64) and gradgradcheck.
Gradcheck points avoid kinks: max pooling is checked on distinct, well separated
values (a permutation of 0.1·k), so no window has a tie within eps.
"""

import numpy
import pytest

import minigrad
from minigrad.functions.conv import conv2d, conv_transpose2d
from minigrad.functions.pooling import avg_pool2d, max_pool2d, upsample_nearest2d


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _tensor(array, requires_grad=False):
    return minigrad.tensor(numpy.asarray(array, dtype=numpy.float64), requires_grad=requires_grad)


# ----- naive references (loops over output pixels, host NumPy) ----------------------------

def naive_conv2d(x, w, b, stride, padding, dilation):
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xpad = numpy.zeros((n, c, h + 2 * ph, wd + 2 * pw))
    xpad[:, :, ph:ph + h, pw:pw + wd] = x
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = numpy.zeros((n, o, oh, ow))
    for p in range(oh):
        for q in range(ow):
            for i in range(kh):
                for j in range(kw):
                    pixel = xpad[:, :, p * sh + i * dh, q * sw + j * dw]  # (n, c)
                    y[:, :, p, q] += pixel @ w[:, :, i, j].T
    return y if b is None else y + b.reshape(1, -1, 1, 1)


def naive_conv_transpose2d(x, w, stride, padding, output_padding, dilation):
    """Each input pixel scatters its kernel-weighted copy onto the (padded) output."""
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = map(_pair, (stride, padding, output_padding, dilation))
    n, c, h, wd = x.shape
    _, o, kh, kw = w.shape
    oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    ow = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    ypad = numpy.zeros((n, o, oh + 2 * ph, ow + 2 * pw))
    for p in range(h):
        for q in range(wd):
            for i in range(kh):
                for j in range(kw):
                    ypad[:, :, p * sh + i * dh, q * sw + j * dw] += x[:, :, p, q] @ w[:, :, i, j]
    return ypad[:, :, ph:ph + oh, pw:pw + ow]


def naive_pool(x, kernel, stride, padding, reduce, fill):
    (kh, kw), (sh, sw), (ph, pw) = _pair(kernel), _pair(stride), _pair(padding)
    n, c, h, wd = x.shape
    xpad = numpy.full((n, c, h + 2 * ph, wd + 2 * pw), fill)
    xpad[:, :, ph:ph + h, pw:pw + wd] = x
    oh, ow = (h + 2 * ph - kh) // sh + 1, (wd + 2 * pw - kw) // sw + 1
    y = numpy.zeros((n, c, oh, ow))
    for p in range(oh):
        for q in range(ow):
            y[:, :, p, q] = reduce(xpad[:, :, p * sh:p * sh + kh, q * sw:q * sw + kw], axis=(2, 3))
    return y


# ----- conv2d -------------------------------------------------------------------------------

# (x shape, weight shape, stride, padding, dilation): odd sizes, non-square kernels, pairs.
CONV_CASES = [
    ((2, 3, 7, 7), (4, 3, 3, 3), 1, 0, 1),
    ((2, 3, 7, 7), (4, 3, 3, 3), 1, 1, 1),
    ((2, 2, 7, 6), (3, 2, 3, 3), 2, 1, 1),
    ((1, 2, 8, 9), (2, 2, 2, 3), (2, 3), (0, 1), 1),
    ((2, 1, 9, 7), (3, 1, 3, 2), 1, 2, (2, 3)),
    ((2, 3, 6, 6), (2, 3, 1, 1), 2, 0, 1),
    ((2, 2, 5, 5), (3, 2, 5, 5), 1, 0, 1),
    ((2, 2, 7, 7), (2, 2, 4, 4), 2, 1, 1),
    ((1, 2, 9, 8), (2, 2, 3, 3), 3, 1, 2),
]


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation", CONV_CASES)
def test_conv2d_matches_naive_loops(backend, rng, x_shape, w_shape, stride, padding, dilation, bias):
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0]) if bias else None
    y = conv2d(_tensor(x), _tensor(w), None if b is None else _tensor(b), stride, padding, dilation)
    expected = naive_conv2d(x, w, b, stride, padding, dilation)
    assert y.shape == expected.shape
    assert y.backend == backend
    numpy.testing.assert_allclose(y.numpy(), expected, rtol=1e-10, atol=1e-10)


def test_conv2d_keeps_float32(backend, rng):
    x = minigrad.tensor(rng.standard_normal((2, 3, 6, 6)).astype(numpy.float32))
    w = minigrad.tensor(rng.standard_normal((4, 3, 3, 3)).astype(numpy.float32))
    y = conv2d(x, w, stride=2, padding=1)
    assert y.dtype == numpy.float32
    expected = naive_conv2d(x.numpy().astype(numpy.float64), w.numpy().astype(numpy.float64), None, 2, 1, 1)
    numpy.testing.assert_allclose(y.numpy(), expected, rtol=1e-4, atol=1e-4)


# ----- conv_transpose2d ---------------------------------------------------------------------

# (x shape, weight shape (in, out, kh, kw), stride, padding, output_padding, dilation)
TRANSPOSE_CASES = [
    ((2, 3, 5, 5), (3, 2, 3, 3), 1, 0, 0, 1),
    ((2, 3, 4, 5), (3, 2, 3, 3), 2, 1, 1, 1),
    ((2, 2, 7, 7), (2, 1, 4, 4), 2, 1, 0, 1),
    ((1, 2, 3, 4), (2, 3, 2, 3), (3, 2), (1, 0), (2, 1), 1),
    ((2, 2, 4, 4), (2, 2, 3, 2), 2, 2, 1, (2, 3)),
    ((2, 1, 5, 3), (1, 2, 1, 1), 3, 0, 2, 1),
]


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, output_padding, dilation", TRANSPOSE_CASES)
def test_conv_transpose2d_matches_naive_loops_and_pytorch_shape(backend, rng, x_shape, w_shape, stride, padding,
                                                                 output_padding, dilation):
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[1])
    y = conv_transpose2d(_tensor(x), _tensor(w), _tensor(b), stride, padding, output_padding, dilation)
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = map(_pair, (stride, padding, output_padding, dilation))
    # PyTorch's formula: H_out = (H − 1)·s − 2p + d·(k − 1) + output_padding + 1
    expected_shape = (x_shape[0], w_shape[1],
                      (x_shape[2] - 1) * sh - 2 * ph + dh * (w_shape[2] - 1) + oph + 1,
                      (x_shape[3] - 1) * sw - 2 * pw + dw * (w_shape[3] - 1) + opw + 1)
    assert y.shape == expected_shape
    expected = naive_conv_transpose2d(x, w, stride, padding, output_padding, dilation) + b.reshape(1, -1, 1, 1)
    numpy.testing.assert_allclose(y.numpy(), expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation", CONV_CASES)
def test_conv_transpose2d_is_the_adjoint_of_conv2d(backend, rng, x_shape, w_shape, stride, padding, dilation):
    """⟨conv2d(x, W), y⟩ = ⟨x, conv_transpose2d(y, W)⟩, with the output_padding that restores x's size."""
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    conv_x = conv2d(_tensor(x), _tensor(w), None, stride, padding, dilation)
    y = rng.standard_normal(conv_x.shape)
    (sh, sw), (ph, pw), (dh, dw) = map(_pair, (stride, padding, dilation))
    output_padding = ((x_shape[2] + 2 * ph - dh * (w_shape[2] - 1) - 1) % sh,
                      (x_shape[3] + 2 * pw - dw * (w_shape[3] - 1) - 1) % sw)
    transpose_y = conv_transpose2d(_tensor(y), _tensor(w), None, stride, padding, output_padding, dilation)
    assert transpose_y.shape == x_shape
    left = float((conv_x.numpy() * y).sum())
    right = float((x * transpose_y.numpy()).sum())
    assert left == pytest.approx(right, rel=1e-10, abs=1e-10)


# ----- gradients ----------------------------------------------------------------------------

# Tiny shapes: every element of x, W and b is perturbed twice per check.
CONV_GRAD_CASES = [
    ((2, 2, 5, 5), (3, 2, 3, 3), 1, 0, 1),
    ((2, 2, 5, 5), (3, 2, 3, 3), 1, 1, 1),
    ((2, 3, 6, 5), (2, 3, 3, 3), 2, 1, 1),
    ((2, 2, 7, 6), (2, 2, 2, 3), (2, 1), (1, 0), 1),
    ((2, 2, 7, 7), (2, 2, 3, 3), 1, 2, 2),
    ((2, 2, 6, 6), (2, 2, 4, 4), 2, 1, 1),
    ((2, 2, 7, 5), (3, 2, 3, 2), 3, (1, 2), (1, 2)),
]


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation", CONV_GRAD_CASES)
def test_conv2d_gradcheck_input_weight_bias(backend, rng, x_shape, w_shape, stride, padding, dilation):
    x = _tensor(rng.standard_normal(x_shape), requires_grad=True)
    w = _tensor(rng.standard_normal(w_shape), requires_grad=True)
    b = _tensor(rng.standard_normal(w_shape[0]), requires_grad=True)
    assert minigrad.gradcheck(lambda x, w, b: conv2d(x, w, b, stride, padding, dilation), [x, w, b])


TRANSPOSE_GRAD_CASES = [
    ((2, 3, 4, 4), (3, 2, 3, 3), 1, 0, 0, 1),
    ((2, 2, 3, 4), (2, 2, 3, 3), 2, 1, 1, 1),
    ((2, 2, 4, 4), (2, 1, 4, 4), 2, 1, 0, 1),
    ((2, 2, 3, 3), (2, 2, 2, 3), (3, 2), (0, 1), (2, 1), 1),
    ((2, 2, 3, 3), (2, 2, 3, 2), 2, 1, 1, (2, 1)),
    ((2, 3, 4, 3), (3, 2, 1, 1), 2, 0, 1, 1),
]


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, output_padding, dilation", TRANSPOSE_GRAD_CASES)
def test_conv_transpose2d_gradcheck_input_weight_bias(backend, rng, x_shape, w_shape, stride, padding,
                                                      output_padding, dilation):
    x = _tensor(rng.standard_normal(x_shape), requires_grad=True)
    w = _tensor(rng.standard_normal(w_shape), requires_grad=True)
    b = _tensor(rng.standard_normal(w_shape[1]), requires_grad=True)
    assert minigrad.gradcheck(
        lambda x, w, b: conv_transpose2d(x, w, b, stride, padding, output_padding, dilation), [x, w, b]
    )


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation", [
    ((2, 2, 5, 5), (2, 2, 3, 3), 1, 1, 1),
    ((2, 2, 6, 5), (2, 2, 3, 2), 2, (1, 0), (1, 2)),
])
def test_conv2d_gradgradcheck(backend, rng, x_shape, w_shape, stride, padding, dilation):
    """conv2d is bilinear in (x, W): the second derivatives cross between them, through
    conv_transpose2d and the weight-gradient Function's own backward."""
    x = _tensor(rng.standard_normal(x_shape), requires_grad=True)
    w = _tensor(rng.standard_normal(w_shape), requires_grad=True)
    b = _tensor(rng.standard_normal(w_shape[0]), requires_grad=True)
    assert minigrad.gradgradcheck(lambda x, w, b: conv2d(x, w, b, stride, padding, dilation), [x, w, b])


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, output_padding, dilation", [
    ((2, 2, 3, 3), (2, 2, 3, 3), 2, 1, 1, 1),
    ((2, 2, 3, 4), (2, 1, 2, 3), 1, 0, 0, (2, 1)),
])
def test_conv_transpose2d_gradgradcheck(backend, rng, x_shape, w_shape, stride, padding, output_padding, dilation):
    x = _tensor(rng.standard_normal(x_shape), requires_grad=True)
    w = _tensor(rng.standard_normal(w_shape), requires_grad=True)
    assert minigrad.gradgradcheck(
        lambda x, w: conv_transpose2d(x, w, None, stride, padding, output_padding, dilation), [x, w]
    )


def test_conv2d_backward_gives_gradients_only_where_asked(backend, rng):
    x = _tensor(rng.standard_normal((2, 2, 5, 5)))
    w = _tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    b = _tensor(rng.standard_normal(3))
    conv2d(x, w, b, padding=1).sum().backward()
    assert x.grad is None and b.grad is None
    # ∂Σy/∂W[o,c,i,j] = Σ over the batch and the output pixels of the input pixels W[o,c,i,j] touches
    xpad = numpy.pad(x.numpy(), ((0, 0), (0, 0), (1, 1), (1, 1)))
    window_sums = numpy.array([[xpad[:, :, i:i + 5, j:j + 5].sum(axis=(0, 2, 3)) for j in range(3)]
                               for i in range(3)])  # (i, j, c)
    numpy.testing.assert_allclose(w.grad.numpy(), numpy.broadcast_to(window_sums.transpose(2, 0, 1), (3, 2, 3, 3)))


# ----- errors -------------------------------------------------------------------------------

def test_conv2d_channel_mismatch_names_the_shapes(backend):
    x, w = minigrad.zeros(1, 3, 5, 5), minigrad.zeros(4, 2, 3, 3)
    with pytest.raises(ValueError, match=r"conv2d: input has 3 channels but weight expects 2 .*\(4, 2, 3, 3\)"):
        conv2d(x, w)


def test_conv_transpose2d_channel_mismatch_names_the_shapes(backend):
    x, w = minigrad.zeros(1, 3, 5, 5), minigrad.zeros(2, 4, 3, 3)
    with pytest.raises(ValueError, match=r"conv_transpose2d: input has 3 channels but weight expects 2"):
        conv_transpose2d(x, w)


@pytest.mark.parametrize("call, message", [
    (lambda: conv2d(minigrad.zeros(1, 2, 3, 3), minigrad.zeros(4, 2, 5, 5)), r"conv2d: output size would be \(-1, -1\)"),
    (lambda: conv2d(minigrad.zeros(1, 2, 5, 5), minigrad.zeros(4, 2, 3, 3), dilation=3), r"conv2d: output size"),
    (lambda: conv2d(minigrad.zeros(2, 5, 5), minigrad.zeros(4, 2, 3, 3)), r"conv2d: input must be 4-d"),
    (lambda: conv2d(minigrad.zeros(1, 2, 5, 5), minigrad.zeros(4, 2, 3, 3), minigrad.zeros(3)),
     r"conv2d: bias has shape \(3,\).*4 output channels"),
    (lambda: conv2d(minigrad.zeros(1, 2, 5, 5), minigrad.zeros(4, 2, 3, 3), stride=0), r"conv2d: stride must be >= 1"),
    (lambda: conv2d(minigrad.zeros(1, 2, 5, 5), minigrad.zeros(4, 2, 3, 3), padding=(1, 2, 3)),
     r"conv2d: padding must be an int or a pair"),
    (lambda: conv_transpose2d(minigrad.zeros(1, 2, 2, 2), minigrad.zeros(2, 1, 3, 3), stride=2, output_padding=2),
     r"conv_transpose2d: output_padding \(2, 2\) must be smaller than the stride"),
    (lambda: conv_transpose2d(minigrad.zeros(1, 2, 1, 1), minigrad.zeros(2, 1, 1, 1), padding=1),
     r"conv_transpose2d: output size would be \(-1, -1\)"),
    (lambda: max_pool2d(minigrad.zeros(1, 1, 4, 4), 2, padding=2), r"max_pool2d: padding \(2, 2\) must be at most half"),
    (lambda: avg_pool2d(minigrad.zeros(1, 1, 2, 2), 3), r"avg_pool2d: output size would be \(0, 0\)"),
    (lambda: upsample_nearest2d(minigrad.zeros(1, 1, 2, 2), 1.5), r"upsample_nearest2d: scale_factor must be an int"),
])
def test_bad_arguments_raise_clear_errors(backend, call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


# ----- pooling and upsampling ---------------------------------------------------------------

POOL_CASES = [  # (x shape, kernel, stride, padding)
    ((2, 2, 6, 6), 2, None, 0),
    ((2, 3, 7, 7), 3, 2, 1),
    ((2, 2, 5, 6), 3, 1, 1),
    ((2, 2, 7, 5), (2, 3), (1, 2), (1, 0)),
    ((1, 2, 7, 7), 2, 3, 0),
]


def _distinct(rng, shape):
    """Values 0.1 apart in random order: no ties in any window, far from each other compared to eps."""
    return rng.permutation(int(numpy.prod(shape))).reshape(shape) * 0.1


@pytest.mark.parametrize("x_shape, kernel, stride, padding", POOL_CASES)
def test_max_pool2d_matches_naive_loops_and_gradcheck(backend, rng, x_shape, kernel, stride, padding):
    x = -_distinct(rng, x_shape) - 0.1  # all negative, so padding with −∞ (not 0) matters
    y = max_pool2d(_tensor(x), kernel, stride, padding)
    expected = naive_pool(x, kernel, kernel if stride is None else stride, padding, numpy.max, -numpy.inf)
    numpy.testing.assert_array_equal(y.numpy(), expected)
    xt = _tensor(x, requires_grad=True)
    assert minigrad.gradcheck(lambda x: max_pool2d(x, kernel, stride, padding), [xt])


def test_max_pool2d_routes_the_gradient_to_the_argmax(backend):
    x = _tensor([[[[1.0, 5.0, 2.0, 0.0],
                   [3.0, 4.0, 9.0, 8.0],
                   [0.0, 0.0, 1.0, 1.0],
                   [7.0, 0.0, 1.0, 2.0]]]], requires_grad=True)
    max_pool2d(x, 2).backward(_tensor([[[[10.0, 20.0], [30.0, 40.0]]]]))
    expected = [[0, 10, 0, 0], [0, 0, 20, 0], [0, 0, 0, 0], [30, 0, 0, 40]]
    numpy.testing.assert_array_equal(x.grad.numpy()[0, 0], expected)


def test_max_pool2d_overlapping_windows_add_up(backend):
    """With stride < kernel one pixel can be the max of several windows: its gradient is their sum."""
    x = _tensor([[[[0.0, 1.0, 0.0], [2.0, 9.0, 3.0], [0.0, 4.0, 0.0]]]], requires_grad=True)
    max_pool2d(x, 2, stride=1).backward(_tensor([[[[1.0, 2.0], [3.0, 4.0]]]]))
    assert x.grad.numpy()[0, 0, 1, 1] == 10.0
    assert float(abs(x.grad.numpy()).sum()) == 10.0


@pytest.mark.parametrize("x_shape, kernel, stride, padding", POOL_CASES[:3])
def test_max_pool2d_gradgradcheck(backend, rng, x_shape, kernel, stride, padding):
    """Through the scatter (MaxPool2dGrad) and its adjoint gather: squared so the first-order
    gradient 2·y routed to the arg-max depends on x."""
    x = _tensor(_distinct(rng, x_shape) - 3.0, requires_grad=True)
    assert minigrad.gradgradcheck(lambda x: max_pool2d(x, kernel, stride, padding) ** 2, [x])


@pytest.mark.parametrize("x_shape, kernel, stride, padding", POOL_CASES)
def test_avg_pool2d_matches_naive_loops_and_gradcheck(backend, rng, x_shape, kernel, stride, padding):
    x = rng.standard_normal(x_shape)
    y = avg_pool2d(_tensor(x), kernel, stride, padding)
    expected = naive_pool(x, kernel, kernel if stride is None else stride, padding, numpy.mean, 0.0)
    numpy.testing.assert_allclose(y.numpy(), expected, rtol=1e-12, atol=1e-12)
    xt = _tensor(x, requires_grad=True)
    assert minigrad.gradcheck(lambda x: avg_pool2d(x, kernel, stride, padding), [xt])


@pytest.mark.parametrize("x_shape, kernel, stride, padding", POOL_CASES[1:3])
def test_avg_pool2d_gradgradcheck(backend, rng, x_shape, kernel, stride, padding):
    x = _tensor(rng.standard_normal(x_shape), requires_grad=True)
    assert minigrad.gradgradcheck(lambda x: avg_pool2d(x, kernel, stride, padding) ** 2, [x])


@pytest.mark.parametrize("scale", [2, (2, 3), 3.0])
def test_upsample_nearest2d_repeats_pixels_and_gradcheck(backend, rng, scale):
    x = rng.standard_normal((2, 2, 3, 4))
    sh, sw = (int(scale), int(scale)) if not isinstance(scale, tuple) else scale
    y = upsample_nearest2d(_tensor(x), scale)
    numpy.testing.assert_array_equal(y.numpy(), x.repeat(sh, axis=2).repeat(sw, axis=3))
    xt = _tensor(x, requires_grad=True)
    assert minigrad.gradcheck(lambda x: upsample_nearest2d(x, scale), [xt])
    assert minigrad.gradgradcheck(lambda x: upsample_nearest2d(x, scale) ** 2, [xt])


def test_upsample_nearest2d_gradient_sums_each_block(backend):
    x = _tensor(numpy.zeros((1, 1, 2, 2)), requires_grad=True)
    g = numpy.arange(16.0).reshape(1, 1, 4, 4)
    upsample_nearest2d(x, 2).backward(_tensor(g))
    numpy.testing.assert_array_equal(x.grad.numpy()[0, 0], [[0 + 1 + 4 + 5, 2 + 3 + 6 + 7],
                                                             [8 + 9 + 12 + 13, 10 + 11 + 14 + 15]])
