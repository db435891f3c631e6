"""Convolution in NCHW layout: conv2d and its adjoint, conv_transpose2d.

Both are GEMMs plus a reshuffle of memory, on whole batches:

* ``im2col`` is a strided *view* of the zero-padded input, no copy:

      cols[n, c, i, j, p, q] = xpad[n, c, p·s + i·d, q·s + j·d]

  Read with the (c, i, j) axes as rows and (p, q) as columns, ``cols[n]`` is the
  (C·kh·kw) × (OH·OW) matrix of every receptive field of image n, and conv2d is
  ``W(O, C·kh·kw) @ cols[n]`` for every n (one batched matmul, NCHW out at once).
  With many channels on small images the same matrix is gathered with the batch
  innermost instead (``batch_last_view``: rows of N contiguous values read faster than
  rows of OW values read with the stride), and one GEMM covers the whole batch. Either way the
  matrix is gathered and multiplied a chunk at a time (``COLS_CHUNK``): whole, it is
  kh·kw times the size of the input.
* ``col2im`` is the adjoint of that view: it adds every column entry back onto the
  pixel it was read from. It loops over the kh·kw kernel offsets, each step one
  strided add over the whole batch and all output pixels at once. On NumPy this is
  4-8x faster than ``xp.add.at`` with precomputed index arrays (2.4 ms against 22 ms
  for the 16->32 3x3 s2 layer on a 128x16x14x14 batch): a strided add streams
  through memory, while ``add.at`` must allow repeated indices and goes element by
  element. conv_transpose2d scatters the same way, batch innermost.

conv2d and conv_transpose2d are each other's adjoint, so each one's backward is
written with the other, and the weight gradient is a third Function
(``conv2d_weight_grad``) whose own backward is again conv2d and conv_transpose2d.
Every backward is therefore made of differentiable ops: double backward works.
"""

import numpy

from minigrad.autograd import Function
from minigrad.backend import get_array_module
from minigrad import gemm
from minigrad.functions.reduction import sum as _sum


def pair(value, name, op, minimum=0):
    """``value`` (an int or a pair of ints) as a pair, each at least ``minimum``."""
    values = (value, value) if isinstance(value, (int, numpy.integer)) else value
    if not isinstance(values, (tuple, list)) or len(values) != 2 or not all(
            isinstance(v, (int, numpy.integer)) and not isinstance(v, bool) for v in values):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if any(v < minimum for v in values):
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return tuple(int(v) for v in values)


def conv_output_size(size, kernel, stride, padding, dilation):
    """Spatial output size of a convolution: ⌊(H + 2p − d·(k − 1) − 1) / s⌋ + 1, per axis."""
    return tuple((h + 2 * p - d * (k - 1) - 1) // s + 1
                 for h, k, s, p, d in zip(size, kernel, stride, padding, dilation))


def conv_transpose_output_size(size, kernel, stride, padding, output_padding, dilation):
    """Spatial output size of a transposed convolution (PyTorch's formula), per axis:
    (H − 1)·s − 2p + d·(k − 1) + output_padding + 1."""
    return tuple((h - 1) * s - 2 * p + d * (k - 1) + op + 1
                 for h, k, s, p, op, d in zip(size, kernel, stride, padding, output_padding, dilation))


def im2col(x, kernel, stride, padding, dilation, out_size, pad_value=0.0):
    """The (N, C, kh, kw, OH, OW) view ``cols[n, c, i, j, p, q] = xpad[n, c, p·s + i·d, q·s + j·d]``.

    ``xpad`` is ``x`` padded with ``pad_value`` (a copy only when padding is not zero).
    The result is a read-only-by-convention view: it repeats pixels, never write to it.
    """
    xp = get_array_module(x)
    (ph, pw), (sh, sw), (dh, dw) = padding, stride, dilation
    if ph or pw:  # a frame of pad_value (xp.pad does the same, with more Python around it)
        n, c, h, w = x.shape
        padded = xp.full((n, c, h + 2 * ph, w + 2 * pw), pad_value, dtype=x.dtype)
        padded[:, :, ph:ph + h, pw:pw + w] = x
        x = padded
    n, c = x.shape[:2]
    strides_n, strides_c, strides_h, strides_w = x.strides
    return xp.lib.stride_tricks.as_strided(
        x, shape=(n, c) + tuple(kernel) + tuple(out_size),
        strides=(strides_n, strides_c, strides_h * dh, strides_w * dw, strides_h * sh, strides_w * sw),
    )


def col2im(cols, x_shape, stride, padding, dilation):
    """The adjoint of :func:`im2col`: an (N, C, H, W) array where every entry of ``cols``
    (N, C, kh, kw, OH, OW) is added onto the pixel of ``x`` it was read from (entries that
    were read from the padding are dropped)."""
    xp = get_array_module(cols)
    n, c, kh, kw, oh, ow = cols.shape
    (ph, pw), (sh, sw), (dh, dw) = padding, stride, dilation
    height, width = x_shape[2:]
    padded = (height + 2 * ph, width + 2 * pw)
    if cols.strides[1] > cols.strides[0]:  # channel-major cols (conv_transpose2d's GEMM output): match it,
        out = xp.zeros((c, n) + padded, dtype=cols.dtype).transpose(1, 0, 2, 3)  # so each add streams
    else:
        out = xp.zeros((n, c) + padded, dtype=cols.dtype)
    for i in range(kh):  # kh·kw strided adds, each over the whole batch and every output pixel
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
            columns = slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)
            out[:, :, rows, columns] += cols[:, :, i, j]
    return out[:, :, ph:ph + height, pw:pw + width]


# With many input channels, conv2d gathers its im2col matrix faster from a batch-last copy of the
# input (rows of N contiguous values) than from the NCHW input (rows of OW values read with the
# stride): measured on this autoencoder's layers, 16 channels 1.82 -> 1.40 ms, one channel
# 0.52 -> 0.89 ms (the extra transposes then cost more than they save).
BATCH_LAST_MIN_CHANNELS = 8
# ... but conv2d's forward keeps a GEMM per image when each image has PER_IMAGE_MIN_PIXELS output
# pixels or more: such GEMMs are large enough for BLAS, and the NCHW output needs no transpose
# (measured on a grid of batch 32/128, 8-32 channels, 3x3/5x5, stride 1/2: with 784 output pixels
# per image the per-image path took 0.55-1.0x the time, with 49 always more, at 196 either way).
PER_IMAGE_MIN_PIXELS = 256

# NumPy copies a transposed array in the destination's order, reading the source with a stride
# of a whole row: every read lands on a new cache line. Copied in bands of TRANSPOSE_BLOCK rows of
# the source, a band's cache lines are still there when the next columns need them: up to 2.5x
# faster on this autoencoder's layers (a (32·7·7) x 128 array: 0.214 -> 0.087 ms, a (16·14·14) x
# 128 one: 0.608 -> 0.248; bands of 32 rows were as fast in the training step, 16 and 128
# slower; the 4-d transposing copies this replaces were slower still). CuPy copies in one kernel.
TRANSPOSE_BLOCK = 64

# An im2col matrix is kh·kw times the size of its input: 66 MB for a 5x5 layer of 14 channels
# at 28x28 and batch 60 (conv-ae-notes). Made whole, each one is fresh memory from the system
# (page faults and zeroing in the kernel: a third of that model's training time) streamed
# through twice. So the matrices are gathered and multiplied a piece at a time, at most
# COLS_CHUNK elements each (8 MB in float32): that layer's forward 24 -> 16 ms. The conv-ae
# benchmark's matrices (at most 1.6M elements) fit in one piece; with 4 MB pieces they did not,
# and that step was a few % slower.
COLS_CHUNK = 1 << 21


def _chunks(count, size_of_one):
    """[start, stop) ranges that cover range(count), as few as keep ``size_of_one`` · (stop − start)
    within COLS_CHUNK (one item at least)."""
    step = max(1, COLS_CHUNK // max(1, size_of_one))
    return [(start, min(count, start + step)) for start in range(0, count, step)]


def transposed(a):
    """``a.T`` of a 2-d array as a new C-contiguous array (a band of rows at a time on NumPy)."""
    xp = get_array_module(a)
    if xp is not numpy:
        return xp.ascontiguousarray(a.T)
    out = xp.empty(a.shape[::-1], dtype=a.dtype)
    for start in range(0, a.shape[0], TRANSPOSE_BLOCK):
        out[:, start:start + TRANSPOSE_BLOCK] = a[start:start + TRANSPOSE_BLOCK].T
    return out


def batch_last(x):
    """An (N, C, H, W) array copied to (C, H, W, N)."""
    n, c, h, w = x.shape
    return transposed(x.reshape(n, c * h * w)).reshape(c, h, w, n)


def transposed_nchw(rows, shape, bias=None):
    """The (N, C, H, W) array of ``shape`` whose elements in C order are those of ``rows.T``
    (``rows`` a 2-d array), plus ``bias`` (C,) per channel: a GEMM's output brought back to NCHW."""
    xp = get_array_module(rows)
    if xp is numpy:
        out = transposed(rows).reshape(shape)
        if bias is not None:
            out += bias.reshape(1, -1, 1, 1)
        return out
    out = xp.empty(shape, dtype=rows.dtype)  # one kernel: the transposing copy, the bias added on the way
    view = rows.T.reshape(shape)
    if bias is None:
        out[...] = view
    else:
        xp.add(view, bias.reshape(1, -1, 1, 1), out=out)
    return out


def batch_last_view(x, kernel, stride, padding, dilation, out_size):
    """The im2col view of ``x`` with the batch innermost, (C, kh, kw, OH, OW, N), on a zero-framed
    (C, H', W', N) copy of x. Read with (c, i, j) as rows, a slice of output rows [r0, r1) of it
    gathers into the (C·kh·kw, (r1 − r0)·OW·N) matrix of those rows' receptive fields."""
    n, c, height, width = x.shape
    (kh, kw), (ph, pw), (sh, sw), (dh, dw) = kernel, padding, stride, dilation
    xp = get_array_module(x)
    if ph or pw:  # one 4-d copy into the frame (batch_last and a second copy into it: 0.45 against 0.34 ms)
        xt = xp.zeros((c, height + 2 * ph, width + 2 * pw, n), dtype=x.dtype)
        xt[:, ph:ph + height, pw:pw + width, :] = x.transpose(1, 2, 3, 0)
    else:
        xt = batch_last(x)
    oh, ow = out_size
    strides_c, strides_h, strides_w, strides_n = xt.strides
    return xp.lib.stride_tricks.as_strided(
        xt, shape=(c, kh, kw, oh, ow, n),
        strides=(strides_c, strides_h * dh, strides_w * dw, strides_h * sh, strides_w * sw, strides_n),
    )


def conv2d_batch_last(x, w, b, stride, padding, dilation, out_size):
    """conv2d(x, w) + b with the batch as the innermost axis: the GEMM ``colsᵀ @ Wᵀ`` on the
    matrix of :func:`batch_last_view`, a chunk of output rows at a time, fills the (OH·OW·N, O)
    output, which is the transpose of the wanted (N·O, OH·OW): one 2-d transposing copy, the
    bias added with it. (This orientation of the GEMM, with the long axis first, runs 20-25%
    faster in OpenBLAS than ``W @ cols`` on these layers.)"""
    xp = get_array_module(x)
    n, o = x.shape[0], w.shape[0]
    (oh, ow), k = out_size, w.shape[1] * w.shape[2] * w.shape[3]
    view = batch_last_view(x, w.shape[2:], stride, padding, dilation, out_size)
    w_rows = w.reshape(o, k).T
    y = xp.empty((oh * ow * n, o), dtype=xp.result_type(x.dtype, w.dtype))
    for r0, r1 in _chunks(oh, k * ow * n):
        cols = view[:, :, :, r0:r1].reshape(k, (r1 - r0) * ow * n)   # gathered
        gemm.matmul_into(cols.T, w_rows, y[r0 * ow * n:r1 * ow * n])   # the GEMM
    return transposed_nchw(y.reshape(oh * ow, n * o), (n, o, oh, ow), b)


def conv2d_arrays(x, w, b, stride, padding, dilation, out_size):
    """conv2d(x, w) + b on arrays (shapes checked by the caller): batch-last for many channels on
    small images, else a GEMM per image on the NCHW im2col view, NCHW out at once; a chunk of
    images at a time."""
    if x.shape[1] >= BATCH_LAST_MIN_CHANNELS and out_size[0] * out_size[1] < PER_IMAGE_MIN_PIXELS:
        return conv2d_batch_last(x, w, b, stride, padding, dilation, out_size)
    xp = get_array_module(x)
    (n, o), (oh, ow), k = (x.shape[0], w.shape[0]), out_size, w.shape[1] * w.shape[2] * w.shape[3]
    view = im2col(x, w.shape[2:], stride, padding, dilation, out_size)
    y = xp.empty((n, o, oh * ow), dtype=xp.result_type(x.dtype, w.dtype))
    for n0, n1 in _chunks(n, k * oh * ow):
        gemm.matmul_into(w.reshape(o, k), view[n0:n1].reshape(n1 - n0, k, oh * ow), y[n0:n1])
    if b is not None:
        y += b.reshape(1, -1, 1)
    return y.reshape((n, o, oh, ow))


def _landing(count, offset, stride, size):
    """Of ``count`` input rows landing on rows q·stride + offset of the output, the slice of those
    that land inside [0, size) and the slice of rows they land on; None if none does."""
    first = max(0, -(offset // stride))              # the first q with q·stride + offset >= 0
    last = min(count - 1, (size - 1 - offset) // stride)
    if last < first:
        return None
    return slice(first, last + 1), slice(first * stride + offset, last * stride + offset + 1, stride)


def conv_transpose_batch_last(x, w, b, stride, padding, dilation, out_size):
    """conv_transpose2d(x, w) + b, computed with the batch as the innermost axis.

    The GEMM ``Wᵀ(O·kh·kw, C) @ x(C, H·W·N)`` gives the columns (O, kh, kw, H, W, N); then, for
    each of the kh·kw kernel offsets, one strided add of its columns onto the (O, OH, OW, N)
    output (the part that lands on the padding is never added). Both run a chunk of input rows
    at a time (COLS_CHUNK). With N innermost each add runs over long contiguous rows of N
    values instead of rows of W (7 or 14 pixels here), which makes the scatter 5x faster on
    NumPy for this autoencoder's layers. The result is copied back to (N, O, OH, OW) with the
    bias added.
    """
    n, c, height, width = x.shape
    _, o, kh, kw = w.shape
    (ph, pw), (sh, sw), (dh, dw) = padding, stride, dilation
    xp = get_array_module(x)
    x_rows = batch_last(x)                                    # (C, H, W, N)
    w_rows = w.reshape(c, o * kh * kw).T                      # (O·kh·kw, C)
    oh, ow = out_size
    out = xp.zeros((o, oh, ow, n), dtype=xp.result_type(x.dtype, w.dtype))
    columns_of = [_landing(width, j * dw - pw, sw, ow) for j in range(kw)]  # the same for every row chunk
    for h0, h1 in _chunks(height, o * kh * kw * width * n):
        cols = gemm.matmul(w_rows, x_rows[:, h0:h1].reshape(c, (h1 - h0) * width * n))  # the GEMM
        cols = cols.reshape(o, kh, kw, h1 - h0, width, n)
        for i in range(kh):
            rows = _landing(h1 - h0, h0 * sh + i * dh - ph, sh, oh)
            for j, columns in enumerate(columns_of):
                if rows is not None and columns is not None:
                    out[:, rows[1], columns[1], :] += cols[:, i, j, rows[0], columns[0], :]
    return transposed_nchw(out.reshape(o * oh * ow, n), (n, o, oh, ow), b)


def conv_transpose_as_conv(x, w, b, frame, dilation, out_size):
    """conv_transpose2d(x, w) + b at stride 1, as the convolution it equals: each output pixel
    gathers the inputs that scatter onto it, which is conv2d of x with the kernel turned
    half a turn and its in/out axes swapped, over a zero frame of d·(k − 1) − padding
    (``frame``, which must not be negative). It gathers C·kh·kw values per output where the
    scatter adds O·kh·kw per input: cheaper when the input has no more channels than the output
    (conv-ae-notes' 5x5 layers: 1 -> 14 channels 29 -> 1.5 ms, 7 -> 14 19 -> 8 ms; 14 -> 7 went
    10 -> 16 ms, and stays a scatter)."""
    flipped = w.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1]
    return conv2d_arrays(x, get_array_module(w).ascontiguousarray(flipped), b, (1, 1), frame, dilation, out_size)


def _check_4d(op, name, array):
    if array.ndim != 4:
        layout = "(N, C, H, W)" if name == "input" else "(out, in, kh, kw)" if op == "conv2d" else "(in, out, kh, kw)"
        raise ValueError(f"{op}: {name} must be 4-d {layout}, got shape {tuple(array.shape)}")


def _check_bias(op, b, channels, w):
    if b is not None and tuple(b.shape) != (channels,):
        raise ValueError(
            f"{op}: bias has shape {tuple(b.shape)} but the weight (shape {tuple(w.shape)}) has "
            f"{channels} output channels"
        )


def _check_output_size(op, out_size, x, w, stride, padding, dilation):
    if min(out_size) <= 0:
        raise ValueError(
            f"{op}: output size would be {out_size} for input shape {tuple(x.shape)} and kernel "
            f"{tuple(w.shape[2:])} (stride {stride}, padding {padding}, dilation {dilation}); it must be "
            "positive"
        )


def _adjoint_output_padding(x_shape, w_shape, y_shape, stride, padding, dilation):
    """The output_padding that makes conv_transpose2d(y) come back to ``x``'s spatial size
    (the rows and columns that the convolution's floor division dropped)."""
    return tuple(h - ((oh - 1) * s - 2 * p + d * (k - 1) + 1)
                 for h, oh, k, s, p, d in zip(x_shape[2:], y_shape[2:], w_shape[2:], stride, padding, dilation))


class Conv2d(Function):
    """y = x ⋆ W + b  (cross-correlation, as PyTorch's conv2d; W: (out, in, kh, kw))

    y[n,o,p,q] = b[o] + Σ_{c,i,j} W[o,c,i,j] · xpad[n, c, p·s + i·d, q·s + j·d]

    ∂L/∂x = conv_transpose2d(gy, W)                                (the adjoint of x ↦ x ⋆ W)
    ∂L/∂W[o,c,i,j] = Σ_{n,p,q} gy[n,o,p,q] · xpad[n, c, p·s + i·d, q·s + j·d]   (conv2d_weight_grad)
    ∂L/∂b[o] = Σ_{n,p,q} gy[n,o,p,q]
    """

    def __init__(self, stride, padding, dilation):
        self.stride, self.padding, self.dilation = stride, padding, dilation

    def forward(self, x, w, b=None):
        _check_4d("conv2d", "input", x)
        _check_4d("conv2d", "weight", w)
        if x.shape[1] != w.shape[1]:
            raise ValueError(
                f"conv2d: input has {x.shape[1]} channels but weight expects {w.shape[1]} "
                f"(input shape {tuple(x.shape)}, weight shape {tuple(w.shape)})"
            )
        _check_bias("conv2d", b, w.shape[0], w)
        out_size = conv_output_size(x.shape[2:], w.shape[2:], self.stride, self.padding, self.dilation)
        _check_output_size("conv2d", out_size, x, w, self.stride, self.padding, self.dilation)
        return conv2d_arrays(x, w, b, self.stride, self.padding, self.dilation, out_size)

    def backward(self, gy):
        x, w = self.inputs[:2]
        gx = gw = gb = None
        if x.requires_grad:
            output_padding = _adjoint_output_padding(x.shape, w.shape, gy.shape, self.stride, self.padding,
                                                     self.dilation)
            gx = conv_transpose2d(gy, w, None, self.stride, self.padding, output_padding, self.dilation)
        if w.requires_grad:
            gw = conv2d_weight_grad(x, gy, w.shape[2:], self.stride, self.padding, self.dilation)
        if len(self.inputs) == 3 and self.inputs[2].requires_grad:
            gb = _sum(gy, axis=(0, 2, 3))
        return (gx, gw) if len(self.inputs) == 2 else (gx, gw, gb)


class ConvTranspose2d(Function):
    """y = Wᵀ ⋆ x + b, the adjoint of conv2d (PyTorch's conv_transpose2d; W: (in, out, kh, kw))

    y = col2im(Σ_c W[c,o,i,j] · x[n,c,p,q]) : every input pixel scatters its kernel-weighted copy
    onto the output, at offset (p·s + i·d − padding, q·s + j·d − padding). (At stride 1, with no
    more channels in than out, it is computed as the convolution it equals: conv_transpose_as_conv.)

    ∂L/∂x = conv2d(gy, W)                     (the adjoint of the adjoint)
    ∂L/∂W = conv2d_weight_grad(gy, x)         (W's gradient for the convolution of gy into x)
    ∂L/∂b[o] = Σ_{n,p,q} gy[n,o,p,q]
    """

    def __init__(self, stride, padding, output_padding, dilation):
        self.stride, self.padding, self.dilation = stride, padding, dilation
        self.output_padding = output_padding

    def forward(self, x, w, b=None):
        _check_4d("conv_transpose2d", "input", x)
        _check_4d("conv_transpose2d", "weight", w)
        if x.shape[1] != w.shape[0]:
            raise ValueError(
                f"conv_transpose2d: input has {x.shape[1]} channels but weight expects {w.shape[0]} "
                f"(input shape {tuple(x.shape)}, weight shape {tuple(w.shape)}, laid out (in, out, kh, kw))"
            )
        _check_bias("conv_transpose2d", b, w.shape[1], w)
        out_size = conv_transpose_output_size(x.shape[2:], w.shape[2:], self.stride, self.padding,
                                              self.output_padding, self.dilation)
        _check_output_size("conv_transpose2d", out_size, x, w, self.stride, self.padding, self.dilation)
        frame = tuple(d * (k - 1) - p for d, k, p in zip(self.dilation, w.shape[2:], self.padding))
        if self.stride == (1, 1) and min(frame) >= 0 and w.shape[0] <= w.shape[1]:
            return conv_transpose_as_conv(x, w, b, frame, self.dilation, out_size)
        return conv_transpose_batch_last(x, w, b, self.stride, self.padding, self.dilation, out_size)

    def backward(self, gy):
        x, w = self.inputs[:2]
        gx = gw = gb = None
        if x.requires_grad:
            gx = conv2d(gy, w, None, self.stride, self.padding, self.dilation)
        if w.requires_grad:
            gw = conv2d_weight_grad(gy, x, w.shape[2:], self.stride, self.padding, self.dilation)
        if len(self.inputs) == 3 and self.inputs[2].requires_grad:
            gb = _sum(gy, axis=(0, 2, 3))
        return (gx, gw) if len(self.inputs) == 2 else (gx, gw, gb)


class Conv2dWeightGrad(Function):
    """gW = ∂⟨gy, x ⋆ W⟩/∂W, bilinear in (x, gy):

    gW[o,c,i,j] = Σ_{n,p,q} gy[n,o,p,q] · xpad[n, c, p·s + i·d, q·s + j·d]     (GEMMs on im2col(x))

    With ggW the gradient of gW:  ∂L/∂x = conv_transpose2d(gy, ggW),  ∂L/∂gy = conv2d(x, ggW).
    """

    def __init__(self, kernel, stride, padding, dilation):
        self.kernel, self.stride, self.padding, self.dilation = kernel, stride, padding, dilation

    def forward(self, x, gy):
        out_size = conv_output_size(x.shape[2:], self.kernel, self.stride, self.padding, self.dilation)
        if x.ndim != 4 or gy.ndim != 4 or gy.shape[0] != x.shape[0] or tuple(gy.shape[2:]) != out_size:
            raise ValueError(
                f"conv2d_weight_grad: grad_output shape {tuple(gy.shape)} does not match the conv2d output "
                f"of input shape {tuple(x.shape)} with kernel {self.kernel} (expected (N, O) + {out_size})"
            )
        xp = get_array_module(x)
        (n, c), o, (oh, ow), (kh, kw) = x.shape[:2], gy.shape[1], out_size, self.kernel
        k = c * kh * kw
        gw = xp.zeros((k, o), dtype=xp.result_type(x.dtype, gy.dtype))
        if c >= BATCH_LAST_MIN_CHANNELS:  # GEMMs cols(C·kh·kw, rows·OW·N) @ gy(rows·OW·N, O), batch innermost
            view = batch_last_view(x, self.kernel, self.stride, self.padding, self.dilation, out_size)
            gy_rows = xp.ascontiguousarray(gy.transpose(2, 3, 0, 1)).reshape(oh * ow * n, o)
            for r0, r1 in _chunks(oh, k * ow * n):
                cols = view[:, :, :, r0:r1].reshape(k, (r1 - r0) * ow * n)
                gw += gemm.matmul(cols, gy_rows[r0 * ow * n:r1 * ow * n])
        else:  # Σₙ cols[n] gy[n]ᵀ: a GEMM per image, a chunk of images at a time
            view = im2col(x, self.kernel, self.stride, self.padding, self.dilation, out_size)
            gy_images = gy.reshape(n, o, oh * ow)
            for n0, n1 in _chunks(n, k * oh * ow):
                cols = view[n0:n1].reshape(n1 - n0, k, oh * ow)
                gw += gemm.matmul(cols, gy_images[n0:n1].transpose(0, 2, 1)).sum(axis=0)
        return xp.ascontiguousarray(gw.T).reshape(o, c, kh, kw)

    def backward(self, ggw):
        x, gy = self.inputs
        gx = ggy = None
        if x.requires_grad:
            output_padding = _adjoint_output_padding(x.shape, ggw.shape, gy.shape, self.stride, self.padding,
                                                     self.dilation)
            gx = conv_transpose2d(gy, ggw, None, self.stride, self.padding, output_padding, self.dilation)
        if gy.requires_grad:
            ggy = conv2d(x, ggw, None, self.stride, self.padding, self.dilation)
        return gx, ggy


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-d convolution (cross-correlation) of ``x`` (N, C, H, W) with ``weight`` (O, C, kh, kw).

    ``stride``, ``padding`` (zeros) and ``dilation`` are ints or (height, width) pairs; the
    output is (N, O, OH, OW) with OH = ⌊(H + 2p − d·(kh − 1) − 1) / s⌋ + 1, as in PyTorch.
    """
    function = Conv2d(pair(stride, "stride", "conv2d", 1), pair(padding, "padding", "conv2d", 0),
                      pair(dilation, "dilation", "conv2d", 1))
    return function(x, weight) if bias is None else function(x, weight, bias)


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1):
    """Transposed convolution of ``x`` (N, C, H, W) with ``weight`` (C, O, kh, kw): the adjoint of
    ``conv2d`` with the same weight, stride, padding and dilation, as PyTorch's conv_transpose2d.

    The output is (N, O, OH, OW) with OH = (H − 1)·s − 2p + d·(kh − 1) + output_padding + 1;
    ``output_padding`` (< stride) picks among the input sizes that a strided conv2d maps to H.
    """
    stride = pair(stride, "stride", "conv_transpose2d", 1)
    output_padding = pair(output_padding, "output_padding", "conv_transpose2d", 0)
    if any(op >= s for op, s in zip(output_padding, stride)):
        raise ValueError(f"conv_transpose2d: output_padding {output_padding} must be smaller than the stride {stride}")
    function = ConvTranspose2d(stride, pair(padding, "padding", "conv_transpose2d", 0), output_padding,
                               pair(dilation, "dilation", "conv_transpose2d", 1))
    return function(x, weight) if bias is None else function(x, weight, bias)


def conv2d_weight_grad(x, grad_output, kernel_size, stride=1, padding=0, dilation=1):
    """The gradient of conv2d's weight: ∂⟨grad_output, conv2d(x, W)⟩/∂W (shape (O, C, kh, kw))."""
    op = "conv2d_weight_grad"
    function = Conv2dWeightGrad(pair(kernel_size, "kernel_size", op, 1), pair(stride, "stride", op, 1),
                                pair(padding, "padding", op, 0), pair(dilation, "dilation", op, 1))
    return function(x, grad_output)
