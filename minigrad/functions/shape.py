"""Ops that move elements without changing them: reshape, transpose, broadcast_to, cast
(and, below, getitem, concatenate, stack, split, pad)."""

from minigrad.autograd import Function
from minigrad.backend import get_array_module


class Reshape(Function):
    """y = x viewed with another shape ;  gx = gy reshaped back"""

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return x.reshape(self.shape)

    def backward(self, gy):
        return reshape(gy, self.inputs[0].shape)


class Transpose(Function):
    """y = x with axes permuted ;  gx = gy permuted by the inverse permutation"""

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        if self.axes is None:
            self.axes = tuple(reversed(range(x.ndim)))
        if sorted(a % max(x.ndim, 1) for a in self.axes) != list(range(x.ndim)):
            raise ValueError(f"transpose: axes {self.axes} are not a permutation of a {x.ndim}-d tensor's axes")
        return x.transpose(self.axes)

    def backward(self, gy):
        ndim = len(self.axes)
        inverse = tuple(sorted(range(ndim), key=lambda i: self.axes[i] % ndim))
        return transpose(gy, inverse)


class BroadcastTo(Function):
    """y = x repeated along broadcast axes ;  gx = gy summed back to x's shape"""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        xp = get_array_module(x)
        return xp.broadcast_to(x, self.shape)

    def backward(self, gy):
        from minigrad.functions.reduction import sum_to
        return sum_to(gy, self.inputs[0].shape)


class Cast(Function):
    """y = x converted to another dtype ;  gx = gy converted back"""

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, gy):
        return cast(gy, self.inputs[0].dtype)


def reshape(x, shape):
    if tuple(x.shape) == tuple(shape):
        return x
    return Reshape(tuple(shape))(x)


def transpose(x, axes=None):
    return Transpose(None if axes is None else tuple(axes))(x)


def swapaxes(x, axis1, axis2):
    axes = list(range(x.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(x, axes)


def broadcast_to(x, shape):
    if tuple(x.shape) == tuple(shape):
        return x
    return BroadcastTo(shape)(x)


def cast(x, dtype):
    import numpy
    if x.dtype == numpy.dtype(dtype):
        return x
    return Cast(numpy.dtype(dtype))(x)
