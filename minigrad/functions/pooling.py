"""Pooling and upsampling in NCHW layout: max_pool2d, avg_pool2d, upsample_nearest2d.

Windows are read through the strided ``im2col`` view of :mod:`minigrad.functions.conv`
(no copy, no loop over pixels) and gradients are written back with its adjoint
``col2im``. Every backward is a Function of its own, linear in the incoming gradient,
whose backward is in turn the forward's adjoint, so all of them differentiate twice:

* avg_pool2d  ↔  AvgPool2dGrad (spread each gradient evenly over its window);
* upsample_nearest2d  ↔  BlockSum2d (sum each block back);
* max_pool2d keeps a one-hot mask of each window's arg-max; its backward
  MaxPool2dGrad scatters gy onto those positions, and the scatter's adjoint
  MaxPool2dGather reads them back (max pooling with its choice frozen).
"""

import numpy

from minigrad.autograd import Function
from minigrad.backend import get_array_module
from minigrad.functions.conv import col2im, conv_output_size, im2col, pair

_NO_DILATION = (1, 1)


def _pool_args(op, kernel_size, stride, padding):
    kernel = pair(kernel_size, "kernel_size", op, 1)
    stride = kernel if stride is None else pair(stride, "stride", op, 1)
    padding = pair(padding, "padding", op, 0)
    if any(p > k // 2 for p, k in zip(padding, kernel)):
        raise ValueError(f"{op}: padding {padding} must be at most half of the kernel size {kernel}")
    return kernel, stride, padding


def _pool_output_size(op, x, kernel, stride, padding):
    if x.ndim != 4:
        raise ValueError(f"{op}: input must be 4-d (N, C, H, W), got shape {tuple(x.shape)}")
    out_size = conv_output_size(x.shape[2:], kernel, stride, padding, _NO_DILATION)
    if min(out_size) <= 0:
        raise ValueError(
            f"{op}: output size would be {out_size} for input shape {tuple(x.shape)} with kernel {kernel}, "
            f"stride {stride}, padding {padding}; it must be positive"
        )
    return out_size


class MaxPool2d(Function):
    """y[n,c,p,q] = max_{i,j} xpad[n, c, p·s + i, q·s + j]   (xpad: x padded with −∞)

    ∂L/∂x = gy routed to the arg-max of each window (the first in row-major order on a tie),
    i.e. MaxPool2dGrad, a scatter along the saved one-hot mask of the arg-maxes.
    """

    def __init__(self, kernel, stride, padding):
        self.kernel, self.stride, self.padding = kernel, stride, padding

    def forward(self, x):
        out_size = _pool_output_size("max_pool2d", x, self.kernel, self.stride, self.padding)
        xp = get_array_module(x)
        n, c = x.shape[:2]
        kh, kw = self.kernel
        windows = im2col(x, self.kernel, self.stride, self.padding, _NO_DILATION, out_size, pad_value=-numpy.inf)
        windows = windows.reshape((n, c, kh * kw) + out_size)  # copies the view once
        argmax = windows.argmax(axis=2)
        one_hot = xp.arange(kh * kw).reshape(1, 1, -1, 1, 1) == argmax[:, :, None]
        self.mask = one_hot.reshape((n, c, kh, kw) + out_size)
        return windows.max(axis=2)

    def backward(self, gy):
        return MaxPool2dGrad(self.mask, self.inputs[0].shape, self.stride, self.padding)(gy)


class MaxPool2dGrad(Function):
    """gx = col2im(mask · gy): each gy[n,c,p,q] added onto the arg-max of its window (a scatter).

    Linear in gy; its adjoint reads the arg-max positions back:  ∂L/∂gy = MaxPool2dGather(ggx).
    """

    def __init__(self, mask, x_shape, stride, padding):
        self.mask, self.x_shape, self.stride, self.padding = mask, x_shape, stride, padding

    def forward(self, gy):
        return col2im(self.mask * gy[:, :, None, None], self.x_shape, self.stride, self.padding, _NO_DILATION)

    def backward(self, ggx):
        return MaxPool2dGather(self.mask, self.stride, self.padding)(ggx)


class MaxPool2dGather(Function):
    """y[n,c,p,q] = Σ_{i,j} mask[n,c,i,j,p,q] · xpad[n, c, p·s + i, q·s + j]: x at the saved arg-maxes
    (max pooling with its choice frozen). Linear; its adjoint is the scatter:  ∂L/∂x = MaxPool2dGrad(gy).
    """

    def __init__(self, mask, stride, padding):
        self.mask, self.stride, self.padding = mask, stride, padding

    def forward(self, x):
        kernel, out_size = self.mask.shape[2:4], self.mask.shape[4:]
        windows = im2col(x, kernel, self.stride, self.padding, _NO_DILATION, out_size)
        return (windows * self.mask).sum(axis=(2, 3))

    def backward(self, gy):
        return MaxPool2dGrad(self.mask, self.inputs[0].shape, self.stride, self.padding)(gy)


class AvgPool2d(Function):
    """y[n,c,p,q] = 1/(kh·kw) · Σ_{i,j} xpad[n, c, p·s + i, q·s + j]   (xpad: x padded with zeros, which
    count in the mean: PyTorch's count_include_pad=True)

    Linear: ∂L/∂x = AvgPool2dGrad(gy), its adjoint, which spreads gy/(kh·kw) evenly over each window.
    """

    def __init__(self, kernel, stride, padding):
        self.kernel, self.stride, self.padding = kernel, stride, padding

    def forward(self, x):
        out_size = _pool_output_size("avg_pool2d", x, self.kernel, self.stride, self.padding)
        windows = im2col(x, self.kernel, self.stride, self.padding, _NO_DILATION, out_size)
        return windows.sum(axis=(2, 3)) / (self.kernel[0] * self.kernel[1])

    def backward(self, gy):
        return AvgPool2dGrad(self.inputs[0].shape, self.kernel, self.stride, self.padding)(gy)


class AvgPool2dGrad(Function):
    """gx = col2im(gy / (kh·kw) repeated over each window), the adjoint of avg_pool2d.

    Linear in gy, so ∂L/∂gy = avg_pool2d(ggx) (the adjoint of the adjoint).
    """

    def __init__(self, x_shape, kernel, stride, padding):
        self.x_shape, self.kernel, self.stride, self.padding = x_shape, kernel, stride, padding

    def forward(self, gy):
        xp = get_array_module(gy)
        n, c = gy.shape[:2]
        share = (gy / (self.kernel[0] * self.kernel[1]))[:, :, None, None]
        cols = xp.broadcast_to(share, (n, c) + tuple(self.kernel) + tuple(gy.shape[2:]))
        return col2im(cols, self.x_shape, self.stride, self.padding, _NO_DILATION)

    def backward(self, ggx):
        return AvgPool2d(self.kernel, self.stride, self.padding)(ggx)


class UpsampleNearest2d(Function):
    """y[n,c,p,q] = x[n, c, ⌊p/sh⌋, ⌊q/sw⌋]  ;  ∂L/∂x = BlockSum2d(gy), the sum over each sh×sw block"""

    def __init__(self, scale):
        self.scale = scale

    def forward(self, x):
        if x.ndim != 4:
            raise ValueError(f"upsample_nearest2d: input must be 4-d (N, C, H, W), got shape {tuple(x.shape)}")
        xp = get_array_module(x)
        n, c, h, w = x.shape
        sh, sw = self.scale
        return xp.broadcast_to(x[:, :, :, None, :, None], (n, c, h, sh, w, sw)).reshape(n, c, h * sh, w * sw)

    def backward(self, gy):
        return BlockSum2d(self.scale)(gy)


class BlockSum2d(Function):
    """y[n,c,p,q] = Σ_{i<sh, j<sw} x[n, c, p·sh + i, q·sw + j], the adjoint of nearest upsampling

    Linear: ∂L/∂x = upsample_nearest2d(gy).
    """

    def __init__(self, scale):
        self.scale = scale

    def forward(self, x):
        n, c, h, w = x.shape
        sh, sw = self.scale
        return x.reshape(n, c, h // sh, sh, w // sw, sw).sum(axis=(3, 5))

    def backward(self, gy):
        return UpsampleNearest2d(self.scale)(gy)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Max over each kh×kw window of ``x`` (N, C, H, W), as PyTorch's max_pool2d.

    ``stride`` defaults to ``kernel_size``; ``padding`` (at most half the kernel) pads with −∞.
    The gradient goes to the arg-max of each window (the first one on a tie).
    """
    return MaxPool2d(*_pool_args("max_pool2d", kernel_size, stride, padding))(x)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Mean over each kh×kw window of ``x`` (N, C, H, W), as PyTorch's avg_pool2d with its default
    count_include_pad=True (zero padding counts in the mean). ``stride`` defaults to ``kernel_size``."""
    return AvgPool2d(*_pool_args("avg_pool2d", kernel_size, stride, padding))(x)


def upsample_nearest2d(x, scale_factor):
    """Nearest-neighbour upsampling of ``x`` (N, C, H, W) by a positive integer ``scale_factor``
    (or a (height, width) pair; whole floats such as 2.0 are accepted): each pixel becomes an sh×sw block."""
    if isinstance(scale_factor, float) and scale_factor.is_integer():
        scale_factor = int(scale_factor)
    return UpsampleNearest2d(pair(scale_factor, "scale_factor", "upsample_nearest2d", 1))(x)
