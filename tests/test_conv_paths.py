"""conv2d has two ways to make its GEMM (im2col of NCHW, or batch-last for many channels on small
images) and conv_transpose2d a batch-last scatter: the paths agree with each other and with naive
loops, also when the blocked transposing copies take several bands (TRANSPOSE_BLOCK made tiny) and
the im2col matrices are made a few rows or images at a time (COLS_CHUNK made tiny)."""

import numpy
import pytest

import minigrad
from minigrad.functions import conv

GEOMETRIES = [  # (input shape, weight shape (O, C, kh, kw), stride, padding, dilation)
    ((2, 8, 9, 7), (3, 8, 3, 3), (1, 1), (1, 1), (1, 1)),
    ((3, 9, 10, 11), (4, 9, 3, 2), (2, 1), (1, 0), (1, 1)),
    ((2, 12, 11, 9), (5, 12, 2, 3), (2, 3), (0, 2), (2, 1)),
    ((1, 16, 7, 7), (2, 16, 4, 4), (2, 2), (1, 1), (1, 1)),
]


def naive_conv2d(x, w, stride, padding, dilation):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = numpy.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = numpy.zeros((n, o, oh, ow))
    for p in range(oh):
        for q in range(ow):
            patch = xp[:, :, p * sh:p * sh + dh * (kh - 1) + 1:dh, q * sw:q * sw + dw * (kw - 1) + 1:dw]
            y[:, :, p, q] = numpy.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return y


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_both_conv2d_paths_match_naive_loops(backend, rng, monkeypatch, geometry):
    xs, ws, stride, padding, dilation = geometry
    x = rng.standard_normal(xs)
    w = rng.standard_normal(ws)
    expected = naive_conv2d(x, w, stride, padding, dilation)
    monkeypatch.setattr(conv, "TRANSPOSE_BLOCK", 3)
    monkeypatch.setattr(conv, "COLS_CHUNK", 50)  # chunks of one or a few rows / images
    monkeypatch.setattr(conv, "PER_IMAGE_MIN_PIXELS", 10 ** 9)
    for threshold in (1, 10 ** 6):  # every input through the batch-last path, then none
        monkeypatch.setattr(conv, "BATCH_LAST_MIN_CHANNELS", threshold)
        y = conv.conv2d(minigrad.tensor(x), minigrad.tensor(w), None, stride, padding, dilation)
        numpy.testing.assert_allclose(y.numpy(), expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_batch_last_paths_are_adjoint_and_differentiable(backend, rng, monkeypatch, geometry):
    xs, ws, stride, padding, dilation = geometry
    monkeypatch.setattr(conv, "BATCH_LAST_MIN_CHANNELS", 1)
    monkeypatch.setattr(conv, "PER_IMAGE_MIN_PIXELS", 10 ** 9)
    monkeypatch.setattr(conv, "TRANSPOSE_BLOCK", 3)
    monkeypatch.setattr(conv, "COLS_CHUNK", 50)
    x = minigrad.tensor(rng.standard_normal(xs), requires_grad=True)
    w = minigrad.tensor(rng.standard_normal(ws), requires_grad=True)
    y = conv.conv2d(x, w, None, stride, padding, dilation)
    g = minigrad.tensor(rng.standard_normal(y.shape))
    # <conv2d(x), g> == <x, conv_transpose2d(g)>: the transposed convolution is the adjoint
    output_padding = conv._adjoint_output_padding(x.shape, w.shape, y.shape, stride, padding, dilation)
    gx = conv.conv_transpose2d(g, w, None, stride, padding, output_padding, dilation)
    lhs = float((y.numpy() * g.numpy()).sum())
    rhs = float((x.numpy() * gx.numpy()).sum())
    assert lhs == pytest.approx(rhs, rel=1e-10)
    small = lambda x, w: conv.conv2d(x, w, None, stride, padding, dilation)  # noqa: E731
    assert minigrad.gradcheck(small, [x, w])


@pytest.mark.parametrize("shape", [(0, 5), (5, 0), (1, 1), (7, 3), (3, 7), (130, 65)])
def test_transposed_copies_in_bands(backend, rng, monkeypatch, shape):
    monkeypatch.setattr(conv, "TRANSPOSE_BLOCK", 4)  # several bands and a shorter last one
    a = minigrad.tensor(rng.standard_normal(shape)).data
    out = conv.transposed(a)
    assert out.flags.c_contiguous and tuple(out.shape) == shape[::-1]
    numpy.testing.assert_array_equal(minigrad.Tensor(out).numpy(), minigrad.Tensor(a).numpy().T)


@pytest.mark.parametrize("with_bias", [False, True])
def test_transposed_nchw_is_the_transpose_reshaped_plus_bias(backend, rng, monkeypatch, with_bias):
    monkeypatch.setattr(conv, "TRANSPOSE_BLOCK", 5)
    rows = rng.standard_normal((3 * 4 * 5, 2))  # (C·H·W, N), as conv_transpose2d's scatter leaves it
    bias = rng.standard_normal(3)
    out = conv.transposed_nchw(minigrad.tensor(rows).data, (2, 3, 4, 5),
                               minigrad.tensor(bias).data if with_bias else None)
    expected = rows.T.reshape(2, 3, 4, 5) + (bias.reshape(1, 3, 1, 1) if with_bias else 0)
    numpy.testing.assert_allclose(minigrad.Tensor(out).numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("geometry", GEOMETRIES)
@pytest.mark.parametrize("threshold", [1, 10 ** 6])  # the batch-last path, the im2col-per-image path
def test_chunked_im2col_gives_what_the_whole_matrix_gives(backend, rng, monkeypatch, geometry, threshold):
    xs, ws, stride, padding, dilation = geometry
    monkeypatch.setattr(conv, "BATCH_LAST_MIN_CHANNELS", threshold)
    monkeypatch.setattr(conv, "PER_IMAGE_MIN_PIXELS", 10 ** 9)
    x = minigrad.tensor(rng.standard_normal(xs))
    w = minigrad.tensor(rng.standard_normal(ws))
    b = minigrad.tensor(rng.standard_normal(ws[0]))
    y = conv.conv2d(x, w, b, stride, padding, dilation)
    g = minigrad.tensor(rng.standard_normal(y.shape))
    output_padding = conv._adjoint_output_padding(x.shape, w.shape, y.shape, stride, padding, dilation)

    def all_three():
        return (conv.conv2d(x, w, b, stride, padding, dilation).numpy(),
                conv.conv_transpose2d(g, w, None, stride, padding, output_padding, dilation).numpy(),
                conv.conv2d_weight_grad(x, g, ws[2:], stride, padding, dilation).numpy())

    whole = all_three()
    for chunk in (1, 40):  # one row or image per chunk; a few
        monkeypatch.setattr(conv, "COLS_CHUNK", chunk)
        for expected, got in zip(whole, all_three()):
            numpy.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_chunks_cover_the_range_within_the_limit(monkeypatch):
    monkeypatch.setattr(conv, "COLS_CHUNK", 10)
    assert conv._chunks(7, 3) == [(0, 3), (3, 6), (6, 7)]
    assert conv._chunks(7, 100) == [(i, i + 1) for i in range(7)]  # one item even above the limit
    assert conv._chunks(5, 0) == [(0, 5)]
    assert conv._chunks(0, 3) == []


STRIDE_ONE_TRANSPOSES = [  # (input shape, weight shape (C, O, kh, kw), padding, dilation); frame = d·(k − 1) − p
    ((2, 2, 5, 6), (2, 3, 3, 3), (0, 0), (1, 1)),
    ((2, 1, 4, 5), (1, 4, 3, 2), (1, 0), (1, 1)),
    ((1, 3, 6, 5), (3, 5, 3, 3), (2, 1), (2, 1)),   # dilated: frame (2, 1)
    ((2, 2, 5, 5), (2, 3, 2, 2), (1, 1), (1, 1)),   # frame (0, 0)
    ((2, 2, 5, 5), (2, 3, 3, 3), (3, 0), (1, 1)),   # frame (−1, 2): stays a scatter
    ((2, 9, 4, 4), (9, 10, 3, 3), (1, 1), (1, 1)),  # the convolution takes the batch-last path
    ((2, 3, 4, 4), (3, 2, 3, 3), (1, 1), (1, 1)),   # more channels in than out: stays a scatter
]


def naive_conv_transpose2d(x, w, padding, dilation):
    """Stride 1: every input pixel adds its kernel-weighted copy onto the output (loops)."""
    n, c, h, wd = x.shape
    _, o, kh, kw = w.shape
    (ph, pw), (dh, dw) = padding, dilation
    full = numpy.zeros((n, o, h + dh * (kh - 1), wd + dw * (kw - 1)))
    for i in range(kh):
        for j in range(kw):
            full[:, :, i * dh:i * dh + h, j * dw:j * dw + wd] += numpy.einsum("ncpq,co->nopq", x, w[:, :, i, j])
    return full[:, :, ph:full.shape[2] - ph, pw:full.shape[3] - pw]


@pytest.mark.parametrize("geometry", STRIDE_ONE_TRANSPOSES)
def test_stride_one_conv_transpose_matches_naive_loops_and_gradcheck(backend, rng, geometry):
    xs, ws, padding, dilation = geometry
    x = minigrad.tensor(rng.standard_normal(xs), requires_grad=True)
    w = minigrad.tensor(rng.standard_normal(ws), requires_grad=True)
    b = minigrad.tensor(rng.standard_normal(ws[1]), requires_grad=True)
    y = conv.conv_transpose2d(x, w, b, 1, padding, 0, dilation)
    expected = naive_conv_transpose2d(x.numpy(), w.numpy(), padding, dilation) + b.numpy().reshape(1, -1, 1, 1)
    numpy.testing.assert_allclose(y.numpy(), expected, rtol=1e-10, atol=1e-10)
    frame = tuple(d * (k - 1) - p for d, k, p in zip(dilation, ws[2:], padding))
    if min(frame) >= 0:  # the gather and the scatter formulations agree
        gathered = conv.conv_transpose_as_conv(x.data, w.data, None, frame, dilation, y.shape[2:])
        scattered = conv.conv_transpose_batch_last(x.data, w.data, None, (1, 1), padding, dilation, y.shape[2:])
        numpy.testing.assert_allclose(minigrad.Tensor(gathered).numpy(), minigrad.Tensor(scattered).numpy(),
                                      rtol=1e-10, atol=1e-10)
    assert minigrad.gradcheck(lambda x, w, b: conv.conv_transpose2d(x, w, b, 1, padding, 0, dilation), [x, w, b])
